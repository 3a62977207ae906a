"""The reads of the early-warning rules: which conditions hold for a child now (each
finder returns the ``Found`` conditions of one rule; ``carenet.alerts.evaluate`` raises and
clears the alerts). See ``evaluate`` for what each rule reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from carenet.alerts.models import OPEN_STATUSES, Alert, AlertRule, AlertStatus
from carenet.alerts.rules import TEXT_SEVERITY, Config
from carenet.alerts.text import find_signals
from carenet.care import selectors as care_selectors
from carenet.care.models import Absence, CareKind, CareRecord, ExamScore
from carenet.children.models import (
    GRANDPARENT_RELATIONS,
    Child,
    FamilyMember,
    GuardianshipQuality,
    Relation,
)
from carenet.children.selectors import (
    away_periods_counting,
    left_behind_filter,
    on_roll,
    parent_away_filter,
)

# The record kinds whose text is read for signals.
TEXT_KINDS = frozenset(
    {
        CareKind.TALK,
        CareKind.HOME_VISIT,
        CareKind.COUNSELING,
        CareKind.PARENT_CALL,
        CareKind.GUARDIAN_CONTACT,
        CareKind.FAMILY_CALL,
    }
)
# The records that count as contact with the parents.
CONTACT_KINDS = (CareKind.PARENT_CALL, CareKind.FAMILY_CALL)
# Words of FamilyMember.health that mean poor health (较差 contains 差).
POOR_HEALTH_WORDS = ("差", "重病", "瘫痪", "残疾", "卧床")
# What a home visit's "present" or "living conditions" says of a child living alone.
ALONE_PHRASES = ("独自居住", "独自生活", "独自在家", "独自住", "独居", "一个人住", "一个人生活")
ALONE_NEGATIONS = ("不是", "没有", "并非", "不再", "未")


@dataclass(frozen=True)
class Found:
    """A condition that holds: its key and evidence (a text signal: its category)."""

    key: str
    evidence: dict[str, Any]
    category: str = ""
    severity: str = ""


def poor_health(text: str) -> str:
    """The word of ``POOR_HEALTH_WORDS`` in ``text`` that means poor health, or ""."""
    for word in POOR_HEALTH_WORDS:
        start = text.find(word)
        while start != -1:
            if not (start > 0 and text[start - 1] == "不"):
                return word
            start = text.find(word, start + 1)
    return ""


def says_alone(text: str) -> str:
    """The phrase of ``ALONE_PHRASES`` in ``text`` (not negated just before), or ""."""
    for phrase in ALONE_PHRASES:
        start = text.find(phrase)
        while start != -1:
            before = text[max(0, start - 3) : start]
            if not any(neg in before for neg in ALONE_NEGATIONS):
                return phrase
            start = text.find(phrase, start + 1)
    return ""


@dataclass
class Facts:
    """What the file rules read of one child, loaded once."""

    child: Child
    today: dt.date
    family: dict[str, FamilyMember]
    last_visit: CareRecord | None

    @classmethod
    def load(cls, child: Child, today: dt.date) -> Facts:
        family = {m.relation: m for m in FamilyMember.objects.filter(child=child)}
        last_visit = (
            CareRecord.objects.filter(child=child, kind=CareKind.HOME_VISIT, date__lte=today)
            .order_by("-date", "-created_at", "-pk")
            .first()
        )
        return cls(child, today, family, last_visit)

    @property
    def guardian(self) -> FamilyMember | None:
        return self.family.get(Relation.GUARDIAN)


# --- the rules --------------------------------------------------------------------------


def care_overdue(facts: Facts, config: Config) -> list[Found]:
    child, today = facts.child, facts.today
    tasks = care_selectors.tasks_for(Child.objects.filter(pk=child.pk), as_of=today)
    return overdue_found(tasks, today, config)


def overdue_found(
    tasks: Iterable[care_selectors.Task], today: dt.date, config: Config
) -> list[Found]:
    grace = config.rule(AlertRule.CARE_OVERDUE)["grace_days"]
    found = []
    for task in tasks:
        late = (today - task.due_date).days
        if task.overdue and late > grace:
            found.append(
                Found(
                    f"{task.kind}:{task.due_date.isoformat()}",
                    {"kind": task.kind, "due_date": task.due_date.isoformat(), "days_late": late},
                )
            )
    return found


def no_parent_contact(facts: Facts, config: Config) -> list[Found]:
    child, today = facts.child, facts.today
    away = (
        # Away periods are the parents' only; no ``relation IN`` filter, which SQLite
        # answers wrongly with the range on ``start`` (see ``left_behind_filter``).
        away_periods_counting(today).filter(child=child).order_by("start", "pk").first()
    )
    if away is None:
        return []
    last = (
        CareRecord.objects.filter(child=child, kind__in=CONTACT_KINDS, date__lte=today)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    return parent_contact_found(last, away.start, today, config)


def parent_contact_found(
    last: dt.date | None, away_since: dt.date, today: dt.date, config: Config
) -> list[Found]:
    """NO_PARENT_CONTACT of a child whose parent is away since ``away_since`` and whose
    last contact was ``last``."""
    days = config.rule(AlertRule.NO_PARENT_CONTACT)["days"]
    since = last or away_since
    if (today - since).days <= days:
        return []
    return [
        Found(
            "parents",
            {
                "last_contact": last.isoformat() if last else None,
                "away_since": away_since.isoformat(),
                "days": (today - since).days,
            },
        )
    ]


def left_behind_contacts(children: QuerySet[Child], today: dt.date) -> list[Child]:
    """The left-behind children of ``children`` on the roll, each annotated with the
    start of the earliest away period counting today (``carenet_away_since``) and the
    date of the last parent or family call (``carenet_last_contact``): one query."""
    away = (
        away_periods_counting(today)
        .filter(child=OuterRef("pk"))
        .order_by("start")
        .values("start")[:1]
    )
    contact = (
        CareRecord.objects.filter(child=OuterRef("pk"), kind__in=CONTACT_KINDS, date__lte=today)
        .order_by("-date")
        .values("date")[:1]
    )
    return list(
        children.filter(left_behind_filter(today), on_roll(today))
        .select_related("school", "village")
        .annotate(carenet_away_since=Subquery(away), carenet_last_contact=Subquery(contact))
    )


def children_of(ids: Iterable[int]) -> list[Child]:
    """The children of ``ids`` (taken from alerts or tasks already scoped), with the
    orgs their plan is found from."""
    return list(Child.objects.filter(pk__in=set(ids)).select_related("school", "village"))


def _member_evidence(member: FamilyMember, **values: Any) -> dict[str, Any]:
    return {"member": member.relation, "member_id": member.pk, **values}


def no_guardian(facts: Facts, config: Config) -> list[Found]:
    return [
        Found(
            f"member:{m.relation}", _member_evidence(m, guardianship_quality=m.guardianship_quality)
        )
        for m in facts.family.values()
        if m.guardianship_quality == GuardianshipQuality.NONE
    ]


def guardian_poor(facts: Facts, config: Config) -> list[Found]:
    found = [
        Found(
            f"member:{m.relation}", _member_evidence(m, guardianship_quality=m.guardianship_quality)
        )
        for m in facts.family.values()
        if m.guardianship_quality == GuardianshipQuality.POOR
    ]
    visit = facts.last_visit
    if visit is not None and (visit.details or {}).get("guardian_capacity") == "poor":
        found.append(
            Found(
                "home_visit",
                {
                    "record": visit.pk,
                    "record_kind": visit.kind,
                    "date": visit.date.isoformat(),
                    "field": "guardian_capacity",
                    "value": "poor",
                },
            )
        )
    return found


def guardian_frail(facts: Facts, config: Config) -> list[Found]:
    guardian = facts.guardian
    if guardian is None:
        return []
    limit = config.rule(AlertRule.GUARDIAN_FRAIL)["age"]
    reasons: dict[str, Any] = {}
    if guardian.age is not None and guardian.age > limit:
        reasons["age"] = guardian.age
    word = poor_health(guardian.health or "")
    if word:
        reasons["health"] = guardian.health
    if not reasons:
        return []
    return [Found("guardian", _member_evidence(guardian, **reasons))]


def living_alone(facts: Facts, config: Config) -> list[Found]:
    child, today = facts.child, facts.today
    found = []
    both_away = (
        Child.objects.filter(pk=child.pk)
        .filter(parent_away_filter(Relation.FATHER, today))
        .filter(parent_away_filter(Relation.MOTHER, today))
        .exists()
    )
    guardian = facts.guardian
    has_guardian = guardian is not None and bool(guardian.name.strip())
    grandparents = [r for r in GRANDPARENT_RELATIONS if r in facts.family]
    # The file must say so: both parents away, no guardian entrusted (the 2016 form's
    # 父母外出有无委托其他监护人 = 无) and no guardian or grandparent on file. A file that only
    # lacks the rows (an imported register without the family) is missing information,
    # not evidence of a child alone: it raises nothing.
    if both_away and child.guardian_entrusted is False and not has_guardian and not grandparents:
        found.append(
            Found("family", {"both_parents_away": True, "guardian": False, "grandparents": []})
        )
    visit = facts.last_visit
    if visit is not None:
        for name in ("present", "living_conditions"):
            phrase = says_alone(str((visit.details or {}).get(name) or ""))
            if phrase:
                found.append(
                    Found(
                        "home_visit",
                        {
                            "record": visit.pk,
                            "record_kind": visit.kind,
                            "date": visit.date.isoformat(),
                            "field": name,
                            "phrase": phrase,
                        },
                    )
                )
                break
    return found


def entrusted_unsuitable(facts: Facts, config: Config) -> list[Found]:
    guardian = facts.guardian
    if guardian is None or not (guardian.name.strip() or guardian.age is not None):
        return []
    minimum = config.rule(AlertRule.ENTRUSTED_UNSUITABLE)["min_age"]
    oldest = config.rule(AlertRule.GUARDIAN_FRAIL)["age"]
    reasons: dict[str, Any] = {}
    if guardian.age is not None and guardian.age < minimum:
        reasons["under_age"] = guardian.age
    if guardian.age is not None and guardian.age > oldest:
        reasons["over_age"] = guardian.age
    if not guardian.can_guard:
        reasons["can_guard"] = False
    if poor_health(guardian.health or ""):
        reasons["health"] = guardian.health
    if guardian.abuse_record:
        reasons["abuse_record"] = True
    if not reasons:
        return []
    return [Found("guardian", _member_evidence(guardian, **reasons))]


def absence(facts: Facts, config: Config) -> list[Found]:
    child, today = facts.child, facts.today
    rule = config.rule(AlertRule.ABSENCE)
    since = today - dt.timedelta(days=rule["days"] - 1)
    dates = list(
        Absence.objects.filter(child=child, date__gte=since, date__lte=today)
        .order_by("date")
        .values_list("date", flat=True)
    )
    if len(dates) < rule["count"]:
        return []
    return [
        Found(
            "absence",
            {"count": len(dates), "days": rule["days"], "dates": [d.isoformat() for d in dates]},
        )
    ]


def _percentages(child: Child) -> list[tuple[dt.date, Decimal]]:
    """The average percentage of each of the child's two latest exam dates, latest first."""
    by_date: dict[dt.date, list[Decimal]] = {}
    for date, score, full in ExamScore.objects.filter(child=child).values_list(
        "date", "score", "full_score"
    ):
        if full:
            by_date.setdefault(date, []).append(Decimal(score) * 100 / Decimal(full))
    latest = sorted(by_date, reverse=True)[:2]
    return [(d, sum(by_date[d], Decimal(0)) / len(by_date[d])) for d in latest]


def results_fall(facts: Facts, config: Config) -> list[Found]:
    points = config.rule(AlertRule.RESULTS_FALL)["points"]
    found = _percentages(facts.child)
    if len(found) < 2:
        return []
    (latest, now_pct), (previous, before_pct) = found
    if before_pct - now_pct <= points:
        return []
    return [
        Found(
            f"results:{latest.isoformat()}",
            {
                "latest": latest.isoformat(),
                "previous": previous.isoformat(),
                "latest_percent": round(float(now_pct), 1),
                "previous_percent": round(float(before_pct), 1),
            },
        )
    ]


FILE_RULE_FINDERS = {
    AlertRule.CARE_OVERDUE: care_overdue,
    AlertRule.NO_PARENT_CONTACT: no_parent_contact,
    AlertRule.NO_GUARDIAN: no_guardian,
    AlertRule.GUARDIAN_POOR: guardian_poor,
    AlertRule.GUARDIAN_FRAIL: guardian_frail,
    AlertRule.LIVING_ALONE: living_alone,
    AlertRule.ENTRUSTED_UNSUITABLE: entrusted_unsuitable,
    AlertRule.ABSENCE: absence,
    AlertRule.RESULTS_FALL: results_fall,
}


def text_signals(record: CareRecord) -> list[Found]:
    """The text signals of a record: one per category, the first field and phrase found
    (the summary first, then the details' text fields in their order)."""
    if record.kind not in TEXT_KINDS:
        return []
    fields: list[tuple[str, str]] = [("summary", record.summary or "")]
    for name, value in (record.details or {}).items():
        if isinstance(value, str) and value:
            fields.append((name, value))
    found: dict[str, Found] = {}
    for name, value in fields:
        for signal in find_signals(value):
            category = str(signal.category)
            if category in found or category not in TEXT_SEVERITY:
                continue
            found[category] = Found(
                f"record:{record.pk}:{category}",
                {
                    "record": record.pk,
                    "record_kind": record.kind,
                    "date": record.date.isoformat(),
                    "field": name,
                    "phrase": signal.phrase,
                },
                category=category,
                severity=TEXT_SEVERITY[category],
            )
    return list(found.values())


def child_for_review(child_id: int) -> Child | None:
    """The child a change names, with the orgs the plan in force is found from."""
    return Child.objects.select_related("school", "village").filter(pk=child_id).first()


_STANDING = Q(status__in=OPEN_STATUSES) | Q(status=AlertStatus.RESOLVED, cleared_since=False)


def standing_alerts(child: Child) -> set[tuple[str, str]]:
    """The (rule, key) of a child's alerts that stand: open, or resolved by a person while
    their condition has not cleared since (the rules raise neither again). One query."""
    return set(Alert.objects.filter(_STANDING, child=child).values_list("rule", "key"))


def standing_by_child(rule: str) -> dict[int, set[tuple[str, str]]]:
    """``standing_alerts`` of every child for one rule (the sweep's), in one query: a
    child missing from it has none."""
    found: dict[int, set[tuple[str, str]]] = {}
    for child_id, key in Alert.objects.filter(_STANDING, rule=rule).values_list("child_id", "key"):
        found.setdefault(child_id, set()).add((rule, key))
    return found
