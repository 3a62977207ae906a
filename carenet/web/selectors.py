"""Reads that shape the web pages. Scope always comes from ``visible_children``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.functional import Promise

from carenet.care.models import CareRecord
from carenet.children.access import (
    Permission,
    breakdown_of,
    class_teacher_scope,
    mentee_ids,
    visible_children,
)
from carenet.children.models import (
    Child,
    ChildStatus,
    FamilyMember,
    LeftBehindType,
    Pairing,
    PairingKind,
    Relation,
    RiskLevel,
)
from carenet.children.selectors import (
    POPULATION_DEFINITIONS,
    POPULATION_LABELS,
    Population,
    active_pairings,
    left_behind_only,
    pairing_in_force,
    population_filter,
    risk_rank,
    search_children,
    with_left_behind,
)
from carenet.dashboards.bands import guardian_age_filter
from carenet.orgs.models import Membership, Org, OrgKind
from carenet.orgs.selectors import AnyUser


def active_children(user: AnyUser) -> QuerySet[Child]:
    """The children on the roll (在册) that a user may see."""
    return visible_children(user).filter(status=ChildStatus.ACTIVE)


def _counts() -> dict[str, Count]:
    """Aggregates over a queryset annotated by ``with_left_behind``."""
    return {
        "total": Count("pk"),
        "left_behind": Count("pk", filter=~Q(left_behind_type=LeftBehindType.NONE)),
        "both_parents": Count("pk", filter=Q(left_behind_type=LeftBehindType.BOTH_PARENTS)),
        "high_risk": Count("pk", filter=Q(risk_level=RiskLevel.HIGH)),
    }


def home_counts(user: AnyUser) -> dict[str, int]:
    """Children on the roll in the user's scope: total, left-behind, both parents away,
    high risk. One query."""
    return with_left_behind(active_children(user)).aggregate(**_counts())


# The orgs whose children have two populations worth telling apart on the home page.
_AREA_KINDS = (OrgKind.COUNTY, OrgKind.TOWNSHIP)


@dataclass(frozen=True)
class PopulationCounts:
    """The home counters of one population of an org's children (``Population``)."""

    population: str
    label: Promise
    definition: Promise
    counts: dict[str, int]
    query: str  # the child list's filter for it (``?org=…&population=…``)


def home_populations(user: AnyUser, membership: Membership | None) -> list[PopulationCounts]:
    """For a county or township: the home counters (``home_counts``) of the org's children
    by school (the population of the dashboards and the indicators) and by residence or
    school (the scope of a township supervisor), each with its name. None for others:
    their one population is their scope."""
    if membership is None or membership.org.kind not in _AREA_KINDS:
        return []
    org = membership.org
    found = []
    for population in Population:
        children = active_children(user).filter(population_filter(org, population))
        found.append(
            PopulationCounts(
                population=str(population),
                label=POPULATION_LABELS[population],
                definition=POPULATION_DEFINITIONS[population],
                counts=with_left_behind(children).aggregate(**_counts()),
                query=urlencode({"org": org.code, "population": str(population)}),
            )
        )
    return found


@dataclass(frozen=True)
class BreakdownRow:
    org: Org
    total: int
    left_behind: int
    both_parents: int
    high_risk: int


def org_breakdown(user: AnyUser, membership: Membership | None) -> list[BreakdownRow]:
    """The user's children per school (county, township), class (school) or village
    (village director): every org of that level under the membership, plus any other
    org the user's children belong to. Two queries, whatever the number of orgs."""
    level = breakdown_of(membership) if membership is not None else None
    if membership is None or level is None:
        return []
    kind, child_field = level
    grouped = (
        with_left_behind(active_children(user)).values(child_field).annotate(**_counts()).order_by()
    )
    counts = {row[child_field]: row for row in grouped if row[child_field] is not None}
    orgs = Org.objects.filter(
        Q(kind=kind, path__startswith=membership.org.path) | Q(pk__in=list(counts))
    ).order_by("path")
    empty = dict.fromkeys(_counts(), 0)
    return [
        BreakdownRow(org=org, **{key: counts.get(org.pk, empty)[key] for key in empty})
        for org in orgs
    ]


def class_children(user: AnyUser) -> QuerySet[Child]:
    """Children in the classes the user teaches (班主任)."""
    return (
        with_left_behind(active_children(user).filter(class_teacher_scope(user)))
        .select_related("school_class")
        .order_by("school_class__path", "name_pinyin")
    )


def visible_mentor(user: AnyUser, pk: int) -> AbstractBaseUser | None:
    """The user ``pk`` if they mentor a child the user may see (else None)."""
    pairing = (
        Pairing.objects.filter(mentor_id=pk, child__in=visible_children(user))
        .select_related("mentor")
        .first()
    )
    return pairing.mentor if pairing else None


def mentees(user: AnyUser) -> QuerySet[Child]:
    """Children the user is mentor (代理家长) of now."""
    mentored = active_children(user).filter(pk__in=mentee_ids(user))
    return with_left_behind(mentored).select_related("school_class").order_by("name_pinyin")


# The list filter value for "left-behind of either type".
ANY_LEFT_BEHIND = "any"
# The mentor filter value for "no mentor", and the guardianship one for "not filled in".
NO_MENTOR = "none"
UNSET = "unset"


@dataclass(frozen=True)
class ChildFilters:
    """The parsed query of the child list; empty values do not filter."""

    q: str = ""
    status: str = ChildStatus.ACTIVE
    school: Org | None = None
    school_class: Org | None = None
    left_behind: str = ""
    category: str = ""
    risk: str = ""
    # Filters behind the dashboard charts (carenet.dashboards), given by their links.
    org: Org | None = None  # children of an org, by ``population`` (default by school)
    population: str = ""  # a ``Population``: by school (the indicators'), or by residence
    mentor: str = ""  # a mentor's user id, or NO_MENTOR
    record: str = ""  # children with a care record of this kind …
    month: dt.date | None = None  # … (or of any kind) in the month of this day
    guardian_age: str = ""  # a band of dashboards.bands.GUARDIAN_AGE_BANDS
    guardianship: str = ""  # the guardian's GuardianshipQuality, or UNSET
    work_province: str = ""  # a parent working in this province


def child_list(user: AnyUser, filters: ChildFilters) -> QuerySet[Child]:
    """The child list: the user's scope narrowed by the filters, with left-behind type,
    school, class and active mentor fetched without a query per row; children at high
    risk first, then medium, then by school, class and name."""
    qs = visible_children(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    qs = search_children(qs, filters.q)
    if filters.school:
        qs = qs.filter(school=filters.school)
    if filters.school_class:
        qs = qs.filter(school_class=filters.school_class)
    if filters.category:
        qs = qs.filter(categories__contains=f",{filters.category},")
    if filters.risk:
        qs = qs.filter(risk_level=filters.risk)
    qs = _chart_filters(qs, filters)
    qs = with_left_behind(qs)
    if filters.left_behind == ANY_LEFT_BEHIND:
        qs = left_behind_only(qs)
    elif filters.left_behind:
        qs = qs.filter(left_behind_type=filters.left_behind)
    return (
        qs.select_related("school", "school_class", "village")
        .prefetch_related(active_pairings(PairingKind.MENTOR, "active_mentors"))
        .annotate(carenet_risk_rank=risk_rank())
        .order_by("carenet_risk_rank", "school__path", "school_class__path", "name_pinyin", "pk")
    )


def _chart_filters(qs: QuerySet[Child], filters: ChildFilters) -> QuerySet[Child]:
    """The filters the dashboard charts link with (each an indexed ``EXISTS``)."""
    if filters.org:
        population = Population(filters.population or Population.SCHOOLS)
        qs = qs.filter(population_filter(filters.org, population))
    if filters.mentor:
        mentors = Pairing.objects.filter(
            pairing_in_force(), child=OuterRef("pk"), kind=PairingKind.MENTOR
        )
        if filters.mentor == NO_MENTOR:
            qs = qs.filter(~Exists(mentors))
        else:
            qs = qs.filter(Exists(mentors.filter(mentor_id=int(filters.mentor))))
    if filters.record or filters.month:
        records = CareRecord.objects.filter(child=OuterRef("pk"))
        if filters.record:
            records = records.filter(kind=filters.record)
        if filters.month:
            start = filters.month.replace(day=1)
            records = records.filter(date__gte=start, date__lt=start + relativedelta(months=1))
        qs = qs.filter(Exists(records))
    guardians = FamilyMember.objects.filter(child=OuterRef("pk"), relation=Relation.GUARDIAN)
    if filters.guardian_age:
        qs = qs.filter(Exists(guardians.filter(guardian_age_filter(filters.guardian_age))))
    if filters.guardianship:
        quality = "" if filters.guardianship == UNSET else filters.guardianship
        qs = qs.filter(Exists(guardians.filter(guardianship_quality=quality)))
    if filters.work_province:
        parents = FamilyMember.objects.filter(
            child=OuterRef("pk"),
            relation__in=(Relation.FATHER, Relation.MOTHER),
            work_province=filters.work_province,
        )
        qs = qs.filter(Exists(parents))
    return qs


def child_file(user: AnyUser, action: Permission = Permission.VIEW_CHILDREN) -> QuerySet[Child]:
    """Children a user may open (for ``action``), with what the file page shows."""
    return (
        with_left_behind(visible_children(user, action))
        .select_related("school", "school_class", "village")
        .prefetch_related(
            "family",
            "away_periods",
            active_pairings(PairingKind.MENTOR, "active_mentors"),
            active_pairings(PairingKind.BUDDY, "active_buddies"),
        )
    )
