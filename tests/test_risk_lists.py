"""The derived risk in the working lists and on the child's pages: 我的待办 puts children
at high risk first, then medium, then overdue first; the lists show the level as a badge;
the child page and the API give the reasons."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from carenet.accounts.tokens import token_issue
from carenet.alerts.models import OPEN_STATUSES, Alert, AlertRule, Severity
from carenet.alerts.services import alert_raise, alert_resolve, risk_raise
from carenet.care.selectors import my_tasks, week_end
from carenet.care.services import record_create
from carenet.children.models import Child, RiskLevel

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 10, 12)


@pytest.fixture(autouse=True)
def _monday():
    with time_machine.travel(dt.datetime(2026, 10, 12, 9, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture(autouse=True)
def _handled(world, _monday):
    """The world's children start at low risk: the alerts the rules raised on them (their
    parents have not called) are resolved, and the rules do not raise again what a person
    resolved while its condition holds."""
    for alert in Alert.objects.filter(status__in=OPEN_STATUSES):
        alert_resolve(actor=world.user("principal"), alert=alert, note="已与家长联系")
    assert not Child.objects.exclude(risk_level=RiskLevel.LOW).exists()


def _bullying_alert(child):
    """A serious alert the rules never clear (a text signal): medium risk."""
    return alert_raise(
        child=child,
        rule=AlertRule.TEXT_SIGNAL,
        category="bullying",
        key="record:0:bullying",
        severity=Severity.SERIOUS,
        evidence={},
    )


def _talk(world, child, day):
    record_create(
        actor=world.user("teacher"), child=child, kind="talk", date=day, summary="谈心，情绪稳定"
    )


def test_an_alert_makes_the_risk_and_the_worklist_puts_it_before_overdue_work(world):
    # 曾小雨 (the mentee) talked with on Friday: her talk is due this week, not overdue;
    # 王子涵 has had no talk: overdue. At equal risk the overdue task comes first …
    _talk(world, world.mentee, dt.date(2026, 10, 9))
    teacher = world.user("teacher")
    tasks = my_tasks(teacher, as_of=MONDAY, until=week_end(MONDAY))
    assert tasks[0].child.pk == world.own_child.pk and tasks[0].overdue
    # … an alert of bullying makes 曾小雨's risk medium: her tasks come first.
    _bullying_alert(world.mentee)
    assert Child.objects.get(pk=world.mentee.pk).risk_level == RiskLevel.MEDIUM
    tasks = my_tasks(teacher, as_of=MONDAY, until=week_end(MONDAY))
    order = [t.child.pk for t in tasks]
    first = order.count(world.mentee.pk)
    assert order[:first] == [world.mentee.pk] * first
    assert not [t for t in tasks[:first] if t.kind == "talk"][0].overdue
    assert all(t.child.pk == world.own_child.pk for t in tasks[first:])


def test_high_risk_comes_before_medium(world):
    _bullying_alert(world.mentee)  # medium
    risk_raise(actor=world.user("teacher"), child=world.own_child, level="high", reason="独自在家")
    tasks = my_tasks(world.user("teacher"), as_of=MONDAY, until=week_end(MONDAY))
    levels = [t.child.risk_level for t in tasks]
    assert levels == sorted(levels, key=["high", "medium", "low"].index)
    assert levels[0] == "high" and "medium" in levels


def test_the_worklist_page_shows_the_level_as_a_badge_first(world, client):
    _bullying_alert(world.mentee)
    client.force_login(world.user("teacher"))
    page = client.get("/care/tasks/").content.decode()
    assert "中风险" in page
    assert page.index(world.mentee.name) < page.index(world.own_child.name)


def test_the_children_list_puts_children_at_risk_first_with_a_badge(world, client):
    risk_raise(actor=world.user("principal"), child=world.school_child, level="high", reason="受伤")
    _bullying_alert(world.mentee)
    client.force_login(world.user("principal"))
    page = client.get("/children/").content.decode()
    assert 'data-risk="high"' in page and 'data-risk="medium"' in page
    positions = [page.index(c.name) for c in (world.school_child, world.mentee, world.own_child)]
    assert positions == sorted(positions)


def test_the_pairing_list_shows_the_unpaired_at_risk_first_with_a_badge(world, client):
    risk_raise(
        actor=world.user("principal"), child=world.own_child, level="high", reason="独自在家"
    )
    client.force_login(world.user("principal"))
    page = client.get(f"/pairing/{world.school.pk}/").content.decode()
    assert "高风险" in page


def test_the_child_page_shows_the_level_and_its_reasons(world, client):
    _bullying_alert(world.own_child)
    risk_raise(
        actor=world.user("teacher"), child=world.own_child, level="high", reason="家访发现独自在家"
    )
    client.force_login(world.user("teacher"))
    page = client.get(f"/children/{world.own_child.pk}/").content.decode()
    assert 'id="risk-reasons"' in page
    assert "记录中的危险信号：欺凌" in page and "人工调高：家访发现独自在家" in page


def test_a_child_at_low_risk_shows_no_reasons(world, client):
    client.force_login(world.user("teacher"))
    page = client.get(f"/children/{world.own_child.pk}/").content.decode()
    assert 'data-field="risk_level"' in page and 'id="risk-reasons"' not in page


def test_the_child_form_no_longer_types_the_risk(world, client):
    client.force_login(world.user("teacher"))
    page = client.get(f"/children/{world.own_child.pk}/edit/").content.decode()
    assert 'name="risk_level"' not in page


def test_the_api_child_file_gives_the_reasons(world, client):
    _bullying_alert(world.own_child)
    _, key = token_issue(user=world.user("teacher"))
    body = client.get(
        f"/api/v1/children/{world.own_child.pk}", HTTP_AUTHORIZATION=f"Bearer {key}"
    ).json()
    assert body["risk_level"] == "medium"
    assert body["risk_reasons"] == ["记录中的危险信号：欺凌"]
    other = client.get(
        f"/api/v1/children/{world.mentee.pk}", HTTP_AUTHORIZATION=f"Bearer {key}"
    ).json()
    assert (other["risk_level"], other["risk_reasons"]) == ("low", [])
