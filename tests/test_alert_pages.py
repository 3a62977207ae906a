"""The alert pages (预警): who sees which alerts, the inbox of each role, each action's
success and refusals, the history kept, the evidence hidden from those who may not read
a confidential record, an individual plan opened from an alert, and the raise of a
child's risk by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from carenet.alerts import services
from carenet.alerts.models import Alert, AlertAction, AlertEvent, AlertRule, AlertStatus, Severity
from carenet.alerts.selectors import assignable_users, inbox
from carenet.care.models import CareKind, CareRecord
from carenet.childplans.models import IndividualPlan, Reason
from carenet.children.access import Permission, user_may
from carenet.children.models import Child, RiskLevel
from carenet.orgs.models import Role
from tests.factories import user_add

pytestmark = pytest.mark.django_db

CHILDREN = ["own_child", "mentee", "school_child", "villager_elsewhere", "outsider"]
# The children whose alerts each role handles (HANDLE_ALERTS), read from the org tree.
HANDLES = {
    "teacher": {"own_child", "mentee"},  # the class, and the mentee of another class
    "village_director": {"own_child", "mentee", "school_child", "villager_elsewhere"},
    "principal": {"own_child", "mentee", "school_child"},
    "township_supervisor": {"own_child", "mentee", "school_child", "villager_elsewhere"},
    "stranger_teacher": {"villager_elsewhere", "outsider"},
    "county_admin": set(),
    "nobody": set(),
}


def _raise(child: Child, key: str = "k", severity: str = Severity.SERIOUS, **extra) -> Alert:
    alert = services.alert_raise(
        child=child,
        rule=extra.pop("rule", AlertRule.NO_PARENT_CONTACT),
        key=key,
        severity=severity,
        evidence=extra.pop("evidence", {"days": 45}),
        **extra,
    )
    assert alert is not None
    return alert


@pytest.fixture
def world(world):
    """The world without the alerts its files raise through the rules (each test raises
    its own), the children's risk derived again."""
    Alert.objects.all().delete()
    for child in Child.objects.all():
        services.risk_refresh(child)
    return world


@pytest.fixture
def alerts(world) -> dict[str, Alert]:
    return {attr: _raise(getattr(world, attr)) for attr in CHILDREN}


def _events(alert: Alert) -> list[str]:
    return list(AlertEvent.objects.filter(alert=alert).values_list("action", flat=True))


# --- who sees what --------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(HANDLES))
def test_each_role_sees_exactly_the_alerts_of_the_children_it_handles(world, alerts, client, role):
    client.force_login(world.user(role))
    for attr, alert in alerts.items():
        status = client.get(f"/alerts/{alert.pk}/").status_code
        assert status == (200 if attr in HANDLES[role] else 404), f"{role} {attr}"
    response = client.get("/alerts/?tab=open")
    if not HANDLES[role] and role in ("county_admin", "nobody"):
        assert response.status_code == 403
        return
    shown = {r.alert.child.name for r in response.context["rows"]}
    assert shown == {getattr(world, a).name for a in HANDLES[role]}, role
    body = response.content.decode()
    for attr in set(CHILDREN) - HANDLES[role]:
        assert getattr(world, attr).name not in body, f"{role} sees {attr}"


def test_the_county_sees_no_alert_and_may_not_act_on_one(world, alerts, client):
    client.force_login(world.user("county_admin"))
    alert = alerts["own_child"]
    assert client.get("/alerts/").status_code == 403
    assert client.post(f"/alerts/{alert.pk}/resolve/", {"resolve-note": "x"}).status_code == 404
    assert client.post(f"/alerts/{alert.pk}/note/", {"note-note": "x"}).status_code == 404
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert _events(alert) == [AlertAction.RAISED]
    body = client.get(f"/children/{world.own_child.pk}/").content.decode()
    assert 'id="child-alerts"' not in body


def test_an_alert_out_of_scope_is_404_for_every_action(world, alerts, client):
    client.force_login(world.user("teacher"))
    alert = alerts["outsider"]
    for action in ("acknowledge", "assign", "escalate", "note", "resolve", "reopen"):
        response = client.post(f"/alerts/{alert.pk}/{action}/", {"note-note": "x"})
        assert response.status_code == 404, action
    assert _events(alert) == [AlertAction.RAISED]


# --- the inbox ------------------------------------------------------------------------


def _inbox(client, user: User, tab: str = "mine") -> set[str]:
    client.force_login(user)
    response = client.get(f"/alerts/?tab={tab}")
    assert response.status_code == 200
    return {r.alert.child.name for r in response.context["rows"]}


def test_the_inbox_holds_the_alerts_owned_assigned_or_escalated_to_the_user(world, alerts, client):
    teacher, director = world.user("teacher"), world.user("village_director")
    principal, supervisor = world.user("principal"), world.user("township_supervisor")
    # Owners: the mentor (mentee), the class teacher (own_child), else the village
    # director (school_child: its class has no teacher).
    assert _inbox(client, teacher) == {world.own_child.name, world.mentee.name}
    assert _inbox(client, director) == {world.school_child.name}
    assert _inbox(client, principal) == set()
    assert _inbox(client, supervisor) == set()
    services.alert_escalate(actor=teacher, alert=alerts["own_child"], note="")
    assert _inbox(client, principal) == {world.own_child.name}
    assert _inbox(client, supervisor) == {world.own_child.name}
    assert _inbox(client, director) == {world.school_child.name}  # receives no escalation
    services.alert_assign(actor=principal, alert=alerts["school_child"], assignee=principal)
    assert _inbox(client, principal) == {world.own_child.name, world.school_child.name}
    # Closed alerts leave the inbox for the 已关闭 tab.
    services.alert_resolve(actor=teacher, alert=alerts["mentee"], note="已家访")
    assert _inbox(client, teacher) == {world.own_child.name}
    assert _inbox(client, teacher, "closed") == {world.mentee.name}


def test_the_inbox_puts_the_severest_first_and_filters(world, client):
    teacher = world.user("teacher")
    _raise(world.own_child, "notice", Severity.NOTICE, rule=AlertRule.CARE_OVERDUE)
    _raise(world.mentee, "severe", Severity.SEVERE, rule=AlertRule.LIVING_ALONE)
    _raise(world.own_child, "serious", Severity.SERIOUS)
    client.force_login(teacher)
    rows = client.get("/alerts/").context["rows"]
    assert [r.alert.severity for r in rows] == ["severe", "serious", "notice"]
    rows = client.get("/alerts/?severity=notice").context["rows"]
    assert [r.alert.rule for r in rows] == [AlertRule.CARE_OVERDUE]
    rows = client.get(f"/alerts/?rule={AlertRule.LIVING_ALONE}").context["rows"]
    assert [r.alert.child_id for r in rows] == [world.mentee.pk]
    # A filter that is not a choice shows the whole tab, not an error.
    assert len(client.get("/alerts/?severity=bogus").context["rows"]) == 3


def test_an_empty_inbox_says_so_in_chinese(world, client):
    client.force_login(world.user("principal"))
    body = client.get("/alerts/").content.decode()
    assert "暂无待您处理的预警" in body


def test_the_inbox_pages(world, client):
    for n in range(25):
        _raise(world.own_child, f"k{n}")
    client.force_login(world.user("teacher"))
    first = client.get("/alerts/?tab=mine")
    assert len(first.context["rows"]) == 20
    second = client.get("/alerts/?tab=mine&page=2")
    assert len(second.context["rows"]) == 5


def test_the_evidence_of_a_file_rule_is_shown_in_words(world, client):
    alert = _raise(
        world.own_child,
        "member:guardian",
        rule=AlertRule.GUARDIAN_FRAIL,
        evidence={"member": "guardian", "member_id": 1, "age": 78, "health": "卧床"},
    )
    client.force_login(world.user("teacher"))
    body = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "委托监护人" in body and "78" in body and "卧床" in body
    assert "member_id" not in body


def test_the_menu_and_the_first_screen_count_the_inbox(world, alerts, client):
    _raise(world.mentee, "living", Severity.SEVERE, rule=AlertRule.LIVING_ALONE)
    client.force_login(world.user("teacher"))
    body = client.get("/").content.decode()
    assert 'id="nav-alerts"' in body
    assert 'data-figure="home-alerts">3<' in body
    assert "严重 1" in body
    client.force_login(world.user("county_admin"))
    body = client.get("/").content.decode()
    assert 'id="nav-alerts"' not in body and 'id="home-alerts"' not in body


# --- actions ----------------------------------------------------------------------------


def test_acknowledge_assign_escalate_note_and_resolve(world, alerts, client):
    teacher, principal = world.user("teacher"), world.user("principal")
    alert = alerts["own_child"]
    client.force_login(teacher)
    url = f"/alerts/{alert.pk}/"
    response = client.post(url + "acknowledge/", {"ack-note": "已知悉"}, follow=True)
    assert "已确认" in response.content.decode()
    response = client.post(url + "assign/", {"assign-assignee": principal.pk})
    assert response.status_code == 302
    client.post(url + "escalate/", {"esc-note": "需学校介入"})
    client.post(url + "note/", {"note-note": "已联系监护人"})
    client.post(url + "resolve/", {"resolve-note": "监护人已落实照护"})
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.assigned_to == principal and alert.escalated_at is not None
    assert alert.closed_by == teacher and alert.resolution == "监护人已落实照护"
    assert _events(alert) == [
        AlertAction.RAISED,
        AlertAction.ACKNOWLEDGED,
        AlertAction.ASSIGNED,
        AlertAction.ESCALATED,
        AlertAction.NOTE,
        AlertAction.RESOLVED,
    ]
    body = client.get(url).content.decode()
    for text in ("已知悉", "需学校介入", "已联系监护人", "监护人已落实照护"):
        assert text in body  # the whole history is shown
    response = client.post(url + "reopen/", {"reopen-note": "情况再次出现"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert len(_events(alert)) == 7  # nothing deleted


def test_a_note_and_a_resolution_need_words_and_the_page_says_so(world, alerts, client):
    alert = alerts["own_child"]
    client.force_login(world.user("teacher"))
    for action, prefix in (("note", "note"), ("resolve", "resolve")):
        response = client.post(f"/alerts/{alert.pk}/{action}/", {f"{prefix}-note": "  "})
        assert response.status_code == 200
        assert "请填写处理情况" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert _events(alert) == [AlertAction.RAISED]


def test_a_closed_alert_refuses_actions_and_keeps_what_was_typed(world, alerts, client):
    alert = alerts["own_child"]
    teacher = world.user("teacher")
    services.alert_resolve(actor=teacher, alert=alert, note="已处理")
    client.force_login(teacher)
    for action, prefix in (("acknowledge", "ack"), ("escalate", "esc"), ("resolve", "resolve")):
        response = client.post(f"/alerts/{alert.pk}/{action}/", {f"{prefix}-note": "再看看"})
        assert response.status_code == 200, action
        assert "该预警已关闭" in response.content.decode(), action
    # A resolved alert reopens, an open one does not.
    response = client.post(f"/alerts/{alert.pk}/reopen/", {"reopen-note": ""})
    assert "请填写处理情况" in response.content.decode()
    client.post(f"/alerts/{alert.pk}/reopen/", {"reopen-note": "又发生了"})
    response = client.post(f"/alerts/{alert.pk}/reopen/", {"reopen-note": "再次"})
    assert "只能重新打开已解决的预警" in response.content.decode()
    assert _events(alert) == [AlertAction.RAISED, AlertAction.RESOLVED, AlertAction.REOPENED]


def test_an_alert_is_assigned_only_to_someone_who_handles_the_childs_alerts(world, alerts, client):
    alert = alerts["school_child"]
    client.force_login(world.user("village_director"))
    response = client.post(
        f"/alerts/{alert.pk}/assign/",
        {"assign-assignee": world.user("teacher").pk, "assign-note": "请班主任跟进"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "该用户不能处理这名儿童的预警" in body
    assert "请班主任跟进" in body  # the note typed is kept
    alert.refresh_from_db()
    assert alert.assigned_to is None
    assert _events(alert) == [AlertAction.RAISED]


def test_the_assignable_users_are_those_the_table_lets_handle_the_child(world):
    user_add("school_admin", Role.SCHOOL_ADMIN, world.school)
    user_add("counselor", Role.COUNSELOR, world.school)
    gone = user_add("gone", Role.PRINCIPAL, world.school)
    gone.is_active = False
    gone.save()
    users = list(User.objects.all())
    for attr in CHILDREN:
        child = getattr(world, attr)
        expected = {
            u.username
            for u in users
            if u.is_active and user_may(u, Permission.HANDLE_ALERTS, child)
        }
        assert {u.username for u in assignable_users(child)} == expected, attr
    names = {u.username for u in assignable_users(world.mentee)}
    assert names == {
        "teacher",
        "village_director",
        "principal",
        "school_admin",
        "counselor",
        "township_supervisor",
    }


# --- evidence ---------------------------------------------------------------------------


def _text_alert(world, *, confidential: bool, author: User) -> Alert:
    record = CareRecord.objects.create(
        child=world.own_child,
        county_code=world.county.code,
        kind=CareKind.TALK,
        date=dt.date(2026, 3, 2),
        summary="今天谈了学习。孩子说在学校被同学打了，不想上学！之后一起吃了午饭。",
        confidential=confidential,
        author=author,
    )
    return _raise(
        world.own_child,
        f"record:{record.pk}:bullying",
        rule=AlertRule.TEXT_SIGNAL,
        category="bullying",
        evidence={
            "record": record.pk,
            "record_kind": CareKind.TALK,
            "date": "2026-03-02",
            "field": "summary",
            "phrase": "被同学打了",
        },
    )


def test_the_phrase_that_fired_is_shown_in_its_sentence(world, client):
    alert = _text_alert(world, confidential=False, author=world.user("principal"))
    client.force_login(world.user("teacher"))
    body = client.get(f"/alerts/{alert.pk}/").content.decode()
    # The sentence is cut from the record (the evidence keeps only the phrase).
    assert "孩子说在学校<mark>被同学打了</mark>，不想上学！<" in body
    assert "今天谈了学习" not in body and "午饭" not in body
    assert "谈心" in body and "2026-03-02" in body and "内容" in body


def test_a_confidential_phrase_is_hidden_from_who_may_not_read_the_record(world, client):
    author = user_add("author", Role.TEACHER, world.class_1)
    alert = _text_alert(world, confidential=True, author=author)
    for role, shown in (("teacher", False), ("village_director", False), ("principal", True)):
        client.force_login(world.user(role))
        body = client.get(f"/alerts/{alert.pk}/").content.decode()
        assert ("被同学打了" in body) == shown, role
        assert ("（保密记录）" in body) == (not shown), role
    client.force_login(author)
    assert "被同学打了" in client.get(f"/alerts/{alert.pk}/").content.decode()
    # The inbox and the child page name the category, never the phrase.
    client.force_login(world.user("teacher"))
    assert "被同学打了" not in client.get("/alerts/").content.decode()
    assert "被同学打了" not in client.get(f"/children/{world.own_child.pk}/").content.decode()


# --- an individual plan from an alert ------------------------------------------------------


def test_an_individual_plan_opened_from_an_alert_names_it(world, alerts, client):
    alert = alerts["own_child"]
    teacher = world.user("teacher")
    client.force_login(teacher)
    body = client.get(f"/alerts/{alert.pk}/").content.decode()
    url = f"/plans/children/{world.own_child.pk}/individual/new/?alert={alert.pk}"
    assert url.replace("&", "&amp;") in body or url in body
    response = client.get(url)
    assert response.context["form"].initial["reason"] == Reason.FAMILY
    assert "父母长期未联系" in response.context["form"].initial["reason_detail"]
    response = client.post(
        url,
        {
            "reason": Reason.FAMILY,
            "reason_detail": "父母长期未联系",
            "goals": "恢复亲子联系",
            "measures": "每周亲情电话",
            "responsible": teacher.pk,
            "opened_on": "2026-03-02",
        },
    )
    assert response.status_code == 302
    plan = IndividualPlan.objects.get(child=world.own_child)
    assert plan.alert == alert
    # (The plan re-runs the rules on the child: this made-up key may be cleared meanwhile.)
    assert AlertAction.PLAN_OPENED in _events(alert)
    assert AlertEvent.objects.get(alert=alert, action=AlertAction.PLAN_OPENED).actor == teacher


def test_an_alert_of_another_child_is_not_linked_to_a_plan(world, alerts, client):
    teacher = world.user("teacher")
    client.force_login(teacher)
    url = f"/plans/children/{world.own_child.pk}/individual/new/?alert={alerts['mentee'].pk}"
    response = client.get(url)
    assert "reason_detail" not in response.context["form"].initial
    client.post(
        url,
        {
            "reason": Reason.OTHER,
            "reason_detail": "其他",
            "goals": "目标",
            "measures": "措施",
            "responsible": teacher.pk,
            "opened_on": "2026-03-02",
        },
    )
    assert IndividualPlan.objects.get(child=world.own_child).alert is None
    assert _events(alerts["mentee"]) == [AlertAction.RAISED]


# --- the child page and the risk raised by hand -------------------------------------------


def test_the_child_page_lists_the_childs_open_alerts(world, alerts, client):
    client.force_login(world.user("teacher"))
    body = client.get(f"/children/{world.own_child.pk}/").content.decode()
    assert 'id="child-alerts"' in body
    assert f"/alerts/{alerts['own_child'].pk}/" in body
    assert f"/alerts/child/{world.own_child.pk}/risk/" in body


def test_the_risk_is_raised_by_hand_with_a_reason_never_below_the_rules(world, alerts, client):
    child = world.own_child
    client.force_login(world.user("teacher"))
    url = f"/alerts/child/{child.pk}/risk/"
    response = client.get(url)
    assert response.status_code == 200
    assert "父母长期未联系" in response.content.decode()  # the rules' reason
    child.refresh_from_db()
    assert child.risk_level == RiskLevel.MEDIUM
    response = client.post(url, {"level": RiskLevel.MEDIUM, "reason": "x"})
    assert "人工只能调高" in response.content.decode()
    response = client.post(url, {"level": RiskLevel.HIGH, "reason": ""})
    assert "请填写调高风险等级的原因" in response.content.decode()
    response = client.post(url, {"level": RiskLevel.HIGH, "reason": "家中近期变故"})
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.risk_level == RiskLevel.HIGH and child.risk_floor_reason == "家中近期变故"
    client.post(url, {"level": "", "reason": ""})
    child.refresh_from_db()
    assert child.risk_level == RiskLevel.MEDIUM and child.risk_floor == ""


def test_the_risk_page_answers_only_those_who_handle_the_childs_alerts(world, client):
    child = world.own_child
    for role, expected in (
        ("teacher", 200),
        ("principal", 200),
        ("county_admin", 403),
        ("stranger_teacher", 404),
    ):
        client.force_login(world.user(role))
        assert client.get(f"/alerts/child/{child.pk}/risk/").status_code == expected, role
    client.force_login(world.user("county_admin"))
    client.post(f"/alerts/child/{child.pk}/risk/", {"level": "high", "reason": "x"})
    child.refresh_from_db()
    assert child.risk_floor == ""


def test_inbox_selector_and_page_agree(world, alerts, client):
    teacher = world.user("teacher")
    assert {a.child.name for a in inbox(teacher)} == _inbox(client, teacher)
