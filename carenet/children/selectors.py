"""Reads of child files: the left-behind rules, who cares for a child, searches. Which
children a user may see or change is ``carenet.children.access`` (the access table)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, TypeAlias, TypedDict, TypeVar, cast

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carenet.children.models import (
    PARENT_RELATIONS,
    AwayPeriod,
    Child,
    ChildStatus,
    FamilyMember,
    GuardianshipQuality,
    LeftBehindType,
    Pairing,
    Relation,
    RiskLevel,
)
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import AnyUser, org_ids_under, user_memberships

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class LeftBehindAnnotations(TypedDict):
    """What ``with_left_behind`` annotates on each child."""

    father_away: bool
    mother_away: bool
    father_unable: bool
    mother_unable: bool
    left_behind_type: str
    civil_left_behind: bool


_C = TypeVar("_C", bound=Child)

# A child annotated by ``with_left_behind`` (for the type checker).
ChildLeftBehind: TypeAlias = "WithAnnotations[Child, LeftBehindAnnotations]"

# The left-behind rule (both definitions) has its one home here: ``away_cutoff`` /
# ``parent_away_on`` (a parent counts as away on a day), ``left_behind_type_of`` (the
# education-register type from the parents away), ``parent_away_filter`` /
# ``left_behind_filter`` / ``civil_left_behind_filter`` / ``with_left_behind`` (the same
# as SQL) and ``left_behind_history`` (the same over time). Nothing else restates it.
#
# A parent away this long (or longer) makes the child left-behind (教育部学籍口径).
AWAY_THRESHOLD = relativedelta(months=3)
# Under this age (full years), a child may be civil-affairs left-behind (民政口径).
CIVIL_AGE_LIMIT = 16


def pairing_in_force(as_of: dt.date | None = None) -> Q:
    """The filter on Pairing of the pairings in force (结对在帮) on ``as_of`` (default
    today): started on or before that day and not ended by then. The one rule of "a
    pairing in force" for every page, figure and export."""
    as_of = as_of or timezone.localdate()
    return Q(started_on__lte=as_of) & (Q(ended_on__isnull=True) | Q(ended_on__gt=as_of))


# --- "the children of an org": two meanings, each with its name ----------------------


class Population(StrEnum):
    """Which children "the children of an org" means (see the two filters below)."""

    SCHOOLS = "schools"  # by school: ``schooled_under``
    RESIDENCE = "residence"  # by residence or school: ``living_or_schooled_under``


POPULATION_LABELS: dict[Population, Promise] = {
    Population.SCHOOLS: _("本辖区学校的儿童"),
    Population.RESIDENCE: _("住在本辖区或在本辖区上学的儿童"),
}
POPULATION_DEFINITIONS: dict[Population, Promise] = {
    Population.SCHOOLS: _(
        "在本辖区学校就读的儿童，加上不在校、按本辖区的村建档的儿童；住在本辖区、在外地"
        "学校就读的不计。各项指标、工作看板和工作总结按此统计，各校相加等于乡镇、县。"
    ),
    Population.RESIDENCE: _(
        "住在本辖区各村的儿童（不论在哪所学校就读），加上在本辖区学校就读的儿童。乡镇"
        "督导员、村儿童主任按此查看档案；花名册导出按此。"
    ),
}


def schooled_under(org: Org) -> Q:
    """The filter on Child of the children of an org *by school* (``Population.SCHOOLS``):

    - a county, township or school: children whose school is under it, and under a county
      or township also the children not at a school filed under a village under it (each
      child has one unit — a school, or not at a school a village — so the units' figures
      add up to their township's and county's);
    - a grade or class: children whose class is under it;
    - a village: children whose village of residence is under it (whatever their school).

    The population of the indicators, the dashboards and the work summary."""
    if org.kind == OrgKind.VILLAGE:
        return Q(village__in=org_ids_under(org.path, OrgKind.VILLAGE))
    if org.kind in (OrgKind.GRADE, OrgKind.CLASS):
        return Q(school_class__in=org_ids_under(org.path, OrgKind.CLASS))
    schools = Q(school__in=org_ids_under(org.path, OrgKind.SCHOOL))
    if org.kind == OrgKind.SCHOOL:
        return schools
    return schools | Q(school__isnull=True, village__in=org_ids_under(org.path, OrgKind.VILLAGE))


def living_or_schooled_under(org: Org) -> Q:
    """The filter on Child of the children of an org *by residence or school*
    (``Population.RESIDENCE``): living in a village under it, or at a school or in a class
    under it. A township supervisor's scope (``children_scope``) and the registers'
    export (``exchange.export``)."""
    return (
        Q(school__in=org_ids_under(org.path, OrgKind.SCHOOL))
        | Q(school_class__in=org_ids_under(org.path, OrgKind.CLASS))
        | Q(village__in=org_ids_under(org.path, OrgKind.VILLAGE))
    )


def population_filter(org: Org, population: Population) -> Q:
    """``schooled_under`` or ``living_or_schooled_under``, by name."""
    if population == Population.RESIDENCE:
        return living_or_schooled_under(org)
    return schooled_under(org)


def on_roll(as_of: dt.date) -> Q:
    """The filter on Child of the children on the roll (在册) on ``as_of``: active, or left
    the roll after that day (``child_leave``). A child who left counts in no figure from
    the day they left, and in every figure of the days before (indicators' base)."""
    return Q(status=ChildStatus.ACTIVE) | Q(status=ChildStatus.LEFT, left_on__gt=as_of)


def away_cutoff(as_of: dt.date) -> dt.date:
    """The latest start of an away period that counts on ``as_of``."""
    return as_of - AWAY_THRESHOLD


def counts_away_from(start: dt.date) -> dt.date:
    """The first day on which an away period starting on ``start`` counts
    (``away_cutoff(day) >= start``): ``start`` plus ``AWAY_THRESHOLD``, moved on past
    month ends (an absence from 30 November counts from 1 March, not 28 February)."""
    day = start + AWAY_THRESHOLD
    while away_cutoff(day) < start:
        day += dt.timedelta(days=1)
    return day


def parent_away_on(
    start: dt.date, end: dt.date | None, as_of: dt.date, *, cutoff: dt.date | None = None
) -> bool:
    """Whether an away period (``start``, ``end``) makes its parent count as away on
    ``as_of``: gone at least ``AWAY_THRESHOLD`` and not back. The rule of
    ``with_left_behind``, for periods not written yet (an import's preview).
    ``cutoff``: ``away_cutoff(as_of)``, computed once for many periods."""
    return start <= (cutoff or away_cutoff(as_of)) and (end is None or end > as_of)


def left_behind_type_of(away: set[str] | frozenset[str]) -> LeftBehindType:
    """The type (学籍口径) of a child whose parents in ``away`` count as away (relations),
    as ``with_left_behind`` annotates it."""
    parents = len(away & _PARENTS)
    if parents == 2:
        return LeftBehindType.BOTH_PARENTS
    return LeftBehindType.ONE_PARENT if parents else LeftBehindType.NONE


_PARENTS = frozenset(str(r) for r in PARENT_RELATIONS)


def away_periods_counting(as_of: dt.date) -> QuerySet[AwayPeriod]:
    """The away periods that make their parent count as away on ``as_of``:
    ``parent_away_on`` as SQL."""
    return AwayPeriod.objects.filter(start__lte=away_cutoff(as_of)).filter(
        Q(end__isnull=True) | Q(end__gt=as_of)
    )


def _parent_away(relation: str, as_of: dt.date) -> Exists:
    return Exists(away_periods_counting(as_of).filter(child=OuterRef("pk"), relation=relation))


def parent_away_filter(relation: str, as_of: dt.date) -> Q:
    """The filter on Child of the children whose father (or mother: ``relation``) counts
    as away on ``as_of`` (``parent_away_on``)."""
    return Q(_parent_away(relation, as_of))


def _parent_unable(relation: str) -> Exists:
    return Exists(
        FamilyMember.objects.filter(child=OuterRef("pk"), relation=relation, can_guard=False)
    )


def with_left_behind(
    qs: QuerySet[Child], as_of: dt.date | None = None
) -> QuerySet[ChildLeftBehind]:
    """Annotate ``left_behind_type`` (学籍口径) and ``civil_left_behind`` (民政口径).

    Education register: a parent away ≥ 3 months makes a one-parent left-behind child,
    both parents a both-parents one. Civil affairs: under 16, rural, and both parents
    away or one away and the other without guardianship capacity.
    """
    as_of = as_of or timezone.localdate()
    father, mother = Relation.FATHER, Relation.MOTHER
    qs = qs.annotate(
        father_away=_parent_away(father, as_of),
        mother_away=_parent_away(mother, as_of),
        father_unable=_parent_unable(father),
        mother_unable=_parent_unable(mother),
    )
    annotated = qs.annotate(
        left_behind_type=Case(
            When(father_away=True, mother_away=True, then=Value(LeftBehindType.BOTH_PARENTS)),
            When(Q(father_away=True) | Q(mother_away=True), then=Value(LeftBehindType.ONE_PARENT)),
            default=Value(LeftBehindType.NONE),
            output_field=CharField(),
        ),
        civil_left_behind=Case(
            When(
                Q(birth_date__gt=as_of - relativedelta(years=CIVIL_AGE_LIMIT), rural_hukou=True)
                & (
                    Q(father_away=True, mother_away=True)
                    | Q(father_away=True, mother_unable=True)
                    | Q(mother_away=True, father_unable=True)
                ),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )
    return cast("QuerySet[ChildLeftBehind]", annotated)  # the stubs lose the annotations


def left_behind_filter(as_of: dt.date | None = None) -> Q:
    """The filter on Child keeping the children ``left_behind_only(with_left_behind(qs,
    as_of))`` keeps (a father or mother away ≥ 3 months on ``as_of``), without the four
    ``EXISTS`` annotations: only one semi-join for the database to plan, not a ``CASE``
    of subqueries evaluated for every child before the scope (bench/care_bench.py)."""
    as_of = as_of or timezone.localdate()
    if connection.vendor == "sqlite":
        # Two EXISTS with ``relation =``: SQLite 3.40 returns wrong rows for ``relation IN
        # (…)`` (or ``= … OR = …``) with the range on ``start`` over the (child, relation,
        # start) index (a father/mother who left last month matched ``start <= …``).
        return Q(_parent_away(Relation.FATHER, as_of)) | Q(_parent_away(Relation.MOTHER, as_of))
    # PostgreSQL turns one EXISTS into a semi-join; an OR of two became hashed subplans
    # costly enough to switch on JIT compilation (seconds a query).
    return Q(
        Exists(
            away_periods_counting(as_of).filter(
                child=OuterRef("pk"), relation__in=(Relation.FATHER, Relation.MOTHER)
            )
        )
    )


def civil_left_behind_filter(as_of: dt.date | None = None) -> Q:
    """The filter on Child keeping the civil-affairs left-behind (民政口径) on ``as_of``,
    as ``with_left_behind``'s ``civil_left_behind``: under 16, rural, and both parents
    away or one away and the other without guardianship capacity."""
    as_of = as_of or timezone.localdate()
    father, mother = Relation.FATHER, Relation.MOTHER
    father_away, mother_away = Q(_parent_away(father, as_of)), Q(_parent_away(mother, as_of))
    return Q(birth_date__gt=as_of - relativedelta(years=CIVIL_AGE_LIMIT), rural_hukou=True) & (
        (father_away & mother_away)
        | (father_away & Q(_parent_unable(mother)))
        | (mother_away & Q(_parent_unable(father)))
    )


def left_behind_only(qs: QuerySet[ChildLeftBehind]) -> QuerySet[Child]:
    """Keep the left-behind children of a queryset annotated by ``with_left_behind``."""
    return qs.exclude(left_behind_type=LeftBehindType.NONE)


class CareBy(StrEnum):
    """Who looks after a child day to day (监护情况), as ``care_by_filters`` finds it."""

    GUARDIAN = "guardian"  # the entrusted guardian (委托监护人) on file
    FATHER = "father"  # no guardian; the mother away, the father at home and able
    MOTHER = "mother"  # no guardian; the father away, the mother at home and able
    PARENTS = "parents"  # no guardian; neither parent away
    NOBODY = "nobody"  # no guardian; both away, or the parent at home cannot guard


def guardian_on_file() -> Q:
    """The filter on Child of the children with an entrusted guardian (委托监护人) on file:
    a guardian row with a name, or one recorded as not guarding (无人监护)."""
    return Q(
        Exists(
            FamilyMember.objects.filter(child=OuterRef("pk"), relation=Relation.GUARDIAN).filter(
                ~Q(name="") | Q(guardianship_quality=GuardianshipQuality.NONE)
            )
        )
    )


def care_by_filters(as_of: dt.date | None = None) -> dict[CareBy, Q]:
    """Who cares for each child on ``as_of`` (监护情况): one filter on Child per ``CareBy``,
    each child in exactly one. The one rule of the statistics table's 按监护情况 and of
    建档率's "a person responsible for daily care" (``indicators.selectors.filing_gaps``).

    谁负责孩子的日常照料：登记了委托监护人的，由委托监护人（``GUARDIAN``，统计表按其与
    儿童的关系分为祖辈、其他亲属、委托他人、无人监护）；未登记委托监护人时，父母一方
    外出、另一方在家且具备监护能力的，由在家的父亲或母亲（``FATHER`` / ``MOTHER``，
    统计表的“父（母）一方监护”）；父母都不在外的，由父母（``PARENTS``）；其余——父母
    均外出，或在家的一方不具备监护能力——无人负责（``NOBODY``，“监护人未登记”）。

    A parent counts as away as in the left-behind rule (≥ 3 months on ``as_of``); a parent
    without a row on file is taken as able to guard (``FamilyMember.can_guard``)."""
    as_of = as_of or timezone.localdate()
    father, mother = Relation.FATHER, Relation.MOTHER
    guardian = guardian_on_file()
    father_away = parent_away_filter(father, as_of)
    mother_away = parent_away_filter(mother, as_of)
    father_unable, mother_unable = Q(_parent_unable(father)), Q(_parent_unable(mother))
    father_cares = mother_away & ~father_away & ~father_unable
    mother_cares = father_away & ~mother_away & ~mother_unable
    parents = ~father_away & ~mother_away
    return {
        CareBy.GUARDIAN: guardian,
        CareBy.FATHER: ~guardian & father_cares,
        CareBy.MOTHER: ~guardian & mother_cares,
        CareBy.PARENTS: ~guardian & parents,
        CareBy.NOBODY: ~guardian & ~father_cares & ~mother_cares & ~parents,
    }


def left_behind_history(child: Child) -> list[tuple[dt.date, dt.date | None, str]]:
    """The child's left-behind type over time, as (from, to, type) periods, from the
    parents' away periods (``parent_away_on`` each day a period starts or stops
    counting). ``to`` is None for the period still running."""
    periods = [p for p in child.away_periods.all() if p.relation in PARENT_RELATIONS]
    edges: set[dt.date] = set()
    for p in periods:
        edges.add(counts_away_from(p.start))
        if p.end:
            edges.add(p.end)
    history: list[tuple[dt.date, dt.date | None, str]] = []
    for day in sorted(edges):
        away = {p.relation for p in periods if parent_away_on(p.start, p.end, day)}
        kind = left_behind_type_of(away)
        if history and history[-1][2] == kind:
            continue
        if history:
            history[-1] = (history[-1][0], day, history[-1][2])
        history.append((day, None, kind))
    while history and history[0][2] == LeftBehindType.NONE:
        history.pop(0)
    return history


def search_children(qs: QuerySet[_C], text: str) -> QuerySet[_C]:
    """Match a name, its full pinyin or its initials (王子涵: 王子, wangzi, wzh)."""
    text = "".join(text.split())
    if not text:
        return qs
    if text.isascii():
        lowered = text.lower()
        return qs.filter(Q(name_initials__startswith=lowered) | Q(name_pinyin__startswith=lowered))
    return qs.filter(name__contains=text)


def active_pairings(kind: str, to_attr: str) -> Prefetch:
    """Prefetch a child's pairing of ``kind`` in force into the list ``child.<to_attr>``."""
    return Prefetch(
        "pairings",
        queryset=Pairing.objects.filter(pairing_in_force(), kind=kind).select_related("mentor"),
        to_attr=to_attr,
    )


def children_with_ids(ids: list[int]) -> QuerySet[Child]:
    """The children of ``ids``, a list the caller took from a scoped read (a page of a
    drill-down, one child of an answer)."""
    return Child.objects.filter(pk__in=ids)


def children_page(ids: list[int]) -> list[Child]:
    """The children of a page of ids (at most a page long), with school and class, in
    the order of ``ids``."""
    found = Child.objects.select_related("school", "school_class").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def filed_under_villages() -> QuerySet[Child]:
    """The children on the roll filed under a village, not a school (aged 0–5, out of
    school): their village is their unit, a row of the tables beside the schools."""
    return Child.objects.filter(school__isnull=True, status=ChildStatus.ACTIVE)


def selectable_villages(user: AnyUser) -> QuerySet[Org]:
    """The villages a child file may name: those of the counties the user works in
    (pupils of one school come from villages all over the county)."""
    villages = Org.objects.filter(kind=OrgKind.VILLAGE)
    if not user.is_authenticated or not user.is_active:
        return villages.none()
    if user.is_superuser:
        return villages.order_by("path")
    counties = {m.org.county_code for m in user_memberships(user)}
    return villages.filter(county_code__in=counties).order_by("path")


def risk_rank() -> Case:
    """The order of the working lists: high risk 0, medium 1, low (or unset) 2 — the
    derived ``Child.risk_level`` put children at risk first in every list."""
    return Case(
        When(risk_level=RiskLevel.HIGH, then=Value(0)),
        When(risk_level=RiskLevel.MEDIUM, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
