"""The early warning's sweep (``alerts_sweep``): what changes with time alone, run by the
daily ``carenet remind`` and hourly by the queue.

- The time rules of every care child: a care task now overdue past its grace
  (CARE_OVERDUE), parents out of touch now too long (NO_PARENT_CONTACT), and the
  absences of an open ABSENCE alert that fell out of its window. The other rules change
  only when the file does, and run then (``carenet.alerts.listener``).
- Auto-escalation: an open alert nobody acknowledged within the plan's hours
  (``escalate_severe`` for a severe one, ``escalate`` otherwise) is escalated to the
  principal and the township supervisor, once.

Safe to run twice, and twice at once: raising is deduplicated by the alert's key (one
open alert per child, rule and key), an alert is escalated only while ``escalated_at`` is
empty (claimed with a conditional update).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from carenet.alerts import services
from carenet.alerts.evaluate import apply_rule
from carenet.alerts.models import OPEN_STATUSES, Alert, AlertRule, AlertStatus, Severity
from carenet.alerts.rule_selectors import (
    Facts,
    Found,
    absence,
    children_of,
    left_behind_contacts,
    overdue_found,
    parent_contact_found,
    standing_by_child,
)
from carenet.alerts.rules import Config, config_of
from carenet.care import selectors as care_selectors
from carenet.children.access import operator_scope
from carenet.children.models import Child, ChildStatus


@dataclass(frozen=True)
class SweepResult:
    reviewed: int  # children whose time rules ran
    escalated: int  # alerts escalated by the sweep

    def describe(self) -> str:
        return f"alerts sweep: {self.reviewed} children reviewed, {self.escalated} escalated"


def _configs(children: list[Child], today: dt.date) -> dict[int, Config]:
    """Each child's alert settings, from the plans in force (one query)."""
    units = {u.pk: u for u in map(care_selectors.care_unit, children) if u is not None}
    plans = care_selectors.plans_in_force(units.values(), today)
    configs: dict[int, Config] = {}
    for child in children:
        unit = care_selectors.care_unit(child)
        configs[child.pk] = config_of(plans[unit.pk] if unit is not None else None)
    return configs


def _open_of(rule: str) -> set[int]:
    return set(
        Alert.objects.filter(rule=rule, status__in=OPEN_STATUSES).values_list("child_id", flat=True)
    )


def time_rules_run(*, today: dt.date, now: dt.datetime) -> int:
    """CARE_OVERDUE, NO_PARENT_CONTACT and the ABSENCE windows of every child of the
    operator's scope. Returns the number of children reviewed."""
    scope = operator_scope("alerts sweep").children()
    reviewed: set[int] = set()

    # CARE_OVERDUE: the tasks of the whole scope at once.
    tasks = care_selectors.tasks_for(scope, as_of=today)
    by_child: dict[int, list[care_selectors.Task]] = defaultdict(list)
    kids: dict[int, Child] = {}
    for task in tasks:
        by_child[task.child.pk].append(task)
        kids[task.child.pk] = task.child
    open_overdue = _open_of(AlertRule.CARE_OVERDUE)
    standing = standing_by_child(AlertRule.CARE_OVERDUE)
    stale = open_overdue - kids.keys()
    for child in children_of(stale):
        kids[child.pk] = child
    configs = _configs(list(kids.values()), today)
    for pk, child in kids.items():
        config = configs[pk]
        found = overdue_found(by_child.get(pk, []), today, config)
        if not found and pk not in open_overdue:
            continue
        with transaction.atomic():
            apply_rule(child, AlertRule.CARE_OVERDUE, found, config, now, standing.get(pk, set()))
        reviewed.add(pk)

    # NO_PARENT_CONTACT: the left-behind children, with their last contact, at once.
    contacts = left_behind_contacts(scope, today)
    lonely = {c.pk for c in contacts}
    gone = children_of(_open_of(AlertRule.NO_PARENT_CONTACT) - lonely)
    configs = _configs(contacts + gone, today)
    standing = standing_by_child(AlertRule.NO_PARENT_CONTACT)
    for child in contacts:
        config = configs[child.pk]
        found = parent_contact_found(
            getattr(child, "carenet_last_contact"),  # noqa: B009 (annotated)
            getattr(child, "carenet_away_since"),  # noqa: B009
            today,
            config,
        )
        with transaction.atomic():
            apply_rule(
                child,
                AlertRule.NO_PARENT_CONTACT,
                found,
                config,
                now,
                standing.get(child.pk, set()),
            )
        reviewed.add(child.pk)
    for child in gone:  # no longer left-behind, or off the roll
        with transaction.atomic():
            apply_rule(child, AlertRule.NO_PARENT_CONTACT, [], configs[child.pk], now)
        reviewed.add(child.pk)

    # ABSENCE: an open alert whose absences fell out of the window.
    counted = children_of(_open_of(AlertRule.ABSENCE))
    configs = _configs(counted, today)
    for child in counted:
        config = configs[child.pk]
        counting: list[Found] = []
        if child.status == ChildStatus.ACTIVE:
            counting = absence(Facts(child, today, {}, None), config)
        with transaction.atomic():
            apply_rule(child, AlertRule.ABSENCE, counting, config, now)
        reviewed.add(child.pk)
    return len(reviewed)


def escalations_run(*, now: dt.datetime) -> int:
    """Escalate every open alert not acknowledged within its plan's hours and not yet
    escalated. Returns the number escalated."""
    waiting = list(
        Alert.objects.filter(status=AlertStatus.OPEN, escalated_at__isnull=True)
        .select_related("child", "child__school", "child__village")
        .order_by("raised_at", "pk")
    )
    if not waiting:
        return 0
    configs = _configs([a.child for a in waiting], timezone.localdate(now))
    escalated = 0
    for alert in waiting:
        hours = configs[alert.child_id].hours
        limit = hours["escalate_severe"] if alert.severity == Severity.SEVERE else hours["escalate"]
        if alert.raised_at + dt.timedelta(hours=limit) > now:
            continue
        with transaction.atomic():
            # Claimed: a sweep running at the same time escalates it once.
            claimed = Alert.objects.filter(
                pk=alert.pk, status=AlertStatus.OPEN, escalated_at__isnull=True
            ).update(escalated_at=now)
            if not claimed:
                continue
            alert.escalated_at = None  # alert_escalate sets it and writes the history
            services.alert_escalate(actor=None, alert=alert, at=now)
        escalated += 1
    return escalated


def alerts_sweep(*, now: dt.datetime) -> SweepResult:
    """The time rules of every care child, then the auto-escalations."""
    today = timezone.localdate(now)
    reviewed = time_rules_run(today=today, now=now)
    escalated = escalations_run(now=now)
    return SweepResult(reviewed=reviewed, escalated=escalated)
