"""建档率's complete file: one rule (``filing_items``) for the count, the drill-down's
reasons and, through ``care_by_filters``, the statistics table's 按监护情况; and each
indicator's definition on the pages."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from carenet.children.access import visible_children
from carenet.children.models import Child
from carenet.children.selectors import CareBy, care_by_filters
from carenet.children.services import family_member_save
from carenet.indicators.drill import drill_down, not_counted_reasons
from carenet.indicators.selectors import (
    DEFINITIONS,
    KEYS,
    LABELS,
    file_complete,
    filing_gaps,
    indicators_for,
)
from carenet.reports.statistics import statistics_table, table_check
from tests.factories import child_add

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 1, 20)
AWAY = {"name": "外出", "phone": "13800000000", "away_since": dt.date(2025, 2, 1)}
HOME = {"name": "在家", "phone": "13900000000"}
NO_GUARDIAN = "缺少委托监护人（父母均外出或在家一方无监护能力）"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 1, 20, 12, 0), tick=False):
        yield


def kid(world, name, *, father=None, mother=None, guardian=None, **data) -> Child:
    child = child_add(world.class_1, name=name, village=world.village, **data)
    for relation, member in (("father", father), ("mother", mother), ("guardian", guardian)):
        if member:
            family_member_save(actor=None, child=child, relation=relation, data=member)
    return child


def gaps(child: Child) -> list[str]:
    return filing_gaps(Child.objects.filter(pk=child.pk), AS_OF)[child.pk]


def filed(child: Child) -> bool:
    return Child.objects.filter(file_complete(AS_OF), pk=child.pk).exists()


def care_of(child: Child) -> set[CareBy]:
    return {
        care
        for care, q in care_by_filters(AS_OF).items()
        if Child.objects.filter(q, pk=child.pk).exists()
    }


# The rule, on both sides of each condition: (family, who cares, the items missing).
FAMILIES = {
    "father away, mother at home with a phone": (
        dict(father=AWAY, mother=HOME),
        CareBy.MOTHER,
        [],
    ),
    "father away, mother at home without a phone": (
        dict(father=AWAY, mother={"name": "在家"}),
        CareBy.MOTHER,
        ["缺少在家母亲的联系电话"],
    ),
    "father away, mother not on file": (
        dict(father=AWAY),
        CareBy.MOTHER,
        ["缺少在家母亲的姓名", "缺少在家母亲的联系电话"],
    ),
    "mother away, father at home with a phone": (
        dict(mother=AWAY, father=HOME),
        CareBy.FATHER,
        [],
    ),
    "mother away, father at home without a name": (
        dict(mother=AWAY, father={"phone": "13900000000"}),
        CareBy.FATHER,
        ["缺少在家父亲的姓名"],
    ),
    "father away, the mother at home cannot guard": (
        dict(father=AWAY, mother={**HOME, "can_guard": False}),
        CareBy.NOBODY,
        [NO_GUARDIAN],
    ),
    "father away, the mother cannot guard, a grandmother with a phone": (
        dict(
            father=AWAY,
            mother={**HOME, "can_guard": False},
            guardian={"name": "奶奶", "kinship": "祖母", "phone": "13700000000"},
        ),
        CareBy.GUARDIAN,
        [],
    ),
    "both away, no guardian": (
        dict(father=AWAY, mother=AWAY),
        CareBy.NOBODY,
        [NO_GUARDIAN],
    ),
    "both away, a guardian without a phone": (
        dict(father=AWAY, mother=AWAY, guardian={"name": "舅舅", "kinship": "舅舅"}),
        CareBy.GUARDIAN,
        ["缺少委托监护人联系电话"],
    ),
    "both away, a guardian with a phone": (
        dict(
            father=AWAY,
            mother=AWAY,
            guardian={"name": "邻居", "kinship": "邻居", "phone": "13700000000"},
        ),
        CareBy.GUARDIAN,
        [],
    ),
    "both away, recorded as not guarded, no name": (
        dict(
            father=AWAY,
            mother=AWAY,
            guardian={"guardianship_quality": "none", "phone": "13700000000"},
        ),
        CareBy.GUARDIAN,
        ["缺少委托监护人姓名"],
    ),
    "father away without a name, mother at home with a phone": (
        dict(father={**AWAY, "name": ""}, mother=HOME),
        CareBy.MOTHER,
        ["缺少外出父亲的姓名"],
    ),
    "father away for less than 3 months, both parents on file": (
        dict(father={**AWAY, "away_since": dt.date(2025, 12, 1)}, mother=HOME),
        CareBy.PARENTS,
        [],
    ),
    "neither away, no parent's phone": (
        dict(father={"name": "在家"}),
        CareBy.PARENTS,
        ["缺少父亲或母亲的姓名和联系电话"],
    ),
}


@pytest.mark.parametrize("case", list(FAMILIES))
def test_the_rule_on_both_sides_of_each_condition(world, case):
    family, care, missing = FAMILIES[case]
    child = kid(world, "案例", **family)
    assert care_of(child) == {care}  # each child in exactly one
    assert gaps(child) == missing
    assert filed(child) == (missing == [])


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ({}, []),
        ({"id_number": ""}, ["缺少身份证号"]),
        ({"name": ""}, ["缺少姓名"]),
        ({"village": None}, ["缺少现居住村或详细住址"]),
        ({"village": None, "residence_address": "华阳镇红星村三组"}, []),
        ({"school_class": None}, ["缺少班级"]),
        ({"school": None, "school_class": None}, []),  # filed under the village
        ({"school": None, "school_class": None, "village": None}, ["缺少现居住村"]),
    ],
)
def test_the_childs_own_items(world, change, missing):
    child = kid(world, "本人", father=AWAY, mother=HOME)
    Child.objects.filter(pk=child.pk).update(**change)
    assert gaps(child) == missing
    assert filed(child) == (missing == [])


def test_a_child_with_one_parent_away_and_the_other_at_home_is_filed_and_in_the_parent_column(
    world,
):
    child = kid(world, "单亲", father=AWAY, mother=HOME)
    mine = Child.objects.filter(pk=child.pk)
    figures = {i.key: i for i in indicators_for(world.county, as_of=AS_OF, children=mine)}
    assert (figures["filing_rate"].numerator, figures["filing_rate"].denominator) == (1, 1)
    table = statistics_table(world.county, as_of=AS_OF, children=mine)
    assert table.total.counts["total"] == table.total.counts["guard_parent"] == 1
    # Without the mother's phone: still 父（母）一方监护, no longer filed, and says why.
    family_member_save(
        actor=None, child=child, relation="mother", data={"name": "在家", "phone": ""}
    )
    figures = {i.key: i for i in indicators_for(world.county, as_of=AS_OF, children=mine)}
    assert figures["filing_rate"].numerator == 0
    assert (
        statistics_table(world.county, as_of=AS_OF, children=mine).total.counts["guard_parent"] == 1
    )
    drill = drill_down(world.county, "filing_rate", as_of=AS_OF, children=mine)
    assert drill.not_counted == [child.pk]
    assert not_counted_reasons("filing_rate", [child], as_of=AS_OF) == {
        child.pk: ["缺少在家母亲的联系电话"]
    }


# The statistics table's column of each left-behind family of ``FAMILIES`` (those not
# left-behind are not in either base).
COLUMN = {
    "father away, mother at home with a phone": "guard_parent",
    "father away, mother at home without a phone": "guard_parent",
    "father away, mother not on file": "guard_parent",
    "mother away, father at home with a phone": "guard_parent",
    "mother away, father at home without a name": "guard_parent",
    "father away, the mother at home cannot guard": "guard_unknown",
    "father away, the mother cannot guard, a grandmother with a phone": "guard_grandparent",
    "both away, no guardian": "guard_unknown",
    "both away, a guardian without a phone": "guard_relative",
    "both away, a guardian with a phone": "guard_other",
    "both away, recorded as not guarded, no name": "guard_none",
    "father away without a name, mother at home with a phone": "guard_parent",
}


def test_the_statistics_table_and_the_filing_rate_agree_on_every_kind_of_family(world):
    children = {case: kid(world, f"家{n}", **FAMILIES[case][0]) for n, case in enumerate(COLUMN)}
    # The same children for both, without the world's own.
    mine = Child.objects.filter(pk__in=[c.pk for c in children.values()])
    table = statistics_table(world.county, as_of=AS_OF, children=mine)
    assert table_check(table) == []
    expected = {key: 0 for key in {*COLUMN.values(), "guard_relative"}}
    for column in COLUMN.values():
        expected[column] += 1
    assert {key: table.total.counts[key] for key in expected} == expected
    drill = drill_down(world.county, "filing_rate", as_of=AS_OF, children=mine)
    figure = {i.key: i for i in indicators_for(world.county, as_of=AS_OF, children=mine)}
    filing = figure["filing_rate"]
    assert (filing.numerator, filing.denominator) == (drill.numerator, drill.denominator)
    assert filing.denominator == table.total.counts["total"] == len(COLUMN)
    complete = {case for case in COLUMN if not FAMILIES[case][2]}
    assert set(drill.counted) == {children[case].pk for case in complete}
    not_counted = Child.objects.filter(pk__in=drill.not_counted)
    reasons = not_counted_reasons("filing_rate", list(not_counted), as_of=AS_OF)
    assert reasons == {
        children[case].pk: FAMILIES[case][2] for case in COLUMN if case not in complete
    }
    # Agreement: 监护人未登记 are the children 建档率 finds without a guardian, and no
    # child of 父（母）一方监护 is asked for one.
    without = {pk for pk, found in reasons.items() if NO_GUARDIAN in found}
    assert len(without) == table.total.counts["guard_unknown"] == 2
    parent = {children[case].pk for case, column in COLUMN.items() if column == "guard_parent"}
    assert not any("委托监护人" in r for pk in parent for r in reasons.get(pk, []))


def test_the_kept_counts_give_the_drill_downs_figure(world):
    """The whole county (kept per-school counts) counts the filed as the drill-down does."""
    for n, case in enumerate(COLUMN):
        kid(world, f"家{n}", **FAMILIES[case][0])
    figure = {
        i.key: i for i in indicators_for(world.county, as_of=AS_OF, children=Child.objects.all())
    }["filing_rate"]
    drill = drill_down(world.county, "filing_rate", as_of=AS_OF, children=Child.objects.all())
    assert (figure.numerator, figure.denominator) == (drill.numerator, drill.denominator)
    assert figure.numerator >= sum(not FAMILIES[case][2] for case in COLUMN)


# --- the definitions and the reasons on the pages ---------------------------------------


def test_every_indicator_has_a_definition():
    assert set(DEFINITIONS) == set(KEYS) == set(LABELS)
    assert all(str(text).endswith("。") for text in DEFINITIONS.values())


def test_the_definitions_are_next_to_the_indicators(world, client):
    client.force_login(world.user("county_admin"))
    query = {"org": world.county.code, "as_of": AS_OF}
    for url in ("/dashboard/", "/dashboard/indicators/"):
        body = client.get(url, query).content.decode()
        for key in KEYS:
            assert str(DEFINITIONS[key]) in body, (url, key)


def test_the_drill_down_shows_the_definition_and_each_reason(world, client):
    phoneless = kid(world, "缺电话", father=AWAY, mother=AWAY, guardian={"name": "舅舅"})
    complete = kid(world, "齐全", father=AWAY, mother=HOME)
    client.force_login(world.user("county_admin"))
    url = "/dashboard/indicators/filing_rate/"
    query = {"org": world.county.code, "as_of": AS_OF}
    not_counted = client.get(url, {**query, "counted": 0})
    body = not_counted.content.decode()
    assert str(DEFINITIONS["filing_rate"]) in body
    assert "未计入原因" in body and "缺少委托监护人联系电话" in body
    rows = dict(not_counted.context["rows"])
    assert rows[Child.objects.get(pk=phoneless.pk)] == ["缺少委托监护人联系电话"]
    counted = client.get(url, {**query, "counted": 1})
    assert str(DEFINITIONS["filing_rate"]) in counted.content.decode()
    assert "未计入原因" not in counted.content.decode()
    assert complete.pk in [c.pk for c in counted.context["children"]]


@pytest.mark.parametrize("key", [k for k in KEYS if k != "filing_rate"])
def test_every_other_drill_down_gives_a_reason(world, key):
    kid(world, "原因", father=AWAY, mother=HOME)
    seen = visible_children(world.user("county_admin"))
    drill = drill_down(world.county, key, as_of=AS_OF, children=seen)
    children = list(Child.objects.filter(pk__in=drill.not_counted))
    reasons = not_counted_reasons(key, children, as_of=AS_OF)
    assert set(reasons) == {c.pk for c in children}
    assert all(found and all(found) for found in reasons.values())
