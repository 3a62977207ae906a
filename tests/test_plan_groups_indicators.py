"""The care-work indicators (谈心/家访/联系家长完成率) count the children the working list
schedules — those of the care groups of the plan in force for their unit (a 特困生 when
the plan names 特困生) — while the other indicators stay about left-behind children."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carenet.care.models import CareGroup, CarePlan
from carenet.care.presets import DEFAULT_PRESET, preset_plan
from carenet.care.selectors import tasks_for
from carenet.care.services import record_create
from carenet.children.access import visible_children
from carenet.children.models import Child, Schooling
from carenet.indicators.drill import drill_down, sub_org_indicators
from carenet.indicators.figures import school_counts
from carenet.indicators.models import SchoolFigures
from carenet.indicators.selectors import (
    TASK_KINDS,
    counted_children,
    counts_by_school,
    indicators_by_school,
    indicators_for,
    school_plans,
)
from tests.factories import child_add

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 16)  # a Monday of the autumn term


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(
        dt.datetime(2026, 11, 16, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        yield


def _plan(org, *groups):
    plan = preset_plan(DEFAULT_PRESET, org=org, school_year=2026)
    plan.care_groups = list(groups)
    plan.save()
    return plan


def _figures(org, children=None):
    children = Child.objects.all() if children is None else children
    return {
        i.key: (i.numerator, i.denominator)
        for i in indicators_for(org, as_of=AS_OF, children=children)
    }


@pytest.fixture
def poor(world):
    """华阳小学's plan names the left-behind and 特困生; 长岭中学 keeps the default (the
    left-behind only). Each school has a 特困生 who is not left-behind: 李明 (华阳小学,
    talked with on 11-13) and 钱多 (长岭中学); 红星村 has one not at a school, 小福."""
    _plan(world.school, CareGroup.LEFT_BEHIND, CareGroup.POOR)
    world.school_child.categories = ",poor,"
    world.school_child.save()
    record_create(
        actor=world.user("teacher"),
        child=world.school_child,
        kind="talk",
        date=dt.date(2026, 11, 13),
        summary="谈心",
    )
    world.other_poor = child_add(world.other_class, name="钱多", categories=",poor,")
    world.toddler = child_add(
        None,
        name="小福",
        village=world.village,
        birth=dt.date(2022, 5, 6),
        schooling=Schooling.NOT_SCHOOL_AGE,
        categories=",poor,",
    )
    return world


def test_a_poor_pupil_counts_in_the_talk_completion_of_a_plan_naming_them(poor):
    world = poor
    school = _figures(world.school)
    # Due a talk: own_child and mentee (left-behind, never talked with) and 李明 (talked
    # with on 11-13, on time).
    assert school["talk_completion"] == (1, 3)
    assert school["home_visit_completion"][1] == 3
    assert school["parent_call_completion"][1] == 3
    # The left-behind indicators count own_child and mentee only.
    assert school["filing_rate"][1] == 2
    assert school["retention_rate"][1] == 2
    assert school["mentor_coverage"] == (1, 2)


def test_a_school_whose_plan_does_not_name_them_does_not_count_them(poor):
    world = poor
    other = _figures(world.other_school)
    # villager_elsewhere and outsider, not 钱多.
    assert other["talk_completion"] == (0, 2)
    assert other["filing_rate"][1] == 2
    # 红星村 follows the county default (the left-behind only): 小福 is not counted.
    assert world.village.pk not in indicators_by_school(
        world.county, as_of=AS_OF, children=Child.objects.all()
    )


def test_the_indicators_count_what_the_working_list_schedules(poor):
    world = poor
    tasks = tasks_for(visible_children(world.user("county_admin")), as_of=AS_OF)
    for key, kind in TASK_KINDS.items():
        due = {t.child.pk for t in tasks if t.kind == kind}
        done = {t.child.pk for t in tasks if t.kind == kind and not t.overdue}
        assert _figures(world.county)[key] == (len(done), len(due)), key
    assert world.school_child.pk in {t.child.pk for t in tasks}
    assert world.other_poor.pk not in {t.child.pk for t in tasks}


def test_a_village_plan_naming_them_counts_a_child_not_at_a_school(poor):
    world = poor
    _plan(world.village, CareGroup.POOR)
    village = indicators_by_school(world.county, as_of=AS_OF, children=Child.objects.all())[
        world.village.pk
    ]
    figures = {i.key: (i.numerator, i.denominator) for i in village}
    # The village director visits and calls; talks are the school's.
    assert figures["home_visit_completion"][1] == 1
    assert figures["parent_call_completion"][1] == 1
    assert figures["talk_completion"] == (0, 0)
    assert figures["filing_rate"] == (0, 0)


def test_the_schools_add_up_to_the_townships_and_the_county(poor):
    world = poor
    _plan(world.village, CareGroup.POOR)
    county = _figures(world.county)
    per_school = indicators_by_school(world.county, as_of=AS_OF, children=Child.objects.all())
    rows = sub_org_indicators(world.county, as_of=AS_OF, children=Child.objects.all())
    for key in county:
        schools = [
            (i.numerator, i.denominator) for one in per_school.values() for i in one if i.key == key
        ]
        assert tuple(map(sum, zip(*schools, strict=True))) == county[key], key
        townships = [(r.get(key).numerator, r.get(key).denominator) for r in rows]
        assert tuple(map(sum, zip(*townships, strict=True))) == county[key], key
    township = _figures(world.township)
    assert township["talk_completion"] == (1, 3)  # 华阳小学's; 红星村 has no talks
    assert township["home_visit_completion"][1] == 4  # and 小福


def test_the_kept_counts_equal_a_count_from_scratch(poor):
    world = poor

    def scratch():
        base = counted_children(world.county, as_of=AS_OF, children=Child.objects.all())
        return counts_by_school(base, as_of=AS_OF, plans=school_plans(world.county, AS_OF))

    assert school_counts(world.county, as_of=AS_OF) == scratch()
    assert SchoolFigures.objects.filter(school=world.school).exists()
    assert school_counts(world.county, as_of=AS_OF) == scratch()  # from the kept rows
    # The plan stops naming 特困生: the kept row of 华阳小学 is counted again.
    plan = CarePlan.objects.get(org=world.school)
    plan.care_groups = [CareGroup.LEFT_BEHIND]
    plan.save()
    kept = school_counts(world.county, as_of=AS_OF)
    assert kept == scratch()
    assert kept[world.school.pk]["talk_completion_due"] == 2
    # 长岭中学's plan comes to name 特困生: 钱多 is counted.
    _plan(world.other_school, CareGroup.LEFT_BEHIND, CareGroup.POOR)
    kept = school_counts(world.county, as_of=AS_OF)
    assert kept == scratch()
    assert kept[world.other_school.pk]["talk_completion_due"] == 3


def test_the_drill_down_lists_the_poor_pupil_under_talks_not_files(poor):
    world = poor
    talks = drill_down(world.school, "talk_completion", as_of=AS_OF, children=Child.objects.all())
    assert world.school_child.pk in talks.counted
    assert (talks.numerator, talks.denominator) == _figures(world.school)["talk_completion"]
    files = drill_down(world.school, "filing_rate", as_of=AS_OF, children=Child.objects.all())
    assert world.school_child.pk not in files.counted + files.not_counted
    other = drill_down(
        world.other_school, "talk_completion", as_of=AS_OF, children=Child.objects.all()
    )
    assert world.other_poor.pk not in other.counted + other.not_counted
    # Per class: 李明's class counts his talk.
    rows = {
        r.org.pk: r
        for r in sub_org_indicators(world.school, as_of=AS_OF, children=Child.objects.all())
    }
    talk = rows[world.school_child.school_class_id].get("talk_completion")
    assert (talk.numerator, talk.denominator) == (1, 2)  # 李明 and mentee
