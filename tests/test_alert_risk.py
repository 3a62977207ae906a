"""The derived risk level: it follows the open alerts and the individual plans as they
change, a raise by hand never goes below the rules, and the API answers with it."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from carenet.accounts.tokens import token_issue
from carenet.alerts import services
from carenet.alerts.models import Alert
from carenet.care.services import record_create
from carenet.childplans.services import individual_plan_close, individual_plan_open
from carenet.children.models import Child, RiskLevel
from carenet.lib.idcard import make_id_number
from tests.factories import child_add

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _risk(child: Child) -> str:
    child.refresh_from_db()
    return child.risk_level


def _kid(world) -> Child:
    return child_add(world.class_1, name="陈晨", village=world.village)


def test_a_severe_signal_makes_the_risk_high_as_the_record_is_saved(world):
    child = _kid(world)
    assert _risk(child) == RiskLevel.LOW
    record_create(
        actor=world.user("teacher"), child=child, kind="talk", date=TODAY, summary="他说不想活了"
    )
    assert _risk(child) == RiskLevel.HIGH
    alert = Alert.objects.get(child=child)
    services.alert_resolve(actor=world.user("teacher"), alert=alert, note="已联系家长，陪同就医")
    assert _risk(child) == RiskLevel.LOW


def test_a_serious_signal_makes_it_medium(world):
    child = _kid(world)
    record_create(
        actor=world.user("teacher"),
        child=child,
        kind="talk",
        date=TODAY,
        summary="他说在学校被欺负了",
    )
    assert _risk(child) == RiskLevel.MEDIUM


def test_an_open_individual_plan_makes_it_medium_until_closed(world):
    child = _kid(world)
    plan = individual_plan_open(
        actor=world.user("teacher"),
        child=child,
        reason="truancy",
        goals="按时到校",
        measures="每天电话提醒",
        responsible=world.user("teacher"),
        opened_on=TODAY,
    )
    assert _risk(child) == RiskLevel.MEDIUM
    individual_plan_close(plan=plan, closed_on=TODAY, summary="已按时到校")
    assert _risk(child) == RiskLevel.LOW


def test_a_raise_by_hand_never_goes_below_the_rules(world):
    child = _kid(world)
    record_create(
        actor=world.user("teacher"), child=child, kind="talk", date=TODAY, summary="他说不想活了"
    )
    for level in (RiskLevel.MEDIUM, RiskLevel.HIGH):
        with pytest.raises(ValidationError) as exc:
            services.risk_raise(
                actor=world.user("teacher"), child=child, level=level, reason="人工调整"
            )
        assert "level" in exc.value.message_dict
    assert _risk(child) == RiskLevel.HIGH


def test_a_raise_by_hand_holds_after_the_alerts_close(world):
    child = _kid(world)
    services.risk_raise(
        actor=world.user("teacher"), child=child, level=RiskLevel.MEDIUM, reason="家中变故"
    )
    assert _risk(child) == RiskLevel.MEDIUM
    record_create(
        actor=world.user("teacher"), child=child, kind="talk", date=TODAY, summary="他说不想活了"
    )
    assert _risk(child) == RiskLevel.HIGH
    alert = Alert.objects.get(child=child)
    services.alert_resolve(actor=world.user("teacher"), alert=alert, note="已处理")
    assert _risk(child) == RiskLevel.MEDIUM
    services.risk_raise(actor=world.user("teacher"), child=child, level="", reason="")
    assert _risk(child) == RiskLevel.LOW


def _post(client, world, **extra):
    _, key = token_issue(user=world.user("teacher"))
    body = {
        "name": "刘洋",
        "id_number": make_id_number("340827", dt.date(2016, 5, 6), 101, "M"),
        "class": world.class_1.code,
        "village": world.village.code,
        "guardian": {"name": "刘奶奶", "kinship": "祖母", "age": 68},
        **extra,
    }
    return client.post(
        "/api/v1/children",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def test_the_api_takes_a_level_above_low_as_a_raise_by_hand(client, world):
    response = _post(client, world, risk_level="high")
    assert response.status_code == 201, response.content
    assert response.json()["risk_level"] == "high"
    child = Child.objects.get(pk=response.json()["id"])
    assert child.risk_floor == RiskLevel.HIGH and child.risk_floor_reason == "建档时录入"
    assert child.risk_floor_by == world.user("teacher")


def test_the_api_answers_the_derived_level_for_low(client, world):
    response = _post(client, world, risk_level="low")
    assert response.status_code == 201, response.content
    assert response.json()["risk_level"] == "low"
    assert Child.objects.get(pk=response.json()["id"]).risk_floor == ""


def test_the_api_refuses_an_unknown_level(client, world):
    response = _post(client, world, risk_level="extreme")
    assert response.status_code == 422
    assert not Child.objects.filter(name="刘洋").exists()
