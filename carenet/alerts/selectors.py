"""Reads of alerts: who owns a child's alerts, which alerts a user sees, a child's risk
and its reasons."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carenet.alerts.models import OPEN_STATUSES, Alert, AlertRule, Severity
from carenet.alerts.text import CATEGORY_LABELS, SignalCategory
from carenet.children.access import Permission, children_scope
from carenet.children.models import Child, Pairing, PairingKind, RiskLevel
from carenet.children.selectors import pairing_in_force
from carenet.orgs.models import Membership, Role
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
    from django.db.models import Case, IntegerField, Value, When

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
