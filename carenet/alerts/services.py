"""Writes of alerts: raising and clearing them (for the rules), handling them, and the
child's derived risk level."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carenet.alerts import selectors
from carenet.alerts.models import (
    OPEN_STATUSES,
    Alert,
    AlertAction,
    AlertEvent,
    AlertStatus,
    Severity,
)
from carenet.children.models import Child, RiskLevel

MAX_NOTE = 1000


def alert_event(
    alert: Alert,
    action: str,
    actor: User | None,
    *,
    note: str = "",
    assignee: User | None = None,
    at: dt.datetime | None = None,
) -> AlertEvent:
    """A step in an alert's history (written only by appending): here, and by the apps
    that act on an alert (a mandatory report made, an urgent case opened)."""
    return AlertEvent.objects.create(
        alert=alert,
        at=at or timezone.now(),
        actor=actor,
        action=action,
        note=note,
        assignee=assignee,
    )


# --- risk -----------------------------------------------------------------------------


def risk_refresh(child: Child) -> str:
    """Set the child's risk level to what the rules say (``selectors.rules_risk``), or
    the level raised by hand when higher. Called whenever an alert opens or closes, an
    individual plan opens or closes, or the raise by hand changes. Returns the level."""
    level, _reasons = selectors.rules_risk(child)
    if child.risk_floor:
        level = selectors.higher(level, child.risk_floor)
    if child.risk_level != level:
        Child.objects.filter(pk=child.pk).update(risk_level=level)
        child.risk_level = level
    return level


def risk_raise(*, actor: User, child: Child, level: str, reason: str) -> str:
    """Raise a child's risk by hand, with a reason; never below what the rules say.
    ``level`` "" removes the raise by hand. Raises ``ValidationError``."""
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if level and level not in RiskLevel.values:
        errors["level"] = [_("风险等级无效")]
    elif level:
        rules_level, _reasons = selectors.rules_risk(child)
        if selectors.RISK_RANK[RiskLevel(level)] <= selectors.RISK_RANK[RiskLevel(rules_level)]:
            errors["level"] = [
                _("按预警规则已是“%(level)s”，人工只能调高，不能调低或持平")
                % {"level": RiskLevel(rules_level).label}
            ]
        if not reason:
            errors["reason"] = [_("请填写调高风险等级的原因")]
        elif len(reason) > MAX_NOTE:
            errors["reason"] = [_("不能超过 %(n)s 个字符") % {"n": MAX_NOTE}]
    if errors:
        raise ValidationError(errors)
    child.risk_floor = level
    child.risk_floor_reason = reason if level else ""
    child.risk_floor_by = actor if level else None
    child.risk_floor_at = timezone.now() if level else None
    child._history_user = actor
    child._change_reason = "risk_floor"
    child.save(update_fields=["risk_floor", "risk_floor_reason", "risk_floor_by", "risk_floor_at"])
    return risk_refresh(child)


# --- raising and clearing (the rules) ---------------------------------------------------


def alert_raise(
    *,
    child: Child,
    rule: str,
    key: str,
    severity: str,
    evidence: dict[str, Any],
    category: str = "",
    report_due: bool = False,
    at: dt.datetime | None = None,
) -> Alert | None:
    """Raise an alert unless one is open for the same child, rule and key, or one with
    that key was resolved by a person and its condition has not cleared since (a person
    decided it; the rule does not nag). Owned by ``selectors.owner_of``; an alert with
    nobody to own it is escalated at once. Returns the new alert, or None."""
    if Alert.objects.filter(child=child, rule=rule, key=key, status__in=OPEN_STATUSES).exists():
        return None
    if Alert.objects.filter(
        child=child, rule=rule, key=key, status=AlertStatus.RESOLVED, cleared_since=False
    ).exists():
        return None
    now = at or timezone.now()
    owner = selectors.owner_of(child)
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                child=child,
                county_code=child.county_code,
                rule=rule,
                category=category,
                key=key,
                severity=severity,
                report_due=report_due,
                evidence=evidence,
                owner=owner,
                raised_at=now,
                escalated_at=None if owner is not None else now,
            )
            alert_event(alert, AlertAction.RAISED, None, at=now)
            if owner is None:
                alert_event(alert, AlertAction.AUTO_ESCALATED, None, note=_("无负责人"), at=now)
    except IntegrityError:  # raised at the same moment by another save
        return None
    if severity != Severity.NOTICE:
        risk_refresh(child)
    return alert


def alerts_clear(
    *, child: Child, rule: str, keep_keys: set[str], at: dt.datetime | None = None
) -> int:
    """Close the open alerts of ``rule`` on a child whose key is not in ``keep_keys``: the
    condition that raised them no longer holds. Marks resolved ones of those keys as
    cleared since (so that the condition's return raises a new alert). Returns the
    number closed."""
    now = at or timezone.now()
    stale = Alert.objects.filter(child=child, rule=rule, status__in=OPEN_STATUSES).exclude(
        key__in=keep_keys
    )
    closed = 0
    for alert in stale:
        alert.status = AlertStatus.CLEARED
        alert.closed_at = now
        alert.save(update_fields=["status", "closed_at"])
        alert_event(alert, AlertAction.CLEARED, None, at=now)
        closed += 1
    Alert.objects.filter(child=child, rule=rule, status=AlertStatus.RESOLVED).exclude(
        key__in=keep_keys
    ).update(cleared_since=True)
    if closed:
        risk_refresh(child)
    return closed


# --- handling ---------------------------------------------------------------------------


def _note(note: str, *, required: bool = False) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationError({"note": [_("请填写处理情况")]})
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": [_("不能超过 %(n)s 个字符") % {"n": MAX_NOTE}]})
    return note


def _open_only(alert: Alert) -> None:
    if not alert.is_open:
        raise ValidationError({"__all__": [_("该预警已关闭")]})


def alert_acknowledge(*, actor: User, alert: Alert, note: str = "") -> Alert:
    """确认: the user has seen the alert and takes it in hand (it stops escalating)."""
    _open_only(alert)
    note = _note(note)
    with transaction.atomic():
        if alert.status == AlertStatus.OPEN:
            alert.status = AlertStatus.ACKNOWLEDGED
            alert.acknowledged_at = timezone.now()
            alert.save(update_fields=["status", "acknowledged_at"])
        alert_event(alert, AlertAction.ACKNOWLEDGED, actor, note=note)
    return alert


def alert_assign(*, actor: User, alert: Alert, assignee: User, note: str = "") -> Alert:
    """指派: hand the alert to someone who may handle it for this child (the caller
    checks that ``assignee`` may: ``selectors.assignable_users``)."""
    _open_only(alert)
    note = _note(note)
    with transaction.atomic():
        alert.assigned_to = assignee
        alert.save(update_fields=["assigned_to"])
        alert_event(alert, AlertAction.ASSIGNED, actor, note=note, assignee=assignee)
    return alert


def alert_escalate(
    *, actor: User | None, alert: Alert, note: str = "", at: dt.datetime | None = None
) -> Alert:
    """上报: bring the alert to the principal and the township supervisor (their inbox).
    ``actor`` None: escalated by the sweep, unhandled past the plan's hours."""
    _open_only(alert)
    note = _note(note)
    now = at or timezone.now()
    with transaction.atomic():
        if alert.escalated_at is None:
            alert.escalated_at = now
            alert.save(update_fields=["escalated_at"])
        action = AlertAction.ESCALATED if actor is not None else AlertAction.AUTO_ESCALATED
        alert_event(alert, action, actor, note=note, at=now)
    return alert


def alert_note(*, actor: User, alert: Alert, note: str) -> AlertEvent:
    """A note in the alert's history (what was done, who was called)."""
    return alert_event(alert, AlertAction.NOTE, actor, note=_note(note, required=True))


def alert_plan_opened(*, actor: User, alert: Alert, note: str = "") -> AlertEvent:
    """制定个别教育管理方案: an individual plan was opened from the alert (its history
    says so; the alert stays open until resolved)."""
    return alert_event(alert, AlertAction.PLAN_OPENED, actor, note=_note(note))


def alert_resolve(*, actor: User, alert: Alert, note: str) -> Alert:
    """解决: closed by a person, with what was done."""
    _open_only(alert)
    note = _note(note, required=True)
    with transaction.atomic():
        alert.status = AlertStatus.RESOLVED
        alert.closed_at = timezone.now()
        alert.closed_by = actor
        alert.resolution = note
        alert.save(update_fields=["status", "closed_at", "closed_by", "resolution"])
        alert_event(alert, AlertAction.RESOLVED, actor, note=note)
    risk_refresh(alert.child)
    return alert


def alert_reopen(*, actor: User, alert: Alert, note: str) -> Alert:
    """重新打开 a resolved alert (the danger is back), unless the same condition already
    has an open alert."""
    if alert.status != AlertStatus.RESOLVED:
        raise ValidationError({"__all__": [_("只能重新打开已解决的预警")]})
    note = _note(note, required=True)
    if Alert.objects.filter(
        child_id=alert.child_id, rule=alert.rule, key=alert.key, status__in=OPEN_STATUSES
    ).exists():
        raise ValidationError({"__all__": [_("同一情形已有待处理的预警")]})
    with transaction.atomic():
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.closed_at = None
        alert.closed_by = None
        alert.save(update_fields=["status", "closed_at", "closed_by"])
        alert_event(alert, AlertAction.REOPENED, actor, note=note)
    risk_refresh(alert.child)
    return alert


# --- additions of the rules' helper ---------------------------------------------------


def child_risk_at_least(*, actor: User, child: Child, level: str, reason: str) -> str:
    """Make a child's risk at least ``level``: a raise by hand (``risk_raise``) unless the
    rules already give that level or higher (then nothing is recorded). For a level
    sent with a new file (the API's ``risk_level``). Returns the level."""
    rules_level, _reasons = selectors.rules_risk(child)
    if selectors.RISK_RANK[RiskLevel(level)] <= selectors.RISK_RANK[RiskLevel(rules_level)]:
        return risk_refresh(child)
    return risk_raise(actor=actor, child=child, level=level, reason=reason)
