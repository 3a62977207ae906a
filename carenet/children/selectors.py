"""Reads of child files. ``visible_children`` is the one scoping function: every page,
API call, export and report asks it which children a user may see or change."""

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
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from carenet.children.models import (
    PARENT_RELATIONS,
    AwayPeriod,
    Child,
    ChildStatus,
    FamilyMember,
    GuardianshipQuality,
    LeftBehindType,
    Pairing,
    PairingKind,
    Relation,
)
from carenet.orgs.models import Org, OrgKind, Role
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

# A parent away this long (or longer) makes the child left-behind (教育部学籍口径).
AWAY_THRESHOLD = relativedelta(months=3)
CIVIL_AGE_LIMIT = 16


class Action(StrEnum):
    VIEW = "view"  # read the file (contacts masked unless CONTACTS)
    CONTACTS = "contacts"  # see ID numbers and phones unmasked
    EDIT = "edit"  # change the file


_ROLE_ACTIONS: dict[str, set[Action]] = {
    Role.COUNTY_ADMIN: {Action.VIEW, Action.EDIT},
    Role.TOWNSHIP_SUPERVISOR: {Action.VIEW},
    # EDIT: only the files of the village's children not at a school (the school keeps
    # its pupils' files).
    Role.VILLAGE_DIRECTOR: {Action.VIEW, Action.CONTACTS, Action.EDIT},
    Role.PRINCIPAL: {Action.VIEW, Action.CONTACTS, Action.EDIT},
    Role.SCHOOL_ADMIN: {Action.VIEW, Action.CONTACTS, Action.EDIT},
    Role.TEACHER: {Action.VIEW, Action.CONTACTS, Action.EDIT},
    Role.COUNSELOR: {Action.VIEW},
}
# What a mentor may do for their own mentees.
_MENTOR_ACTIONS = {Action.VIEW, Action.CONTACTS}


def children_scope(user: AnyUser, action: Action = Action.VIEW) -> Q:
    """The filter on Child that a user's memberships and pairings allow for an action."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    scope = Q(pk__in=[])
    for membership in user_memberships(user):
        if action not in _ROLE_ACTIONS.get(membership.role, set()):
            continue
        org = membership.org
        if membership.role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_SUPERVISOR):
            scope |= Q(school__in=org_ids_under(org.path, OrgKind.SCHOOL)) | Q(
                village__in=org_ids_under(org.path, OrgKind.VILLAGE)
            )
        elif membership.role == Role.VILLAGE_DIRECTOR:
            villages = Q(village__in=org_ids_under(org.path, OrgKind.VILLAGE))
            scope |= villages & Q(school__isnull=True) if action == Action.EDIT else villages
        elif membership.role in (Role.PRINCIPAL, Role.SCHOOL_ADMIN, Role.COUNSELOR):
            scope |= Q(school__in=org_ids_under(org.path, OrgKind.SCHOOL))
        elif membership.role == Role.TEACHER and org.kind in (OrgKind.CLASS, OrgKind.GRADE):
            scope |= Q(school_class__in=org_ids_under(org.path, OrgKind.CLASS))
    if action in _MENTOR_ACTIONS:
        scope |= Q(pk__in=mentee_ids(user))
    return scope


def mentee_ids(user: AnyUser) -> list[int]:
    """The children a user is the active mentor of, fetched once per user object (an id
    list, so the children query can use the primary key index)."""
    cached = getattr(user, "_carenet_mentee_ids", None)
    if cached is None:
        cached = list(
            Pairing.objects.filter(
                mentor_id=user.pk, kind=PairingKind.MENTOR, ended_on__isnull=True
            ).values_list("child_id", flat=True)
        )
        user._carenet_mentee_ids = cached  # type: ignore[union-attr]  # a per-user cache
    return cached


def visible_children(user: AnyUser, action: Action = Action.VIEW) -> QuerySet[Child]:
    """The children a user may see (or, with ``action``, change or see unmasked).

    Archived files are out of everyone's working scope.
    """
    return Child.objects.filter(children_scope(user, action)).exclude(status=ChildStatus.ARCHIVED)


def schooled_under(org: Org) -> Q:
    """The filter on Child of the children of an org *by school*:

    - a county, township or school: children whose school is under it, and under a county
      or township also the children not at a school filed under a village under it (each
      child has one unit — a school, or not at a school a village — so the units' figures
      add up to their township's and county's);
    - a grade or class: children whose class is under it;
    - a village: children whose village of residence is under it (whatever their school).

    The population of the indicators, the dashboards and the support activities' roll."""
    if org.kind == OrgKind.VILLAGE:
        return Q(village__in=org_ids_under(org.path, OrgKind.VILLAGE))
    if org.kind in (OrgKind.GRADE, OrgKind.CLASS):
        return Q(school_class__in=org_ids_under(org.path, OrgKind.CLASS))
    schools = Q(school__in=org_ids_under(org.path, OrgKind.SCHOOL))
    if org.kind == OrgKind.SCHOOL:
        return schools
    return schools | Q(school__isnull=True, village__in=org_ids_under(org.path, OrgKind.VILLAGE))


def on_roll(as_of: dt.date) -> Q:
    """The filter on Child of the children on the roll (在册) on ``as_of``: active, or left
    the roll after that day (``child_leave``). A child who left counts in no figure from
    the day they left, and in every figure of the days before (indicators' base)."""
    return Q(status=ChildStatus.ACTIVE) | Q(status=ChildStatus.LEFT, left_on__gt=as_of)


def user_may(user: AnyUser, action: Action, child: Child) -> bool:
    return visible_children(user, action).filter(pk=child.pk).exists()


class IdHolder(StrEnum):
    """Who holds an ID number, as far as a user may know."""

    NONE = "none"  # no child file has it
    VISIBLE = "visible"  # a child the user may see
    HIDDEN = "hidden"  # a child the user may not see (out of scope or archived)


def id_number_holder(
    *, user: AnyUser | None, id_hash: str, exclude_pk: int | None = None
) -> IdHolder:
    """Whether an ID number (its blind index) is on file, and if so whether the user may
    see that child. No user (the command-line operator) sees nothing: a holder is HIDDEN."""
    holders = Child.objects.filter(id_number_hash=id_hash)
    if exclude_pk is not None:
        holders = holders.exclude(pk=exclude_pk)
    if not holders.exists():
        return IdHolder.NONE
    if user is not None and visible_children(user).filter(pk__in=holders).exists():
        return IdHolder.VISIBLE
    return IdHolder.HIDDEN


def away_cutoff(as_of: dt.date) -> dt.date:
    """The latest start of an away period that counts on ``as_of``."""
    return as_of - AWAY_THRESHOLD


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


def _parent_away(relation: str, as_of: dt.date) -> Exists:
    # ``parent_away_on`` as SQL.
    return Exists(
        AwayPeriod.objects.filter(
            child=OuterRef("pk"), relation=relation, start__lte=away_cutoff(as_of)
        ).filter(Q(end__isnull=True) | Q(end__gt=as_of))
    )


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
            AwayPeriod.objects.filter(
                child=OuterRef("pk"),
                relation__in=(Relation.FATHER, Relation.MOTHER),
                start__lte=away_cutoff(as_of),
            ).filter(Q(end__isnull=True) | Q(end__gt=as_of))
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
    parents' away periods. ``to`` is None for the period still running."""
    periods = [p for p in child.away_periods.all() if p.relation in PARENT_RELATIONS]
    edges: set[dt.date] = set()
    for p in periods:
        edges.add(p.start + AWAY_THRESHOLD)
        if p.end:
            edges.add(p.end)
    history: list[tuple[dt.date, dt.date | None, str]] = []
    for day in sorted(edges):
        away = {
            p.relation
            for p in periods
            if p.start + AWAY_THRESHOLD <= day and (p.end is None or p.end > day)
        }
        kind = (
            LeftBehindType.BOTH_PARENTS
            if len(away) == 2
            else LeftBehindType.ONE_PARENT
            if away
            else LeftBehindType.NONE
        )
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
        queryset=Pairing.objects.filter(kind=kind, ended_on__isnull=True).select_related("mentor"),
        to_attr=to_attr,
    )


def editable_classes(user: AnyUser) -> QuerySet[Org]:
    """The classes in which a user may create or move child files: ``children_scope`` for
    ``Action.EDIT`` read as classes (mentors edit nothing through their pairings)."""
    classes = Org.objects.filter(kind=OrgKind.CLASS)
    if not user.is_authenticated or not user.is_active:
        return classes.none()
    if user.is_superuser:
        return classes.order_by("path")
    scope = Q(pk__in=[])
    for membership in user_memberships(user):
        if Action.EDIT not in _ROLE_ACTIONS.get(membership.role, set()):
            continue
        org = membership.org
        if membership.role == Role.TEACHER and org.kind not in (OrgKind.CLASS, OrgKind.GRADE):
            continue
        scope |= Q(path__startswith=org.path)
    return classes.filter(scope).order_by("path")


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


# Who files children not at a school under a village (a civil-affairs register, a child
# aged 0–5): the village director for their village, the county for its villages.
VILLAGE_FILERS = (Role.VILLAGE_DIRECTOR, Role.COUNTY_ADMIN)


def filing_villages(user: AnyUser) -> QuerySet[Org]:
    """The villages under which a user may file (create, import) a child not at a school:
    ``children_scope`` for ``Action.EDIT`` read as villages."""
    villages = Org.objects.filter(kind=OrgKind.VILLAGE)
    if not user.is_authenticated or not user.is_active:
        return villages.none()
    if user.is_superuser:
        return villages.order_by("path")
    scope = Q(pk__in=[])
    for membership in user_memberships(user):
        if membership.role in VILLAGE_FILERS:
            scope |= Q(path__startswith=membership.org.path)
    return villages.filter(scope).order_by("path")
