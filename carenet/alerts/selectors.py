"""Reads of alerts: who owns a child's alerts, which alerts a user sees, a child's risk
and its reasons."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carenet.alerts.models import OPEN_STATUSES, Alert, AlertRule, Severity
from carenet.alerts.text import CATEGORY_LABELS, SignalCategory
from carenet.care.models import CareKind, CareRecord
from carenet.children.access import (
    MENTOR,
    ROLE_PERMISSIONS,
    Permission,
    Reach,
    children_scope,
    holds,
    may_read_confidential,
    membership_filter,
    mentee_ids,
    roles_with,
    user_may,
)
from carenet.children.models import (
    Child,
    ChildStatus,
    GuardianshipQuality,
    Pairing,
    PairingKind,
    Relation,
    RiskLevel,
)
from carenet.children.selectors import pairing_in_force
from carenet.orgs.models import Membership, Org, Role
from carenet.orgs.selectors import AnyUser

RISK_RANK = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}
SEVERITY_RISK = {Severity.SEVERE: RiskLevel.HIGH, Severity.SERIOUS: RiskLevel.MEDIUM}
SEVERITY_RANK = {Severity.SEVERE: 0, Severity.SERIOUS: 1, Severity.NOTICE: 2}


def higher(a: str, b: str) -> str:
    """The higher of two risk levels."""
    return a if RISK_RANK.get(RiskLevel(a), 0) >= RISK_RANK.get(RiskLevel(b), 0) else b


def owner_of(child: Child) -> User | None:
    """Who owns a child's alerts: the mentor (代理家长) in force, else the class teacher,
    else the village director of the village the child lives in."""
    pairing = (
        Pairing.objects.filter(
            pairing_in_force(), child=child, kind=PairingKind.MENTOR, mentor__is_active=True
        )
        .select_related("mentor")
        .first()
    )
    if pairing is not None and pairing.mentor is not None:
        return pairing.mentor
    for org_id, role in (
        (child.school_class_id, Role.TEACHER),
        (child.village_id, Role.VILLAGE_DIRECTOR),
    ):
        if org_id is None:
            continue
        membership = (
            Membership.objects.filter(org_id=org_id, role=role, user__is_active=True)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if membership is not None:
            return membership.user
    return None


def visible_alerts(user: AnyUser) -> QuerySet[Alert]:
    """The alerts a user may see: those of the children they may handle alerts for."""
    return Alert.objects.filter(
        child__in=Child.objects.filter(children_scope(user, Permission.HANDLE_ALERTS))
    )


def inbox(user: AnyUser) -> QuerySet[Alert]:
    """预警待办: the open alerts that wait for the user — owned by or assigned to them, or
    escalated to them (the principal, the township supervisor) — most severe first."""
    mine = Q(owner_id=user.pk) | Q(assigned_to_id=user.pk)
    escalated = Q(escalated_at__isnull=False) & Q(
        child__in=Child.objects.filter(children_scope(user, Permission.RECEIVE_ESCALATIONS))
    )
    return sort_alerts(
        visible_alerts(user).filter(status__in=OPEN_STATUSES).filter(mine | escalated)
    )


def sort_alerts(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """Most severe first, then the oldest first."""
    return alerts.annotate(
        carenet_severity_rank=Case(
            *(When(severity=s, then=Value(r)) for s, r in SEVERITY_RANK.items()),
            default=Value(9),
            output_field=IntegerField(),
        )
    ).order_by("carenet_severity_rank", "raised_at", "pk")


def open_alerts(child: Child) -> QuerySet[Alert]:
    return Alert.objects.filter(child=child, status__in=OPEN_STATUSES)


def alert_title(alert: Alert) -> str:
    """What an alert is about, in a few words: the rule, and for a text signal its
    category (never the phrase: that is shown only with the evidence)."""
    if alert.rule == AlertRule.TEXT_SIGNAL and alert.category:
        if alert.category in CATEGORY_LABELS.keys():
            label = CATEGORY_LABELS[SignalCategory(alert.category)]
            return f"{AlertRule(alert.rule).label}：{label}"
    return str(AlertRule(alert.rule).label)


@dataclass(frozen=True)
class RiskReason:
    level: str
    text: str | Promise


def rules_risk(child: Child) -> tuple[str, list[RiskReason]]:
    """The risk level the rules give a child, with the reasons: a severe open alert
    makes it high, a serious one medium; an individual plan in progress makes it at
    least medium (a child who needs such a plan is not at low risk)."""
    level = RiskLevel.LOW.value
    reasons: list[RiskReason] = []
    for alert in open_alerts(child).order_by("raised_at", "pk"):
        risk = SEVERITY_RISK.get(Severity(alert.severity))
        if risk is None:
            continue
        level = higher(level, risk)
        reasons.append(RiskReason(risk, alert_title(alert)))
    if child.individual_plans.filter(status="open").exists():
        level = higher(level, RiskLevel.MEDIUM)
        reasons.append(RiskReason(RiskLevel.MEDIUM, _("个别教育管理方案进行中")))
    return level, reasons


def risk_reasons(child: Child) -> list[RiskReason]:
    """Why a child is at their risk level: the rules' reasons, and the raise by hand."""
    _level, reasons = rules_risk(child)
    if child.risk_floor:
        reasons.append(
            RiskReason(
                child.risk_floor, _("人工调高：%(reason)s") % {"reason": child.risk_floor_reason}
            )
        )
    return reasons


# --- the alert pages --------------------------------------------------------------------


def _ancestors(path: str) -> list[str]:
    """An org's path and the paths of the orgs above it."""
    step = Org.steplen
    return [path[:i] for i in range(step, len(path) + 1, step)]


def _reach_paths(reach: Reach, child: Child) -> list[str]:
    """The paths of the child's orgs a membership with ``reach`` must sit at or above to
    reach the child (``access.children_scope``'s reaches, read for one child)."""
    school = child.school.path if child.school is not None else None
    klass = child.school_class.path if child.school_class is not None else None
    village = child.village.path if child.village is not None else None
    found = {
        Reach.SUBTREE: [school, village],
        Reach.SCHOOL: [school],
        Reach.CLASS: [klass],
        Reach.VILLAGE: [village],
        Reach.VILLAGE_UNSCHOOLED: [village if school is None else None],
    }.get(reach, [])
    return [p for p in found if p is not None]


def assignable_users(child: Child) -> QuerySet[User]:
    """The active users who may handle alerts for ``child`` (``HANDLE_ALERTS`` reaches it):
    the mentor, the class teacher, the school's leadership and counselor, the village
    director, the township supervisor. Two queries, whatever the size of the school."""
    if child.status == ChildStatus.ARCHIVED:
        return User.objects.none()
    memberships = Q(pk__in=[])
    for role in roles_with(Permission.HANDLE_ALERTS):
        row = ROLE_PERMISSIONS[role]
        reach = row.reach_of(Permission.HANDLE_ALERTS)
        if reach == Reach.OWN_SCHOOL:
            if child.school is not None:
                memberships |= Q(role=role, org__path__startswith=child.school.path)
            continue
        paths = [a for p in _reach_paths(reach, child) for a in _ancestors(p)]
        if paths:
            memberships |= Q(role=role, org__path__in=paths)
    memberships &= membership_filter(Permission.HANDLE_ALERTS)
    mentors = Q(pk__in=[])
    if Permission.HANDLE_ALERTS in ROLE_PERMISSIONS[MENTOR].permissions:
        mentors = Q(
            pk__in=Pairing.objects.filter(
                pairing_in_force(), child=child, kind=PairingKind.MENTOR
            ).values("mentor_id")
        )
    staff = Membership.objects.filter(memberships).values("user_id")
    return (
        User.objects.filter(Q(pk__in=staff) | mentors, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username", "pk")
    )


def child_alerts(user: AnyUser, child: Child) -> list[InboxRow] | None:
    """The child's open alerts for the child page, most severe first; None when the user
    may not handle the child's alerts (the section is not shown)."""
    if not user_may(user, Permission.HANDLE_ALERTS, child):
        return None
    return inbox_rows(list(sort_alerts(open_alerts(child).select_related("owner", "assigned_to"))))


def inbox_counts(user: AnyUser) -> tuple[int, int]:
    """How many alerts wait in the user's inbox, and how many of them are severe."""
    counts = inbox(user).aggregate(
        total=Count("pk"), severe=Count("pk", filter=Q(severity=Severity.SEVERE))
    )
    return counts["total"], counts["severe"]


@dataclass(frozen=True)
class Evidence:
    """What raised an alert, as the alert page shows it to one user. For a text signal:
    the record's kind and date, the field, and the sentence around the phrase — or
    ``hidden`` when the record is confidential and the user may not read it."""

    record_kind: str = ""
    date: str = ""
    field: str = ""
    before: str = ""
    phrase: str = ""
    after: str = ""
    hidden: bool = False
    facts: tuple[tuple[str, str], ...] = ()


# Evidence keys shown as facts, with their labels (others are the rules' own bookkeeping).
EVIDENCE_LABELS = {
    "member": _("家庭成员"),
    "kind": _("关爱工作"),
    "due_date": _("应完成日期"),
    "days_late": _("逾期天数"),
    "last_contact": _("最近一次联系"),
    "away_since": _("外出时间"),
    "days": _("天数"),
    "count": _("次数"),
    "dates": _("日期"),
    "guardianship_quality": _("监护状况"),
    "age": _("年龄"),
    "under_age": _("年龄"),
    "over_age": _("年龄"),
    "health": _("身体状况"),
    "can_guard": _("有监护能力"),
    "abuse_record": _("有虐待、遗弃或严重忽视儿童的记录"),
    "value": _("评定"),
    "previous": _("上次考试"),
    "previous_percent": _("上次得分率（%）"),
    "latest": _("最近考试"),
    "latest_percent": _("最近得分率（%）"),
}
# The record fields a text signal is found in (the summary, the details' text fields).
FIELD_LABELS = {
    "summary": _("内容"),
    "place": _("地点"),
    "topics": _("谈话主题"),
    "mood": _("情绪"),
    "problems": _("存在问题"),
    "measures": _("措施"),
    "follow_up": _("后续跟进"),
    "present": _("在场人员"),
    "living_conditions": _("生活状况"),
    "guardian_capacity": _("监护能力"),
    "needs": _("需求"),
}
_SENTENCE_ENDS = "。！？!?；;\n"


def _fact(key: str, value: Any) -> str:
    """An evidence value in words."""
    labels: dict[str, Any] = {
        "member": Relation,
        "kind": CareKind,
        "guardianship_quality": GuardianshipQuality,
    }
    if key in labels and value in labels[key].values:
        return str(labels[key](value).label)
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def _sentence(record: CareRecord, field: str, phrase: str) -> str:
    """The sentence of the record's ``field`` holding ``phrase`` (read in memory only)."""
    text = record.summary if field == "summary" else (record.details or {}).get(field)
    if not isinstance(text, str) or not phrase or phrase not in text:
        return phrase
    at = text.index(phrase)
    start = max((text.rfind(c, 0, at) for c in _SENTENCE_ENDS), default=-1) + 1
    ends = [i for i in (text.find(c, at + len(phrase)) for c in _SENTENCE_ENDS) if i >= 0]
    end = min(ends) + 1 if ends else len(text)
    return text[start:end].strip()


def evidence_for(user: AnyUser, alert: Alert) -> Evidence:
    """The alert's evidence for ``user`` (``Evidence``)."""
    data = alert.evidence if isinstance(alert.evidence, dict) else {}
    facts = tuple(
        (str(label), _fact(key, data[key]))
        for key, label in EVIDENCE_LABELS.items()
        if data.get(key) not in (None, "", [])
    )
    if "phrase" not in data and "record" not in data:
        return Evidence(facts=facts)
    kind = str(data.get("record_kind") or "")
    record = None
    if isinstance(data.get("record"), int):
        record = CareRecord.objects.filter(pk=data["record"], child_id=alert.child_id).first()
    if record is not None:
        kind = kind or record.kind
        confidential = record.confidential and record.author_id != user.pk
    else:
        confidential = bool(data.get("confidential"))
    label = str(CareKind(kind).label) if kind in CareKind.values else kind
    field = str(data.get("field") or "")
    base = Evidence(
        record_kind=label,
        date=str(data.get("date") or (record.date.isoformat() if record else "")),
        field=str(FIELD_LABELS.get(field, field)),
        facts=tuple(f for f in facts if f[0] != str(EVIDENCE_LABELS["value"])),
    )
    if confidential and not may_read_confidential(user, alert.child):
        return replace(base, hidden=True)
    phrase = str(data.get("phrase") or "")
    sentence = str(data.get("sentence") or "")
    if not sentence and record is not None:
        sentence = _sentence(record, field, phrase)
    sentence = sentence or phrase
    at = sentence.find(phrase) if phrase else -1
    if at < 0:
        return replace(base, phrase=phrase)
    return replace(base, before=sentence[:at], phrase=phrase, after=sentence[at + len(phrase) :])


def may_handle_alerts(user: AnyUser) -> bool:
    """Whether the user handles alerts at all (the 预警 entry, the inbox page)."""
    if holds(user, Permission.HANDLE_ALERTS):
        return True
    mentors_handle = Permission.HANDLE_ALERTS in ROLE_PERMISSIONS[MENTOR].permissions
    return bool(mentors_handle and user.is_authenticated and mentee_ids(user))


def may_open_plan(user: AnyUser, alert: Alert) -> bool:
    """Whether the user may draw up an individual plan from the alert (an open alert of a
    child whose plans they write)."""
    return alert.is_open and user_may(user, Permission.WRITE_CHILD_PLANS, alert.child)


# How many closed alerts the 已关闭 tab lists at most (the recent ones).
CLOSED_SHOWN = 200


def inbox_tab(user: AnyUser, tab: str, *, rule: str = "", severity: str = "") -> QuerySet[Alert]:
    """The alerts of one tab of the inbox: ``mine`` (``inbox``), ``open`` (every open
    alert the user sees), ``closed`` (the most recently closed), filtered by rule and
    severity; the open ones most severe first."""
    if tab == "closed":
        alerts = visible_alerts(user).exclude(status__in=OPEN_STATUSES)
    elif tab == "open":
        alerts = visible_alerts(user).filter(status__in=OPEN_STATUSES)
    else:
        alerts = inbox(user)
    if rule:
        alerts = alerts.filter(rule=rule)
    if severity:
        alerts = alerts.filter(severity=severity)
    alerts = alerts.select_related("child", "owner", "assigned_to").annotate(
        carenet_report_status=F("mandatory_report__status"),
        carenet_report_due_by=F("mandatory_report__due_by"),
    )
    if tab == "closed":
        recent = alerts.order_by("-closed_at", "-pk").values_list("pk", flat=True)[:CLOSED_SHOWN]
        return alerts.filter(pk__in=list(recent)).order_by("-closed_at", "-pk")
    return sort_alerts(alerts)


@dataclass(frozen=True)
class InboxRow:
    alert: Alert
    title: str
    report_due: bool  # a mandatory report is due and not made
    report_overdue: bool  # …past its time


def inbox_rows(alerts: list[Alert]) -> list[InboxRow]:
    """The rows of an inbox page (alerts from ``inbox_tab``)."""
    from django.utils import timezone

    now = timezone.now()
    rows = []
    for alert in alerts:
        status = getattr(alert, "carenet_report_status", None)
        due_by = getattr(alert, "carenet_report_due_by", None)
        due = alert.is_open and (status == "due" or (alert.report_due and status is None))
        overdue = due and due_by is not None and due_by < now
        rows.append(InboxRow(alert, alert_title(alert), due, overdue))
    return rows
