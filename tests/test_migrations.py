"""Migrations on a database that already holds children (an upgrade, not a new install)."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from carenet.children.models import AwayPeriod, Child, FamilyMember
from carenet.indicators.kept import unit_versions, valid_units
from carenet.indicators.models import SchoolFigures
from tests.factories import child_add


def _rows() -> tuple[int, int, int]:
    return Child.objects.count(), FamilyMember.objects.count(), AwayPeriod.objects.count()


def _triggers_fire(school) -> bool:
    as_of = dt.date(2026, 11, 2)
    SchoolFigures.objects.create(
        school=school, county_code=school.county_code, as_of=as_of, rules="r", counts={},
        version=unit_versions([school.pk])[school.pk],
    )  # fmt: skip
    assert valid_units(SchoolFigures, [school.pk], as_of=as_of) == {school.pk}
    FamilyMember.objects.filter(child__school=school).update(name="改名")
    return not valid_units(SchoolFigures, [school.pk], as_of=as_of)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("back_to", ["0002", "0003"])
def test_the_index_migrations_run_both_ways_with_children_and_indicator_triggers(world, back_to):
    """children/0003 and 0004 rebuild the children tables on SQLite while the indicator
    triggers of other tables name them: they must neither fail nor lose a row or a
    trigger."""
    child_add(world.class_1, name="辛一", father_away=dt.date(2024, 3, 1))
    before = _rows()
    try:
        call_command("migrate", "children", back_to, verbosity=0)
        assert _rows() == before
    finally:
        call_command("migrate", verbosity=0)
    assert _rows() == before
    assert _triggers_fire(world.school)


IMPORT_TABLES = ("children_child", "children_familymember", "children_awayperiod")


@pytest.mark.django_db
def test_the_import_tables_have_no_needless_pattern_ops_index():
    """Every index of the register import's tables costs each imported row; PostgreSQL's
    varchar_pattern_ops twins of the county code and ID-number hash served no query (the
    names' twins serve the search by pinyin prefix)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.attname FROM pg_index i "
                "JOIN pg_opclass o ON o.oid = ANY(i.indclass) "
                "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid::regclass::text = ANY(%s) AND o.opcname LIKE '%%pattern_ops'",
                [list(IMPORT_TABLES)],
            )
            patterns = {column for (column,) in cursor.fetchall()}
        assert patterns == {"name_pinyin", "name_initials"}
    # … while the plain indexes stay.
    indexed = {
        table: {
            tuple(index["columns"])
            for index in connection.introspection.get_constraints(
                connection.cursor(), table
            ).values()
            if index["index"] or index["unique"]
        }
        for table in IMPORT_TABLES
    }
    assert ("county_code",) in indexed["children_child"]
    assert ("id_number_hash",) in indexed["children_child"]
    assert {("county_code",), ("id_number_hash",)} <= indexed["children_familymember"]
    assert ("county_code",) in indexed["children_awayperiod"]


@pytest.mark.django_db
def test_the_database_refuses_a_second_child_with_the_same_id_number(world):
    first = child_add(world.class_1, name="辛一")
    second = child_add(world.class_1, name="辛二")
    with pytest.raises(IntegrityError), transaction.atomic():
        Child.objects.filter(pk=second.pk).update(id_number_hash=first.id_number_hash)
