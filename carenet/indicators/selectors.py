"""Indicators (KPIs, 工作指标) of an org on a day, computed from the records.

Who is counted ("children in care", the base of every indicator): children on the roll
(status active) who are left-behind on ``as_of`` (a father or mother away ≥ 3 months,
``left_behind_filter``), under the org:

- a county, township or school: children whose *school* is under it. Counting by school
  only (not "school or village of residence") is what makes the figures add up: each
  child has exactly one school, so the schools' numerators and denominators sum to
  their township's and their county's; a pupil living in another township's village
  would otherwise be counted twice.
- a grade or class: children whose class is under it;
- a village: children whose village of residence is under it (whatever their school).

``children`` restricts the base further (the API passes ``visible_children(user)``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carenet.care.models import CareKind
from carenet.care.selectors import plan_in_force, tasks_for
from carenet.children.models import (
    AwayPeriod,
    Child,
    ChildStatus,
    FamilyMember,
    Immunization,
    Pairing,
    PairingKind,
    Relation,
    Schooling,
)
from carenet.children.selectors import AWAY_THRESHOLD, left_behind_filter
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import org_ids_under

# School age (学龄): 6 to 15 full years on ``as_of`` — the years of compulsory education.
SCHOOL_AGE_FROM = 6
SCHOOL_AGE_UNTIL = 16

LABELS: dict[str, Promise] = {
    "filing_rate": _("建档率"),
    "enrollment_rate": _("入学率"),
    "retention_rate": _("巩固率"),
    "immunization_rate": _("计划免疫接种率"),
    "legal_aid_rate": _("法律援助率"),
    "parent_education_rate": _("家长家教知识普及率"),
    "mentor_coverage": _("代理家长结对率"),
    "talk_completion": _("谈心完成率"),
    "home_visit_completion": _("家访完成率"),
    "parent_call_completion": _("联系家长完成率"),
}
KEYS = tuple(LABELS)
# Task-completion indicators: key → the care kind whose tasks they count.
TASK_KINDS = {
    "talk_completion": CareKind.TALK,
    "home_visit_completion": CareKind.HOME_VISIT,
    "parent_call_completion": CareKind.PARENT_CALL,
}


@dataclass(frozen=True)
class Indicator:
    key: str
    label: Promise
    numerator: int
    denominator: int
    value: float | None  # percentage, 1 decimal; None when the denominator is 0
    target: float | None  # the plan's target percentage, None if the plan sets none


def percentage(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    return round(100 * numerator / denominator, 1)


def org_filter(org: Org) -> Q:
    """The filter on Child of the children under an org (see the module docstring)."""
    if org.kind == OrgKind.VILLAGE:
        return Q(village__in=org_ids_under(org.path, OrgKind.VILLAGE))
    if org.kind in (OrgKind.GRADE, OrgKind.CLASS):
        return Q(school_class__in=org_ids_under(org.path, OrgKind.CLASS))
    return Q(school__in=org_ids_under(org.path, OrgKind.SCHOOL))


def children_in_care(
    org: Org, *, as_of: dt.date, children: QuerySet[Child] | None = None
) -> QuerySet[Child]:
    """The base of every indicator: active, left-behind on ``as_of``, under ``org``."""
    base = Child.objects.all() if children is None else children
    return base.filter(org_filter(org), left_behind_filter(as_of), status=ChildStatus.ACTIVE)


def _parent_away(relation: str, as_of: dt.date) -> Q:
    return Q(
        Exists(
            AwayPeriod.objects.filter(
                child=OuterRef("pk"), relation=relation, start__lte=as_of - AWAY_THRESHOLD
            ).filter(Q(end__isnull=True) | Q(end__gt=as_of))
        )
    )


def _member_named(relation: str, *, with_phone: bool = False) -> Q:
    members = FamilyMember.objects.filter(child=OuterRef("pk"), relation=relation).exclude(name="")
    if with_phone:
        # Encrypted, but an empty phone is stored empty: this comparison is exact.
        members = members.exclude(phone="")
    return Q(Exists(members))


def file_complete(as_of: dt.date) -> Q:
    """A complete file (建档) on ``as_of``, from the required columns of REGISTER.md:

    - name, ID number and gender present (birth date and class are required columns);
    - a place of residence: a village (现居住村) or a detailed address (详细住址);
    - an entrusted guardian (委托监护人) with a name and a contact phone;
    - for each parent away on ``as_of`` (≥ 3 months), that parent's name.
    """
    return (
        ~Q(name="")
        & ~Q(id_number="")
        & ~Q(gender="")
        & Q(birth_date__isnull=False)
        & Q(school_class__isnull=False)
        & (Q(village__isnull=False) | ~Q(residence_address=""))
        & _member_named(Relation.GUARDIAN, with_phone=True)
        & (~_parent_away(Relation.FATHER, as_of) | _member_named(Relation.FATHER))
        & (~_parent_away(Relation.MOTHER, as_of) | _member_named(Relation.MOTHER))
    )


def school_age(as_of: dt.date) -> Q:
    """6 to 15 full years old on ``as_of``."""
    return Q(
        birth_date__lte=as_of - relativedelta(years=SCHOOL_AGE_FROM),
        birth_date__gt=as_of - relativedelta(years=SCHOOL_AGE_UNTIL),
    )


def mentored(as_of: dt.date) -> Q:
    """A mentor (代理家长) pairing in force on ``as_of``."""
    return Q(
        Exists(
            Pairing.objects.filter(
                child=OuterRef("pk"), kind=PairingKind.MENTOR, started_on__lte=as_of
            ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=as_of))
        )
    )


def indicators_for(
    org: Org, *, as_of: dt.date, children: QuerySet[Child] | None = None
) -> list[Indicator]:
    """The indicators of ``org`` on ``as_of``, over the children in care under it.

    - ``filing_rate`` (建档率): children in care whose file is complete
      (``file_complete``) / children in care.
    - ``enrollment_rate`` (入学率): school-age children (``school_age``) whose schooling
      is "enrolled" / school-age children in care.
    - ``retention_rate`` (巩固率): properly, pupils enrolled at the start of the school
      year who are still enrolled. Schooling has no history yet, so this is approximated
      by the present state: children in care whose schooling is not "dropped out" /
      children in care.
    - ``immunization_rate`` (计划免疫接种率): immunization "complete" / children in care
      ("unknown" counts as not complete).
    - ``mentor_coverage`` (代理家长结对率): children in care with a mentor pairing in force
      on ``as_of`` / children in care (all of whom are left-behind).
    - ``talk_completion``, ``home_visit_completion``, ``parent_call_completion``: children
      whose next task of that kind (``tasks_for``) is not overdue on ``as_of`` / children
      in care whose plan schedules that kind. An overdue task counts as not done.
    - ``legal_aid_rate`` (法律援助) and ``parent_education_rate`` (家长家教知识普及率):
      CareNet records neither legal-aid cases nor parent-school attendance yet, so both
      are 0 / 0 with value None — no figure is invented.

    ``target`` is the plan in force at the org's target for the key, None if it sets
    none. One aggregate query, the task queries of ``tasks_for`` and one plan query.
    """
    base = children_in_care(org, as_of=as_of, children=children)
    age = school_age(as_of)
    counts = base.aggregate(
        in_care=Count("pk"),
        filed=Count("pk", filter=file_complete(as_of)),
        school_age=Count("pk", filter=age),
        enrolled=Count("pk", filter=age & Q(schooling=Schooling.ENROLLED)),
        retained=Count("pk", filter=~Q(schooling=Schooling.DROPPED_OUT)),
        immunized=Count("pk", filter=Q(immunization=Immunization.COMPLETE)),
        mentored=Count("pk", filter=mentored(as_of)),
    )
    in_care = counts["in_care"]
    fractions: dict[str, tuple[int, int]] = {
        "filing_rate": (counts["filed"], in_care),
        "enrollment_rate": (counts["enrolled"], counts["school_age"]),
        "retention_rate": (counts["retained"], in_care),
        "immunization_rate": (counts["immunized"], in_care),
        "legal_aid_rate": (0, 0),
        "parent_education_rate": (0, 0),
        "mentor_coverage": (counts["mentored"], in_care),
    }
    scheduled: dict[str, set[int]] = defaultdict(set)
    on_time: dict[str, set[int]] = defaultdict(set)
    if in_care:
        for task in tasks_for(base, as_of=as_of):
            scheduled[task.kind].add(task.child.pk)
            if not task.overdue:
                on_time[task.kind].add(task.child.pk)
    for key, kind in TASK_KINDS.items():
        fractions[key] = (len(on_time[kind]), len(scheduled[kind]))
    targets = plan_in_force(org, as_of).targets or {}
    indicators = []
    for key in KEYS:
        numerator, denominator = fractions[key]
        target = targets.get(key)
        indicators.append(
            Indicator(
                key=key,
                label=LABELS[key],
                numerator=numerator,
                denominator=denominator,
                value=percentage(numerator, denominator),
                target=None if target is None else float(target),
            )
        )
    return indicators
