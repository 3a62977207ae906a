"""``left_behind_filter`` keeps exactly the children ``with_left_behind`` calls left-behind."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.children.models import AwayPeriod, Child, Relation
from carenet.children.selectors import left_behind_filter, left_behind_only, with_left_behind
from tests.factories import child_add

AS_OF = dt.date(2026, 10, 12)


def _by_annotation(as_of: dt.date) -> set[int]:
    return set(
        left_behind_only(with_left_behind(Child.objects.all(), as_of)).values_list("pk", flat=True)
    )


def _by_filter(as_of: dt.date) -> set[int]:
    return set(Child.objects.filter(left_behind_filter(as_of)).values_list("pk", flat=True))


@pytest.fixture
def edge_cases(world) -> list[Child]:
    """Periods around the 3-month threshold and the return day, of father and mother."""
    klass = world.class_1
    threshold = dt.date(2026, 7, 12)  # AS_OF - 3 months
    kids = [
        child_add(klass, name="刚满三月", father_away=threshold),
        child_add(klass, name="差一天", father_away=threshold + dt.timedelta(days=1)),
        child_add(klass, name="上月出门", mother_away=dt.date(2026, 9, 24)),
        child_add(klass, name="母亲在外", mother_away=dt.date(2025, 1, 1)),
        child_add(
            klass, name="双亲在外", father_away=dt.date(2025, 1, 1), mother_away=dt.date(2025, 3, 1)
        ),
        child_add(klass, name="无人外出"),
    ]
    returned = child_add(klass, name="今天返乡")
    AwayPeriod.objects.create(
        child=returned, relation=Relation.FATHER, county_code="340827",
        start=dt.date(2025, 1, 1), end=AS_OF,
    )  # fmt: skip
    returning = child_add(klass, name="明天返乡")
    AwayPeriod.objects.create(
        child=returning, relation=Relation.MOTHER, county_code="340827",
        start=dt.date(2025, 1, 1), end=AS_OF + dt.timedelta(days=1),
    )  # fmt: skip
    return [*kids, returned, returning]


@pytest.mark.parametrize("shift", [-400, -1, 0, 1, 90])
def test_the_filter_agrees_with_the_annotation(edge_cases, shift):
    as_of = AS_OF + dt.timedelta(days=shift)
    assert _by_filter(as_of) == _by_annotation(as_of)


def test_the_edges(edge_cases):
    names = set(Child.objects.filter(left_behind_filter(AS_OF)).values_list("name", flat=True))
    assert {"刚满三月", "母亲在外", "双亲在外", "明天返乡"} <= names
    assert not {"差一天", "上月出门", "无人外出", "今天返乡"} & names
