"""Migrations on a database that already holds children (an upgrade, not a new install)."""

import datetime as dt

import pytest
from django.core.management import call_command

from carenet.children.models import AwayPeriod, Child, FamilyMember
from carenet.indicators.models import SchoolFigures
from tests.factories import child_add


def _rows() -> tuple[int, int, int]:
    return Child.objects.count(), FamilyMember.objects.count(), AwayPeriod.objects.count()


def _triggers_fire(school) -> bool:
    SchoolFigures.objects.create(
        school=school, county_code=school.county_code, as_of=dt.date(2026, 11, 2),
        rules="r", counts={},
    )  # fmt: skip
    FamilyMember.objects.filter(child__school=school).update(name="改名")
    return not SchoolFigures.objects.filter(school=school).exists()


@pytest.mark.django_db(transaction=True)
def test_the_index_migration_runs_both_ways_with_children_and_indicator_triggers(world):
    """children/0003 rebuilds the children tables on SQLite while the indicator triggers
    of other tables name them: it must neither fail nor lose a row or a trigger."""
    child_add(world.class_1, name="辛一", father_away=dt.date(2024, 3, 1))
    before = _rows()
    try:
        call_command("migrate", "children", "0002", verbosity=0)
        assert _rows() == before
    finally:
        call_command("migrate", verbosity=0)
    assert _rows() == before
    assert _triggers_fire(world.school)
