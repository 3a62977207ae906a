"""A genuine legacy .xls register (BIFF8, saved by LibreOffice Calc) imports as it is."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from carenet.children.models import Child, FamilyMember
from carenet.exchange.importer import import_commit, import_preview

FIXTURE = Path(__file__).parent / "fixtures" / "register.xls"


def _preview(world):
    return import_preview(data=FIXTURE.read_bytes(), filename="花名册.xls", school=world.school)


def test_the_fixture_is_a_real_excel_97_file_not_a_renamed_xlsx():
    data = FIXTURE.read_bytes()
    assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 compound file
    assert b"PK\x03\x04" not in data[:4]


def test_an_xls_register_with_a_merged_two_level_header_is_read_by_excel_row(world):
    preview = _preview(world)
    assert preview.header_rows == [3, 4]
    assert preview.columns[8] == "father.phone" and preview.columns[14] == "guardian.kinship"
    assert (preview.created, preview.updated, preview.skipped) == (3, 0, 3)
    assert preview.as_json()["rejected"] == [
        {
            "row": 9,
            "errors": [
                {"field": "id_number", "column": "身份证号", "message": "身份证号校验位错误"}
            ],
        }
    ]


def test_an_xls_register_imports_its_children_families_and_dates(world):
    preview = _preview(world)
    import_commit(preview=preview, school=world.school, actor=world.user("principal"))
    zhang = Child.objects.get(name="张三")
    assert (zhang.gender, zhang.birth_date) == ("M", dt.date(2015, 3, 4))
    assert zhang.school_class.name == "三(2)班"
    father = zhang.family.get(relation="father")
    # A phone typed as a number (13812345678.0 in the file) is read as text.
    assert (father.phone, father.work_province, father.work_city) == (
        "13812345678",
        "广东省",
        "深圳市",
    )
    assert zhang.away_periods.get(relation="father").start == dt.date(2023, 2, 1)
    guardian = zhang.family.get(relation="guardian")
    assert (guardian.name, guardian.kinship, guardian.phone) == ("李秀英", "祖母", "0556-1234567")
    aili = Child.objects.get(name="买买提·艾力")
    assert aili.birth_date == dt.date(2014, 9, 1)
    assert aili.family.get(relation="guardian").phone == "13712345678"  # full-width digits
    assert aili.away_periods.get(relation="father").start == dt.date(2022, 3, 1)
    liu = Child.objects.get(name="刘洋")  # "刘 洋" in the file
    assert liu.id_number.endswith("X")  # typed with a lower-case x
    assert not Child.objects.filter(name="周敏").exists()


def test_importing_the_xls_register_twice_changes_nothing(world):
    import_commit(preview=_preview(world), school=world.school, actor=None)
    counts = (Child.objects.count(), FamilyMember.objects.count(), Child.history.count())
    again = _preview(world)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    import_commit(preview=again, school=world.school, actor=None)
    assert counts == (Child.objects.count(), FamilyMember.objects.count(), Child.history.count())
