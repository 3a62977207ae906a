"""The early-warning rules: crafted children raise exactly the alerts expected, as the
file or a record is saved, and the daily sweep brings the time rules up to date."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from carenet.alerts import jobs, services
from carenet.alerts.models import Alert, AlertAction, AlertEvent, AlertStatus, Severity
from carenet.care.models import CarePlan
from carenet.care.presets import DEFAULT_PRESET
from carenet.care.selectors import tasks_for
from carenet.care.services import (
    absence_delete,
    absence_record,
    plan_create,
    record_create,
    score_record,
)
from carenet.children.models import Child, ChildStatus, LeaveReason
from carenet.children.services import child_leave, family_member_save
from tests.factories import child_add

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TODAY = NOW.date()
# The rules that read the file only: those that need no care schedule or contact.
QUIET = {"care_overdue": {"on": False}, "no_parent_contact": {"on": False}}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def plan(world) -> CarePlan:
    plan = plan_create(actor=None, org=world.school, school_year=2026, preset=DEFAULT_PRESET)
    plan.alert_rules = dict(QUIET)
    plan.save()
    return plan


def _rules(plan: CarePlan, **rules) -> None:
    plan.alert_rules = {**QUIET, **rules}
    plan.save()


def _open(child: Child) -> set[tuple[str, str]]:
    return {
        (a.rule, a.key)
        for a in Alert.objects.filter(child=child, status__in=("open", "acknowledged"))
    }


def _alert(child: Child, rule: str) -> Alert:
    return Alert.objects.get(child=child, rule=rule, status__in=("open", "acknowledged"))


def _kid(world, name="陈晨", **kw) -> Child:
    return child_add(world.class_1, name=name, village=world.village, **kw)


def _guardian(child, **data):
    return family_member_save(actor=None, child=child, relation="guardian", data=data)


def _talk(world, child, summary, kind="talk", details=None):
    return record_create(
        actor=world.user("teacher"),
        child=child,
        kind=kind,
        date=TODAY,
        summary=summary,
        details=details or {},
    )


# --- the file ---------------------------------------------------------------------------


def test_a_child_with_nothing_wrong_has_no_alert(world, plan):
    _rules(plan)  # every rule on except the two of care work
    child = _kid(world)
    _guardian(child, name="陈奶奶", age=66, health="良好", guardianship_quality="good")
    assert _open(child) == set()


def test_no_guardian_is_severe_with_a_report_due_and_nothing_else(world, plan):
    child = _kid(world)
    _guardian(child, guardianship_quality="none")
    assert _open(child) == {("no_guardian", "member:guardian")}
    alert = _alert(child, "no_guardian")
    assert alert.severity == Severity.SEVERE and alert.report_due
    assert alert.evidence == {
        "member": "guardian",
        "member_id": child.family.get(relation="guardian").pk,
        "guardianship_quality": "none",
    }
    child.refresh_from_db()
    assert child.risk_level == "high"


def test_a_guardian_assessed_poor_raises_guardian_poor(world, plan):
    child = _kid(world)
    _guardian(child, name="陈爷爷", age=60, guardianship_quality="poor")
    assert _open(child) == {("guardian_poor", "member:guardian")}
    assert not _alert(child, "guardian_poor").report_due


def test_a_home_visit_rating_the_guardian_poor_raises_and_a_better_visit_clears(world, plan):
    child = _kid(world)
    _talk(world, child, "家访", kind="home_visit", details={"guardian_capacity": "poor"})
    assert _open(child) == {("guardian_poor", "home_visit")}
    _talk(world, child, "再次家访", kind="home_visit", details={"guardian_capacity": "fair"})
    assert _open(child) == set()
    assert Alert.objects.get(child=child).status == AlertStatus.CLEARED


@pytest.mark.parametrize(
    "age, health, expected",
    [
        (75, "良好", {("guardian_frail", "guardian"), ("entrusted_unsuitable", "guardian")}),
        (60, "长期卧床", {("guardian_frail", "guardian"), ("entrusted_unsuitable", "guardian")}),
        (60, "较差", {("guardian_frail", "guardian"), ("entrusted_unsuitable", "guardian")}),
        (60, "不差", set()),
        (70, "一般", set()),  # not over 70
        (16, "健康", {("entrusted_unsuitable", "guardian")}),
    ],
)
def test_the_entrusted_guardians_age_and_health(world, plan, age, health, expected):
    child = _kid(world)
    _guardian(child, name="陈某", age=age, health=health)
    assert _open(child) == expected


def test_a_guardian_unable_to_guard_is_unsuitable(world, plan):
    child = _kid(world)
    _guardian(child, name="陈某", age=40, can_guard=False)
    assert _open(child) == {("entrusted_unsuitable", "guardian")}
    evidence = _alert(child, "entrusted_unsuitable").evidence
    assert evidence["can_guard"] is False


def test_a_guardian_with_a_record_of_abuse_is_unsuitable(world, plan):
    child = _kid(world)
    _guardian(child, name="陈某", age=45, health="良好")
    assert _open(child) == set()
    _guardian(child, abuse_record=True)
    assert _open(child) == {("entrusted_unsuitable", "guardian")}
    assert _alert(child, "entrusted_unsuitable").evidence["abuse_record"] is True
    # Corrected on the file: the condition cleared, the alert with it.
    _guardian(child, abuse_record=False)
    assert _open(child) == set()


def test_the_plans_thresholds_move_the_age_limits(world, plan):
    _rules(plan, guardian_frail={"age": 80}, entrusted_unsuitable={"min_age": 20})
    child = _kid(world)
    _guardian(child, name="陈某", age=75, health="良好")
    assert _open(child) == set()
    _guardian(child, age=19)
    assert _open(child) == {("entrusted_unsuitable", "guardian")}


def test_both_parents_away_with_nobody_at_home_is_living_alone(world, plan):
    away = dt.date(2026, 3, 1)
    child = _kid(world, father_away=away, mother_away=away, guardian_entrusted=False)
    assert _open(child) == {("living_alone", "family")}
    alert = _alert(child, "living_alone")
    assert alert.severity == Severity.SEVERE and alert.report_due
    # A grandmother on file: not alone.
    family_member_save(actor=None, child=child, relation="grandmother", data={"name": "奶奶"})
    assert _open(child) == set()


def test_a_file_without_its_family_rows_is_not_a_child_alone(world, plan):
    # Both parents away and no guardian or grandparent on file, but the file does not
    # say that nobody was entrusted (an imported register without the family): missing
    # information, not evidence.
    away = dt.date(2026, 3, 1)
    child = _kid(world, father_away=away, mother_away=away)
    assert child.guardian_entrusted is None
    assert _open(child) == set()


def test_one_parent_away_is_not_living_alone(world, plan):
    child = _kid(world, father_away=dt.date(2026, 3, 1))
    assert _open(child) == set()


@pytest.mark.parametrize(
    "present, expected",
    [
        ("孩子独自在家", {("living_alone", "home_visit")}),
        ("平时一个人住", {("living_alone", "home_visit")}),
        ("不是独自在家，奶奶也在", set()),
        ("独自上学", set()),
    ],
)
def test_a_home_visit_finding_the_child_alone(world, plan, present, expected):
    child = _kid(world)
    _guardian(child, name="陈奶奶", age=66)
    _talk(world, child, "家访", kind="home_visit", details={"present": present})
    assert _open(child) == expected


def test_a_rule_switched_off_raises_nothing_and_clears_its_alerts(world, plan):
    child = _kid(world)
    _guardian(child, guardianship_quality="none")
    assert _open(child) == {("no_guardian", "member:guardian")}
    _rules(plan, no_guardian={"on": False})
    _guardian(child, guardianship_quality="none", name="")
    assert _open(child) == set()


def test_a_child_leaving_the_roll_clears_the_condition_alerts(world, plan):
    child = _kid(world)
    _guardian(child, guardianship_quality="none")
    _talk(world, child, "他说不想活了")
    child_leave(child=child, on=TODAY, reason=LeaveReason.MOVED_AWAY, actor=None)
    assert {rule for rule, _key in _open(child)} == {"text_signal"}
    child.refresh_from_db()
    assert child.status == ChildStatus.LEFT


# --- resolved by a person ----------------------------------------------------------------


def test_a_resolved_alert_is_not_raised_again_until_its_condition_cleared(world, plan):
    child = _kid(world)
    _guardian(child, name="陈爷爷", age=60, guardianship_quality="poor")
    alert = _alert(child, "guardian_poor")
    services.alert_resolve(actor=world.user("teacher"), alert=alert, note="已和爷爷谈过")
    _guardian(child, occupation="务农")  # saved again, still poor
    assert _open(child) == set()
    _guardian(child, guardianship_quality="fair")
    _guardian(child, guardianship_quality="poor")  # poor again: a new alert
    assert _open(child) == {("guardian_poor", "member:guardian")}
    assert Alert.objects.filter(child=child, rule="guardian_poor").count() == 2


# --- absences and results -----------------------------------------------------------------


def test_repeated_absence_raises_and_a_mistaken_entry_deleted_clears(world, plan):
    child = _kid(world)
    teacher = world.user("teacher")
    entries = [
        absence_record(actor=teacher, child=child, date=TODAY - dt.timedelta(days=d), reason="sick")
        for d in (1, 5)
    ]
    assert _open(child) == set()
    absence_record(actor=teacher, child=child, date=TODAY, reason="truant")
    assert _open(child) == {("absence", "absence")}
    assert _alert(child, "absence").evidence["count"] == 3
    absence_delete(actor=teacher, absence=entries[0])
    assert _open(child) == set()


def test_absences_refuse_a_future_day_and_a_day_twice(world, plan):
    child = _kid(world)
    teacher = world.user("teacher")
    absence_record(actor=teacher, child=child, date=TODAY, reason="sick")
    for date, message in (
        (TODAY, "这一天已登记缺勤"),
        (TODAY + dt.timedelta(days=1), "日期不能晚于今天"),
    ):
        with pytest.raises(ValidationError) as exc:
            absence_record(actor=teacher, child=child, date=date, reason="sick")
        assert exc.value.message_dict["date"] == [message]
    with pytest.raises(ValidationError) as exc:
        absence_record(actor=teacher, child=child, date=TODAY - dt.timedelta(days=3), reason="x")
    assert "reason" in exc.value.message_dict


def test_the_absence_thresholds_come_from_the_plan(world, plan):
    _rules(plan, absence={"count": 2, "days": 7})
    child = _kid(world)
    teacher = world.user("teacher")
    absence_record(actor=teacher, child=child, date=TODAY - dt.timedelta(days=8), reason="sick")
    absence_record(actor=teacher, child=child, date=TODAY - dt.timedelta(days=2), reason="sick")
    assert _open(child) == set()  # the first is out of the 7 days
    absence_record(actor=teacher, child=child, date=TODAY, reason="sick")
    assert _open(child) == {("absence", "absence")}


def test_an_absence_alert_expires_with_its_window_at_the_sweep(world, plan):
    child = _kid(world)
    teacher = world.user("teacher")
    for d in (0, 1, 2):
        absence_record(actor=teacher, child=child, date=TODAY - dt.timedelta(days=d), reason="sick")
    assert _open(child) == {("absence", "absence")}
    jobs.alerts_sweep(now=NOW + dt.timedelta(days=20))
    assert _open(child) == {("absence", "absence")}
    jobs.alerts_sweep(now=NOW + dt.timedelta(days=29))  # the first absence out of the 30 days
    assert _open(child) == set()


def _scores(world, child, date, exam, *scores):
    for subject, score in zip(("语文", "数学", "英语"), scores, strict=False):
        score_record(
            actor=world.user("teacher"),
            child=child,
            exam=exam,
            date=date,
            subject=subject,
            score=score,
            full_score=100,
        )


def test_a_fall_in_results_beyond_the_points_raises(world, plan):
    child = _kid(world)
    _scores(world, child, dt.date(2026, 7, 1), "期末", 90, 80)
    _scores(world, child, dt.date(2026, 11, 1), "期中", 60, 70)  # 85% → 65%
    assert _open(child) == {("results_fall", "results:2026-11-01")}
    evidence = _alert(child, "results_fall").evidence
    # Raised as the first result of the new exam was saved (60% against 85%).
    assert evidence["latest"] == "2026-11-01" and evidence["previous"] == "2026-07-01"
    assert evidence["latest_percent"] == 60.0 and evidence["previous_percent"] == 85.0


def test_a_fall_within_the_points_raises_nothing(world, plan):
    _rules(plan, results_fall={"points": 25})
    child = _kid(world)
    _scores(world, child, dt.date(2026, 7, 1), "期末", 90, 80)
    _scores(world, child, dt.date(2026, 11, 1), "期中", 60, 70)
    assert _open(child) == set()


def test_a_score_above_the_full_score_is_refused(world, plan):
    child = _kid(world)
    with pytest.raises(ValidationError) as exc:
        score_record(
            actor=world.user("teacher"),
            child=child,
            exam="期中",
            date=TODAY,
            subject="数学",
            score=120,
            full_score=100,
        )
    assert exc.value.message_dict["score"] == ["成绩不能高于满分"]


# --- text signals ---------------------------------------------------------------------


def test_a_talk_saying_he_does_not_want_to_live_raises_a_severe_signal(world, plan):
    child = _kid(world)
    record = _talk(world, child, "谈心时他说不想活了。")
    assert _open(child) == {("text_signal", f"record:{record.pk}:self_harm")}
    alert = _alert(child, "text_signal")
    assert alert.category == "self_harm" and alert.severity == Severity.SEVERE
    assert alert.report_due
    assert alert.evidence["record"] == record.pk
    assert alert.evidence["field"] == "summary" and "不想活" in alert.evidence["phrase"]
    child.refresh_from_db()
    assert child.risk_level == "high"


def test_a_signal_in_a_detail_field_names_the_field(world, plan):
    child = _kid(world)
    _guardian(child, name="陈奶奶", age=66)
    record = _talk(
        world, child, "家访情况", kind="home_visit", details={"needs": "爸爸喝醉了就打他"}
    )
    assert _open(child) == {("text_signal", f"record:{record.pk}:domestic_violence")}
    assert _alert(child, "text_signal").evidence["field"] == "needs"


@pytest.mark.parametrize(
    "summary", ["问过同学，他没有被欺负，和大家相处很好。", "他笑着说不想死了吧，开玩笑的。"]
)
def test_a_negated_or_hedged_signal_raises_nothing(world, plan, summary):
    child = _kid(world)
    _talk(world, child, summary)
    assert _open(child) == set()


def test_text_signals_switched_off_raise_nothing(world, plan):
    _rules(plan, text_signal={"on": False})
    child = _kid(world)
    _talk(world, child, "他说不想活了")
    assert _open(child) == set()


def test_a_kind_without_text_signals_is_not_read(world, plan):
    child = _kid(world)
    _talk(world, child, "送去文具，他说不想活了", kind="assistance")
    assert _open(child) == set()


# --- the time rules and the sweep --------------------------------------------------------


def test_parents_out_of_touch_raise_and_a_call_clears(world, plan):
    _rules(plan, no_parent_contact={"on": True})
    child = _kid(world, father_away=dt.date(2026, 1, 5))
    assert _open(child) == {("no_parent_contact", "parents")}
    assert _alert(child, "no_parent_contact").evidence["last_contact"] is None
    _talk(world, child, "和爸爸通话二十分钟", kind="parent_call")
    assert _open(child) == set()


def test_the_days_of_no_contact_come_from_the_plan(world, plan):
    _rules(plan, no_parent_contact={"days": 365})
    child = _kid(world, father_away=dt.date(2026, 1, 5))
    assert _open(child) == set()


def test_the_sweep_raises_no_contact_when_the_days_run_out(world, plan):
    _rules(plan, no_parent_contact={"on": True})
    child = _kid(world, father_away=dt.date(2026, 1, 5))
    _talk(world, child, "和爸爸通话", kind="parent_call")
    assert _open(child) == set()
    jobs.alerts_sweep(now=NOW + dt.timedelta(days=30))
    assert _open(child) == set()
    jobs.alerts_sweep(now=NOW + dt.timedelta(days=31))
    assert _open(child) == {("no_parent_contact", "parents")}


def test_overdue_care_past_the_grace_raises_one_alert_per_kind(world, plan):
    _rules(plan, care_overdue={"grace_days": 0})
    child = _kid(world, father_away=dt.date(2026, 1, 5))
    tasks = tasks_for(Child.objects.filter(pk=child.pk), as_of=TODAY)
    late = {(t.kind, t.due_date) for t in tasks if t.overdue}
    assert late  # a file with no work done yet
    # Time alone makes a duty overdue: the sweep raises it, not the file's save.
    assert _open(child) == set()
    jobs.alerts_sweep(now=NOW)
    assert _open(child) == {("care_overdue", f"{k}:{d.isoformat()}") for k, d in late}
    # The talk is held: its alert clears at once, the others stay.
    _talk(world, child, "谈心，情绪稳定")
    assert _open(child) == {
        ("care_overdue", f"{k}:{d.isoformat()}") for k, d in late if k != "talk"
    }


def test_the_sweep_is_safe_to_run_twice(world, plan):
    _rules(plan, care_overdue={"grace_days": 0}, no_parent_contact={"on": True})
    child = _kid(world, father_away=dt.date(2026, 1, 5))
    Alert.objects.filter(child=child).delete()  # as if raised by nothing yet
    first = jobs.alerts_sweep(now=NOW)
    raised = _open(child)
    assert ("no_parent_contact", "parents") in raised
    assert {rule for rule, _k in raised} == {"care_overdue", "no_parent_contact"}
    events = AlertEvent.objects.count()
    jobs.alerts_sweep(now=NOW)
    assert _open(child) == raised
    assert AlertEvent.objects.count() == events
    assert first.reviewed >= 1


def test_an_unhandled_alert_escalates_after_the_plans_hours_and_only_once(world, plan):
    child = _kid(world)
    _guardian(child, guardianship_quality="none")  # severe: 4 hours by default
    alert = _alert(child, "no_guardian")
    assert alert.owner == world.user("teacher") and alert.escalated_at is None
    jobs.alerts_sweep(now=NOW + dt.timedelta(hours=3, minutes=59))
    alert.refresh_from_db()
    assert alert.escalated_at is None
    later = NOW + dt.timedelta(hours=4)
    jobs.alerts_sweep(now=later)
    alert.refresh_from_db()
    assert alert.escalated_at == later
    assert jobs.alerts_sweep(now=later + dt.timedelta(hours=1)).escalated == 0
    actions = list(alert.events.values_list("action", "actor"))
    assert actions == [(AlertAction.RAISED, None), (AlertAction.AUTO_ESCALATED, None)]


def test_an_acknowledged_alert_does_not_escalate(world, plan):
    _rules(plan, hours={"escalate": 1})
    jobs.alerts_sweep(now=NOW)  # the world's own children's alerts are out of the way
    child = _kid(world)
    _guardian(child, name="陈爷爷", age=60, guardianship_quality="poor")  # serious
    alert = _alert(child, "guardian_poor")
    services.alert_acknowledge(actor=world.user("teacher"), alert=alert)
    assert jobs.alerts_sweep(now=NOW + dt.timedelta(hours=2)).escalated == 0
    other = _kid(world, name="陈曦")
    _guardian(other, name="陈奶奶", age=60, guardianship_quality="poor")
    assert jobs.alerts_sweep(now=NOW + dt.timedelta(minutes=59)).escalated == 0
    assert jobs.alerts_sweep(now=NOW + dt.timedelta(hours=1)).escalated == 1


def test_the_remind_command_runs_the_sweep(world, plan):
    from carenet.notify.services import reminders_run

    child = _kid(world)
    _guardian(child, guardianship_quality="none")
    with time_machine.travel(NOW + dt.timedelta(hours=5), tick=False):
        reminders_run(today=timezone.localdate())
    assert _alert(child, "no_guardian").escalated_at is not None
