"""The early-warning rules run on a child (``child_review``): each rule switched on in the
plan in force finds the conditions that hold now, raises an alert for each (with its
evidence and a key naming the condition) and clears the alerts of conditions gone.

Called as a record, an absence, a result or the family is saved (the listener of
``carenet.lib.events``: ``carenet.alerts.apps``), after a register import for the
imported children (``children_review``), and by the daily sweep for the rules that
change with time alone (``carenet.alerts.jobs``).

The rules, and what they read (the plan's thresholds in brackets):

- CARE_OVERDUE: a care task (``care.selectors.tasks_for``) overdue by more than
  [grace_days]; key ``"{kind}:{due_date}"``. Raised by the sweep only (time alone makes
  a duty overdue); a save clears it (the work done moves the due date).
- NO_PARENT_CONTACT: a left-behind child (a parent away now: the left-behind rule of
  ``children.selectors``) whose last parent call or family call (联系家长, 亲情电话) is
  more than [days] old, or with none, whose parent has been away since more than [days]
  (counted from the start of the earliest away period counting now); key "parents".
- NO_GUARDIAN (severe, a report due): a family member assessed 无人监护; key
  ``"member:{relation}"``.
- GUARDIAN_POOR: a family member assessed 差 (key ``"member:{relation}"``), or the last
  home visit rated the guardian's capacity 差 (key "home_visit").
- GUARDIAN_FRAIL: the entrusted guardian (委托监护人) older than [age], or whose health
  (``FamilyMember.health``, free text) says poor health: one of ``POOR_HEALTH_WORDS``
  not right after 不 (so "不差" is not poor); key "guardian".
- LIVING_ALONE (severe, a report due): both parents away now, the file saying that they
  entrusted no guardian (``Child.guardian_entrusted`` False), and neither an entrusted
  guardian with a name nor any grandparent on file (key "family"); or the last home
  visit's "present" or "living conditions" says so (``ALONE_PHRASES``, not after a
  negation word ``ALONE_NEGATIONS``; key "home_visit").
- ENTRUSTED_UNSUITABLE: the entrusted guardian is under [min_age], over GUARDIAN_FRAIL's
  [age], recorded as unable to guard, in poor health, or with a record of abuse or
  neglect (``FamilyMember.abuse_record``); key "guardian".
- ABSENCE: at least [count] absences in the last [days] days (today included); one key,
  "absence": while the count stays at or above the threshold it is the same condition,
  and once it falls below (the window moved on, an entry deleted) the alert clears.
- RESULTS_FALL: the average percentage (score / full score, over the subjects) of the
  latest exam date below the previous exam date's by more than [points]; key
  ``"results:{latest date}"``.
- TEXT_SIGNAL: for a record just saved (talks, home visits, counseling, calls), the text
  signals of its summary and text fields (``carenet.alerts.text.find_signals``): one
  alert per record and category, key ``"record:{id}:{category}"``. Never cleared by the
  rules (what was written stays written); the notes are read in memory only and no
  phrase is logged.

A child no longer on the roll keeps no condition alert: all but text signals clear.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from carenet.alerts import services
from carenet.alerts.models import AlertRule, Severity
from carenet.alerts.rule_selectors import (
    FILE_RULE_FINDERS,
    Facts,
    Found,
    standing_alerts,
    text_signals,
)
from carenet.alerts.rules import RULES, Config, config_of
from carenet.care import selectors as care_selectors
from carenet.care.models import CareRecord
from carenet.children.models import Child, ChildStatus

# The rules of the file (not of a record's text).
FILE_RULES = tuple(rule for rule in AlertRule if rule != AlertRule.TEXT_SIGNAL)
# The legal category 无人照料 of the mandatory report (强制报告).
REPORT_DUE_RULES = frozenset({AlertRule.NO_GUARDIAN, AlertRule.LIVING_ALONE})
# Rules that time alone makes true (a duty falls overdue while nothing is saved): raised
# by the sweep (``jobs.alerts_sweep``, hourly); a save reviews them only to clear an open
# one (the talk held), which spares every save the child's task list.
SWEEP_RAISED = frozenset({AlertRule.CARE_OVERDUE})


# --- raising and clearing -----------------------------------------------------------------


def _raise(child: Child, rule: str, found: Found, now: dt.datetime) -> None:
    severity = found.severity or RULES[rule].severity
    services.alert_raise(
        child=child,
        rule=rule,
        key=found.key,
        severity=severity,
        evidence=found.evidence,
        category=found.category,
        report_due=rule in REPORT_DUE_RULES or severity == Severity.SEVERE,
        at=now,
    )


def apply_rule(
    child: Child,
    rule: str,
    found: list[Found],
    config: Config,
    now: dt.datetime,
    standing: set[tuple[str, str]] | None = None,
) -> None:
    """Raise an alert for each condition found, clear the rule's others. A rule switched
    off in the plan raises nothing and clears its open alerts.

    ``standing``: the (rule, key) of the child's alerts that are open or resolved while
    their condition holds (``rule_selectors.standing_alerts``), read once for all rules:
    a condition already standing is not raised again and a rule with nothing standing
    outside what was found has nothing to clear, so that a review that changes nothing
    writes nothing (every record saved runs one)."""
    if not config.rule(rule).on:
        found = []
    keep = {f.key for f in found}
    for item in found:
        if standing is None or (rule, item.key) not in standing:
            _raise(child, rule, item, now)
    if standing is None or any(r == rule and k not in keep for r, k in standing):
        services.alerts_clear(child=child, rule=rule, keep_keys=keep, at=now)


def config_for(child: Child, today: dt.date) -> Config:
    """The alert settings of the plan in force for the child."""
    unit = care_selectors.care_unit(child)
    plan = care_selectors.plan_in_force(unit, today) if unit is not None else None
    return config_of(plan)


def child_leaves(child: Child, now: dt.datetime) -> None:
    """A child no longer on the roll: every open condition alert clears."""
    for rule in FILE_RULES:
        services.alerts_clear(child=child, rule=rule, keep_keys=set(), at=now)


def child_review(
    child: Child, *, today: dt.date, now: dt.datetime, record: CareRecord | None = None
) -> None:
    """Run every rule switched on in the plan in force for the child: raise the alerts of
    the conditions that hold, clear those gone; with ``record`` (just saved), its text
    signals too. The child's risk is refreshed."""
    if child.status != ChildStatus.ACTIVE:
        child_leaves(child, now)
        services.risk_refresh(child)
        return
    config = config_for(child, today)
    facts = Facts.load(child, today)
    standing = standing_alerts(child)
    for rule, finder in FILE_RULE_FINDERS.items():
        if rule in SWEEP_RAISED and not any(r == rule for r, _key in standing):
            continue  # raised by the sweep: a save only clears it
        found = finder(facts, config) if config.rule(rule).on else []
        apply_rule(child, rule, found, config, now, standing)
    if record is not None and config.rule(AlertRule.TEXT_SIGNAL).on:
        for item in text_signals(record):
            _raise(child, AlertRule.TEXT_SIGNAL, item, now)
    services.risk_refresh(child)


def children_review(children: QuerySet[Child], *, today: dt.date, now: dt.datetime) -> int:
    """``child_review`` of many children (after a register import), the file rules only.
    Returns the number reviewed."""
    count = 0
    for child in children.select_related("school", "village").iterator(chunk_size=500):
        child_review(child, today=today, now=now)
        count += 1
    return count
