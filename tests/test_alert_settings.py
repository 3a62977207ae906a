"""The care plan's early-warning settings (预警规则): saved by plan managers, bounds
refused with the value kept, defaults where nothing is saved."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from carenet.alerts.rules import HOURS, RULES, config_of
from carenet.alerts.settings import plan_rules_save
from carenet.care.models import CarePlan
from carenet.care.services import plan_create

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 10, 12, 9, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def plan(world) -> CarePlan:
    return plan_create(actor=None, org=world.school, school_year=2026, preset="monthly_talks")


def _form_data(**overrides):
    """The page's form as shown with the defaults."""
    data = {}
    for rule, spec in RULES.items():
        if spec.on:
            data[f"{rule}__on"] = "on"
        for name, param in spec.params.items():
            data[f"{rule}__{name}"] = str(param.default)
    for name, param in HOURS.items():
        data[f"hours__{name}"] = str(param.default)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_plan_with_nothing_saved_takes_the_defaults(plan):
    config = config_of(plan)
    assert plan.alert_rules == {}
    assert config.rule("absence").on and config.rule("absence")["count"] == 3
    assert config.hours["escalate"] == HOURS["escalate"].default


def test_the_principal_saves_thresholds_switches_and_hours(world, client, plan):
    client.force_login(world.user("principal"))
    response = client.post(
        f"/alert-rules/plans/{plan.pk}/",
        _form_data(absence__count="5", care_overdue__on=None, hours__report="12"),
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    # Only what differs from the defaults is stored.
    assert plan.alert_rules == {
        "absence": {"count": 5},
        "care_overdue": {"on": False},
        "hours": {"report": 12},
    }
    config = config_of(plan)
    assert config.rule("absence")["count"] == 5 and config.rule("absence")["days"] == 30
    assert not config.rule("care_overdue").on
    assert config.hours["report"] == 12


def test_the_page_shows_the_saved_values(world, client, plan):
    plan_rules_save(actor=world.user("principal"), plan=plan, data={"absence": {"count": 7}})
    client.force_login(world.user("principal"))
    page = client.get(f"/alert-rules/plans/{plan.pk}/").content.decode()
    assert 'name="absence__count"' in page and 'value="7"' in page
    assert str(RULES["absence"].help) in page


def test_a_value_out_of_bounds_is_refused_with_the_value_kept(world, client, plan):
    client.force_login(world.user("principal"))
    response = client.post(
        f"/alert-rules/plans/{plan.pk}/", _form_data(absence__count="99", hours__report="0")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "缺勤次数应在 1 到 30" in page and 'value="99"' in page
    assert "强制报告应在发现后（小时）内完成应在 1 到 168" in page and 'value="0"' in page
    plan.refresh_from_db()
    assert plan.alert_rules == {}


def test_the_service_refuses_what_is_not_a_whole_number(world, plan):
    with pytest.raises(ValidationError) as refused:
        plan_rules_save(
            actor=world.user("principal"), plan=plan, data={"no_parent_contact": {"days": "x"}}
        )
    assert "no_parent_contact__days" in refused.value.message_dict
    plan.refresh_from_db()
    assert plan.alert_rules == {}


def test_an_empty_value_is_refused(world, client, plan):
    client.force_login(world.user("principal"))
    response = client.post(f"/alert-rules/plans/{plan.pk}/", _form_data(absence__days=""))
    assert response.status_code == 200 and "请填写统计天数" in response.content.decode()


@pytest.mark.parametrize("name", ["teacher", "township_supervisor"])
def test_who_reads_the_plan_but_does_not_manage_it_is_refused(world, client, plan, name):
    client.force_login(world.user(name))
    assert client.get(f"/care/plans/{plan.pk}/").status_code == 200
    assert client.get(f"/alert-rules/plans/{plan.pk}/").status_code == 403
    assert client.post(f"/alert-rules/plans/{plan.pk}/", _form_data()).status_code == 403
    with pytest.raises(PermissionDenied):
        plan_rules_save(actor=world.user(name), plan=plan, data={"absence": {"count": 5}})


@pytest.mark.parametrize("name", ["stranger_teacher", "village_director"])
def test_a_plan_out_of_sight_is_404(world, client, plan, name):
    client.force_login(world.user(name))
    assert client.get(f"/alert-rules/plans/{plan.pk}/").status_code == 404


def test_the_county_admin_manages_the_schools_plan(world, client, plan):
    client.force_login(world.user("county_admin"))
    assert client.get(f"/alert-rules/plans/{plan.pk}/").status_code == 200


def test_the_plan_page_links_the_settings_for_managers_only(world, client, plan):
    client.force_login(world.user("principal"))
    assert (
        f"/alert-rules/plans/{plan.pk}/" in client.get(f"/care/plans/{plan.pk}/").content.decode()
    )
    client.force_login(world.user("teacher"))
    assert "/alert-rules/" not in client.get(f"/care/plans/{plan.pk}/").content.decode()
