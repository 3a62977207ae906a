"""Reads for the school pages: who may run a county's schools or a school's classes, and
the county's schools by township with their counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from carenet.children.models import Child, ChildStatus
from carenet.orgs.models import Org, OrgKind, Role
from carenet.orgs.selectors import AnyUser, user_memberships

# Roles that set up the grades and classes of the school they are placed at.
_SCHOOL_MANAGERS = {Role.PRINCIPAL, Role.SCHOOL_ADMIN}


def administered_counties(user: AnyUser) -> QuerySet[Org]:
    """The counties whose schools a user may add, rename, move, merge and close: those
    where they are county administrator (a superuser: every county)."""
    counties = Org.objects.filter(kind=OrgKind.COUNTY).order_by("code")
    if not user.is_authenticated or not user.is_active:
        return counties.none()
    if user.is_superuser:
        return counties
    ids = [
        m.org_id
        for m in user_memberships(user)
        if m.role == Role.COUNTY_ADMIN and m.org.kind == OrgKind.COUNTY
    ]
    return counties.filter(pk__in=ids)


def may_administer_schools(user: AnyUser) -> bool:
    """Whether the user administers a county's schools (no query: memberships are cached)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or any(
        m.role == Role.COUNTY_ADMIN and m.org.kind == OrgKind.COUNTY for m in user_memberships(user)
    )


def own_school(user: AnyUser) -> Org | None:
    """The school a principal or school admin sets up the classes of (no query)."""
    if not user.is_authenticated or not user.is_active:
        return None
    for membership in user_memberships(user):
        if membership.role in _SCHOOL_MANAGERS and membership.org.kind == OrgKind.SCHOOL:
            return membership.org
    return None


def administered_schools(user: AnyUser) -> QuerySet[Org]:
    """Every school (open or closed) of the counties the user administers."""
    scope = Q(pk__in=[])
    for county in administered_counties(user):
        scope |= Q(path__startswith=county.path)
    return Org.objects.filter(scope, kind=OrgKind.SCHOOL).order_by("path")


def class_schools(user: AnyUser) -> QuerySet[Org]:
    """The schools whose grades and classes a user may set up: principals and school
    admins at their school, county administrators for every school of the county."""
    if not user.is_authenticated or not user.is_active:
        return Org.objects.none()
    scope = Q(pk__in=administered_schools(user).values("pk"))
    for membership in user_memberships(user):
        if membership.role in _SCHOOL_MANAGERS and membership.org.kind == OrgKind.SCHOOL:
            scope |= Q(pk=membership.org_id)
    return Org.objects.filter(scope, kind=OrgKind.SCHOOL).order_by("path")


def county_townships(county: Org) -> QuerySet[Org]:
    return Org.objects.filter(
        path__startswith=county.path, kind=OrgKind.TOWNSHIP, closed_on__isnull=True
    ).order_by("path")


@dataclass
class SchoolRow:
    school: Org
    classes: int
    children: int


@dataclass
class TownshipSchools:
    township: Org
    schools: list[SchoolRow] = field(default_factory=list)


def county_schools(county: Org, *, closed: bool = False) -> list[TownshipSchools]:
    """The county's schools under each township, with their open classes and their
    children on the roll (closed schools too with ``closed``)."""
    schools = Org.objects.filter(path__startswith=county.path, kind=OrgKind.SCHOOL)
    if not closed:
        schools = schools.filter(closed_on__isnull=True)
    schools = list(schools.order_by("path"))
    children = dict(
        Child.objects.filter(school__in=schools, status=ChildStatus.ACTIVE)
        .values_list("school")
        .annotate(n=Count("pk"))
        .values_list("school", "n")
    )
    classes: dict[str, int] = {}
    school_paths = {s.path for s in schools}
    depth = len(schools[0].path) if schools else 0
    for path in Org.objects.filter(
        path__startswith=county.path, kind=OrgKind.CLASS, closed_on__isnull=True
    ).values_list("path", flat=True):
        prefix = path[:depth]
        if prefix in school_paths:
            classes[prefix] = classes.get(prefix, 0) + 1
    townships = {
        t.path: TownshipSchools(t)
        for t in Org.objects.filter(path__startswith=county.path, kind=OrgKind.TOWNSHIP)
    }
    for school in schools:
        group = townships.get(school.path[: -Org.steplen])
        if group is None:
            continue
        group.schools.append(
            SchoolRow(school, classes.get(school.path, 0), children.get(school.pk, 0))
        )
    return [group for path, group in sorted(townships.items()) if group.schools]
