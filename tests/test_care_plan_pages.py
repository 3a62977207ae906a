"""Care plan pages: create from a preset, edit, read; who may and who may not."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from carenet.care.models import CarePlan
from carenet.care.selectors import plan_in_force

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 10, 12, 9, 0, tzinfo=TZ), tick=False):
        yield


def _create(client, world, **overrides):
    data = {"org": world.school.pk, "school_year": 2026, "preset": "monthly_talks"}
    data.update(overrides)
    return client.post("/care/plans/", data)


def _edit_data(plan, **overrides):
    data = {
        "name": "华阳小学关爱留守儿童工作计划",
        "mentor_min": 4,
        "mentor_max": 6,
        "leader": "王校长",
        "members": "李主任、张老师，赵老师",
        "schedule_text": "9：制定计划；建立档案\n10月：中秋、国庆家访",
    }
    for kind in ("talk", "parent_call", "guardian_contact", "home_visit", "letter"):
        data[f"freq_{kind}"] = plan.frequency(kind)
    for key in plan.targets:
        data[f"target_{key}"] = plan.targets[key]
    data.update(overrides)
    return data


def test_a_principal_creates_the_schools_plan_from_a_preset(world, client):
    client.force_login(world.user("principal"))
    response = _create(client, world)
    plan = CarePlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/care/plans/{plan.pk}/edit/"
    assert (plan.org, plan.preset, plan.frequency("talk")) == (
        world.school,
        "monthly_talks",
        "monthly",
    )
    assert plan_in_force(world.class_1, dt.date(2026, 10, 12)) == plan


def test_a_second_plan_for_the_same_year_is_refused(world, client):
    client.force_login(world.user("principal"))
    _create(client, world)
    response = _create(client, world)
    assert response.status_code == 200
    assert "已有工作计划" in response.content.decode()
    assert CarePlan.objects.count() == 1


def test_a_principal_cannot_create_a_plan_for_another_school(world, client):
    client.force_login(world.user("principal"))
    response = _create(client, world, org=world.other_school.pk)
    assert response.status_code == 200 and CarePlan.objects.count() == 0


def test_a_teacher_may_read_plans_but_not_create_one(world, client):
    client.force_login(world.user("teacher"))
    assert client.get("/care/plans/").status_code == 200
    assert _create(client, world).status_code == 403
    assert CarePlan.objects.count() == 0


def test_editing_saves_frequencies_targets_group_and_schedule(world, client):
    client.force_login(world.user("principal"))
    _create(client, world)
    plan = CarePlan.objects.get()
    data = _edit_data(plan, freq_talk="weekly", target_immunization_rate=98)
    response = client.post(f"/care/plans/{plan.pk}/edit/", data)
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.frequency("talk") == "weekly" and plan.targets["immunization_rate"] == 98
    assert plan.leading_group == {"leader": "王校长", "members": ["李主任", "张老师", "赵老师"]}
    assert plan.schedule == [
        {"month": 9, "items": ["制定计划", "建立档案"]},
        {"month": 10, "items": ["中秋、国庆家访"]},
    ]
    assert (plan.mentor_min, plan.mentor_max) == (4, 6)


@pytest.mark.parametrize(
    "overrides, field_message",
    [
        ({"mentor_min": 8, "mentor_max": 6}, "最多结对人数不能少于最少结对人数"),
        ({"schedule_text": "十三月：开会"}, "第1行应写成"),
        ({"schedule_text": "13：开会"}, "月份为1到12"),
        ({"target_filing_rate": 120}, "100"),
        ({"freq_talk": "daily"}, "daily"),
    ],
)
def test_a_bad_edit_is_refused_keeping_what_was_typed(world, client, overrides, field_message):
    client.force_login(world.user("principal"))
    _create(client, world)
    plan = CarePlan.objects.get()
    data = _edit_data(plan, name="改过的名字", **overrides)
    response = client.post(f"/care/plans/{plan.pk}/edit/", data)
    body = response.content.decode()
    assert response.status_code == 200
    assert field_message in body and "改过的名字" in body
    plan.refresh_from_db()
    assert plan.name != "改过的名字"


def test_the_plan_page_shows_the_schedule_with_lunar_festivals(world, client):
    client.force_login(world.user("principal"))
    _create(client, world)
    plan = CarePlan.objects.get()
    body = client.get(f"/care/plans/{plan.pk}/").content.decode()
    assert "中秋节 9/25" in body  # 2026's 中秋 is 25 September
    assert "端午节 6/9" in body  # and 2027's 端午 is 9 June


def test_a_teacher_reads_but_cannot_edit_and_outsiders_get_404(world, client):
    client.force_login(world.user("principal"))
    _create(client, world)
    plan = CarePlan.objects.get()
    client.force_login(world.user("teacher"))
    assert client.get(f"/care/plans/{plan.pk}/").status_code == 200
    assert client.get(f"/care/plans/{plan.pk}/edit/").status_code == 403
    client.force_login(world.user("stranger_teacher"))
    assert client.get(f"/care/plans/{plan.pk}/").status_code == 404
    assert client.post(f"/care/plans/{plan.pk}/edit/", {}).status_code == 404


def test_the_county_plan_is_inherited_by_every_school(world, client):
    client.force_login(world.user("county_admin"))
    _create(client, world, org=world.county.pk, preset="weekly_talks")
    county_plan = CarePlan.objects.get()
    assert plan_in_force(world.other_class, dt.date(2026, 10, 12)) == county_plan
    client.force_login(world.user("principal"))
    _create(client, world)
    assert plan_in_force(world.class_1, dt.date(2026, 10, 12)).org == world.school
    assert plan_in_force(world.other_class, dt.date(2026, 10, 12)) == county_plan
