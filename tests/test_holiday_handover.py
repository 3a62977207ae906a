"""The winter and summer breaks hand the home visits and calls of the school children
living in a village to the village director (the seeds' 寒暑假以村民组为单位), when the
plan says so; they are back with the school at the start of term."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from carenet.care.models import CareKind
from carenet.care.presets import DEFAULT_PRESET, preset_plan
from carenet.care.selectors import SCHOOL, VILLAGE, my_children, my_tasks, tasks_for
from carenet.care.services import record_create
from carenet.children.access import visible_children
from tests.test_indicators_speed import _figures, _from_scratch

pytestmark = pytest.mark.django_db

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
SUMMER = dt.date(2027, 7, 20)  # the summer break of school year 2026
TERM_START = dt.date(2027, 9, 6)  # a Monday of the autumn term of 2027
VILLAGE_KINDS = {CareKind.HOME_VISIT, CareKind.PARENT_CALL, CareKind.GUARDIAN_CONTACT}


def _on(day):
    return time_machine.travel(dt.datetime.combine(day, dt.time(9), tzinfo=TZ), tick=False)


def _kinds(tasks, child):
    return {t.kind for t in tasks if t.child.pk == child.pk}


@pytest.fixture
def visited(world):
    """王子涵 (一(1)班, 红星村) last had a home visit in April; today is in the summer break."""
    with _on(SUMMER):
        record_create(
            actor=world.user("teacher"),
            child=world.own_child,
            kind=CareKind.HOME_VISIT,
            date=dt.date(2027, 4, 1),
            summary="春季家访",
        )
        yield world.own_child


def test_in_the_summer_break_the_village_director_does_the_home_visits(world, visited):
    director = world.user("village_director")
    tasks = my_tasks(director, as_of=SUMMER)
    assert _kinds(tasks, visited) == VILLAGE_KINDS
    [visit] = [t for t in tasks if t.child.pk == visited.pk and t.kind == CareKind.HOME_VISIT]
    assert visit.side == VILLAGE and visit.overdue  # due in July, not waiting for September
    assert visited in my_children(director, SUMMER)


def test_in_the_summer_break_the_teacher_keeps_only_the_school_side_work(world, visited):
    tasks = my_tasks(world.user("teacher"), as_of=SUMMER)
    assert not _kinds(tasks, visited) & VILLAGE_KINDS
    assert CareKind.TALK in _kinds(tasks, visited)  # waits for the term, still theirs


def test_a_child_living_in_another_village_goes_to_that_village(world, visited):
    # 张伟 lives in 红星村 but goes to 长岭中学: 红星村's director, not the school's village.
    tasks = my_tasks(world.user("village_director"), as_of=SUMMER)
    assert _kinds(tasks, world.villager_elsewhere) == VILLAGE_KINDS
    assert not _kinds(tasks, world.outsider)  # lives in 长岭村


def test_at_the_start_of_term_the_work_is_back_with_the_school(world, visited):
    director_tasks = my_tasks(world.user("village_director"), as_of=TERM_START)
    assert not _kinds(director_tasks, visited)
    assert visited not in my_children(world.user("village_director"), TERM_START)
    teacher_tasks = my_tasks(world.user("teacher"), as_of=TERM_START)
    assert VILLAGE_KINDS <= _kinds(teacher_tasks, visited)
    assert all(t.side == SCHOOL for t in teacher_tasks)


def test_a_plan_without_the_handover_keeps_the_work_at_school(world, visited):
    plan = preset_plan(DEFAULT_PRESET, org=world.county, school_year=2026)
    plan.holiday_handover = False
    plan.save()
    assert not _kinds(my_tasks(world.user("village_director"), as_of=SUMMER), visited)
    assert VILLAGE_KINDS <= _kinds(my_tasks(world.user("teacher"), as_of=SUMMER), visited)


def test_the_principals_school_view_leaves_out_the_handed_over_work(client, world, visited):
    client.force_login(world.user("principal"))
    response = client.get(reverse("care_tasks"))
    school_tasks = response.context["school_tasks"]
    assert not _kinds(school_tasks, visited) & VILLAGE_KINDS


def test_the_village_directors_page_shows_the_handed_over_visit(client, world, visited):
    client.force_login(world.user("village_director"))
    response = client.get(reverse("care_tasks"))
    assert response.status_code == 200
    assert ("王子涵", CareKind.HOME_VISIT) in {
        (t.child.name, t.kind) for t in response.context["tasks"]
    }


def test_every_task_has_one_owner_in_the_break(world, visited):
    everything = tasks_for(visible_children(world.user("county_admin")), as_of=SUMMER)
    owners = {(t.child.pk, t.kind): t.side for t in everything}
    assert owners[visited.pk, CareKind.HOME_VISIT] == VILLAGE
    assert owners[visited.pk, CareKind.TALK] == SCHOOL


def test_the_indicators_count_the_break_as_the_working_lists_do(world, visited):
    for day in (SUMMER, TERM_START, dt.date(2027, 1, 25)):
        assert _figures(world.county, day) == _from_scratch(world.county, day), day
        assert _figures(world.school, day) == _from_scratch(world.school, day), day
