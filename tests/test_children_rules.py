"""The cross-field rules of a child file: one home for the form, the API and the importer."""

from __future__ import annotations

import datetime as dt

from carenet.children.rules import id_disagreements, same_birth_date
from carenet.lib.idcard import make_id_number, parse_id_number

BIRTH = dt.date(2015, 3, 4)
BOY = parse_id_number(make_id_number("341122", BIRTH, 7, "M"))


def test_a_stated_birth_date_agrees_to_its_precision():
    assert same_birth_date(dt.date(2015, 3, 4), "day", BIRTH)
    assert not same_birth_date(dt.date(2015, 3, 5), "day", BIRTH)
    assert same_birth_date(dt.date(2015, 3, 1), "month", BIRTH)
    assert not same_birth_date(dt.date(2015, 4, 1), "month", BIRTH)
    assert same_birth_date(dt.date(2015, 1, 1), "year", BIRTH)
    assert not same_birth_date(dt.date(2016, 1, 1), "year", BIRTH)


def test_the_disagreements_name_the_fields_and_nothing_stated_is_nothing_wrong():
    assert id_disagreements(BOY) == {}
    assert id_disagreements(BOY, gender="M", birth_date=BIRTH) == {}
    wrong = id_disagreements(BOY, gender="F", birth_date=dt.date(2015, 3, 5))
    assert set(wrong) == {"gender", "birth_date"}
    assert "第17位" in wrong["gender"] and "出生日期" in wrong["birth_date"]
    assert id_disagreements(BOY, birth_date=dt.date(2015, 3, 1), precision="month") == {}


def test_the_importer_says_the_rules_words(world):
    """A register row is rejected with the rule's own sentence (the form adds it too)."""
    from carenet.exchange.importer import import_preview
    from tests.import_files import SIMPLE_HEADER, simple_row, xlsx

    row = simple_row(1, "张三", BOY.value)
    row[SIMPLE_HEADER.index("性别")] = "女"
    preview = import_preview(
        data=xlsx([SIMPLE_HEADER, row]), filename="a.xlsx", school=world.school
    )
    [rejected] = preview.rejected_rows
    register_message = {e.field: e.message for e in rejected.errors}["gender"]
    assert register_message == id_disagreements(BOY, gender="F")["gender"]
