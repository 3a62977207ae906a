"""A care plan names the children who get scheduled care: left-behind (either
definition), 困境儿童, 特困生, 单亲, 潜能生 — by default the left-behind only."""

import datetime as dt

import pytest
from django.urls import reverse

from carenet.care.models import CareGroup, CarePlan
from carenet.care.presets import DEFAULT_PRESET, preset_plan
from carenet.care.selectors import tasks_for
from carenet.children.access import visible_children
from carenet.children.models import Category, Child, FamilyMember, Relation
from tests.factories import child_add
from tests.test_care_plan_pages import _edit_data

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 10, 12)


def _plan(org, *groups, school_year=2026):
    plan = preset_plan(DEFAULT_PRESET, org=org, school_year=school_year)
    plan.care_groups = list(groups)
    plan.save()
    return plan


def _cared_for(world):
    tasks = tasks_for(visible_children(world.user("county_admin")), as_of=AS_OF)
    return {t.child.name for t in tasks}


@pytest.fixture
def poor(world):
    """李明 (二(1)班, not left-behind) is 特困."""
    Child.objects.filter(pk=world.school_child.pk).update(categories=",poor,")
    return world.school_child


def test_by_default_only_left_behind_children_get_care(world, poor):
    assert CarePlan().groups == {CareGroup.LEFT_BEHIND}
    assert "李明" not in _cared_for(world)
    assert {"王子涵", "曾小雨", "张伟", "赵强"} <= _cared_for(world)


def test_a_plan_naming_poor_pupils_schedules_care_for_a_poor_child(world, poor):
    _plan(world.county, CareGroup.LEFT_BEHIND, CareGroup.POOR)
    assert "李明" in _cared_for(world)


def test_a_plan_that_does_not_name_them_does_not(world, poor):
    _plan(world.county, CareGroup.LEFT_BEHIND, CareGroup.SINGLE_PARENT)
    assert "李明" not in _cared_for(world)


def test_each_school_follows_its_own_plan(world, poor):
    _plan(world.school, CareGroup.POOR)  # 华阳小学: the poor only
    _plan(world.other_school, CareGroup.LEFT_BEHIND)
    cared = _cared_for(world)
    assert "李明" in cared and not {"王子涵", "曾小雨"} & cared
    assert {"张伟", "赵强"} <= cared  # 长岭中学's left-behind


def test_a_distressed_child_is_cared_for_when_the_plan_names_them(world):
    assert Category.DISTRESSED.label == "困境儿童"
    child = child_add(world.class_1, name="孙悦", categories=",distressed,")
    _plan(world.county, CareGroup.DISTRESSED)
    assert _cared_for(world) == {child.name}


def test_the_civil_affairs_definition_needs_both_parents_away_or_unable(world):
    # 曾小雨: mother away, father able → left-behind for the register, not civil affairs.
    # 王子涵: both away → both. A child whose mother is away and father unable → civil.
    unable = child_add(world.class_1, name="钱多", mother_away=dt.date(2025, 2, 1))
    FamilyMember.objects.create(
        child=unable, relation=Relation.FATHER, county_code="340827", name="钱父", can_guard=False
    )
    _plan(world.county, CareGroup.CIVIL_LEFT_BEHIND)
    cared = _cared_for(world)
    assert {"王子涵", "钱多"} <= cared
    assert "曾小雨" not in cared


def test_the_plan_page_edits_the_care_groups_and_the_holiday_handover(client, world):
    plan = _plan(world.school, CareGroup.LEFT_BEHIND, school_year=2026)
    client.force_login(world.user("principal"))
    page = client.get(reverse("care_plan_edit", args=[plan.pk]))
    assert page.status_code == 200 and "特困生" in page.content.decode()
    data = _edit_data(plan, care_groups=["left_behind", "potential"])
    response = client.post(reverse("care_plan_edit", args=[plan.pk]), data)
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.care_groups == ["left_behind", "potential"]
    assert plan.holiday_handover is False  # the box was left unticked
    detail = client.get(reverse("care_plan_detail", args=[plan.pk])).content.decode()
    assert "潜能生" in detail


def test_an_unknown_care_group_is_refused(client, world):
    plan = _plan(world.school, CareGroup.LEFT_BEHIND)
    client.force_login(world.user("principal"))
    data = _edit_data(plan, care_groups=["nobody"])
    response = client.post(reverse("care_plan_edit", args=[plan.pk]), data)
    assert response.status_code == 200 and response.context["form"].errors["care_groups"]
    plan.refresh_from_db()
    assert plan.care_groups == ["left_behind"]


def test_a_village_director_cannot_change_a_plan(client, world):
    plan = _plan(world.school, CareGroup.LEFT_BEHIND)
    client.force_login(world.user("village_director"))
    data = _edit_data(plan, care_groups=["poor"])
    assert client.post(reverse("care_plan_edit", args=[plan.pk]), data).status_code in (403, 404)
    plan.refresh_from_db()
    assert plan.care_groups == ["left_behind"]
