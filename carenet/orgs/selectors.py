"""Reads of the org tree and of a user's memberships."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Length, Substr

from carenet.orgs.models import Membership, Org, OrgKind, Role

AnyUser = User | AnonymousUser


def user_memberships(user: AnyUser) -> list[Membership]:
    """The user's memberships with their orgs, fetched once per user object."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_carenet_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("org"))
        user._carenet_memberships = cached  # type: ignore[attr-defined]  # a per-user cache
    return cached


def primary_membership(user: AnyUser) -> Membership | None:
    """The membership that decides the home page: the widest scope first."""
    order: list[str] = [
        Role.COUNTY_ADMIN,
        Role.TOWNSHIP_SUPERVISOR,
        Role.PRINCIPAL,
        Role.SCHOOL_ADMIN,
        Role.VILLAGE_DIRECTOR,
        Role.COUNSELOR,
        Role.TEACHER,
    ]
    memberships = user_memberships(user)
    return min(memberships, key=lambda m: order.index(m.role), default=None)


def org_ids_under(path: str, kind: str | None = None) -> list[int]:
    """The ids of an org and everything under it (of one kind, if given): one indexed
    prefix query on the path. Resolved to a list first (the org table is small) so that
    a children query filters on indexed id lists, not on OR'ed sub-queries that
    PostgreSQL answers by reading every child."""
    orgs = Org.objects.filter(path__startswith=path)
    if kind:
        orgs = orgs.filter(kind=kind)
    return list(orgs.values_list("pk", flat=True))


def visible_orgs(user: AnyUser, *, kind: str | None = None) -> QuerySet[Org]:
    """Orgs a user may list: everything under their memberships, and the schools above them."""
    if user.is_authenticated and user.is_superuser:
        scope = Q()
    else:
        memberships = user_memberships(user)
        if not memberships:
            return Org.objects.none()
        scope = Q(pk__in=[])
        for membership in memberships:
            scope |= Q(path__startswith=membership.org.path)
            if membership.org.kind in (OrgKind.GRADE, OrgKind.CLASS):
                # A class teacher may see their school and grade by name.
                scope |= Q(path__in=_prefixes(membership.org.path))
    orgs = Org.objects.filter(scope)
    if kind:
        orgs = orgs.filter(kind=kind)
    return orgs.order_by("path")


def school_of(org: Org) -> Org | None:
    """The school an org (grade or class) belongs to."""
    if org.kind == OrgKind.SCHOOL:
        return org
    return Org.objects.filter(kind=OrgKind.SCHOOL, path__in=_prefixes(org.path)).first()


def _prefixes(path: str) -> list[str]:
    step = Org.steplen
    return [path[:i] for i in range(step, len(path), step)]


def setup_open() -> bool:
    """The site waits for its first administrator: nobody has a role anywhere yet (no
    county, or counties set up by ``carenet setup county`` without staff). Then the setup
    page is the way in; once anyone has a role it is closed for good."""
    return not Membership.objects.exists()


def county_place_counts(counties: Iterable[Org]) -> list[dict]:
    """Each county with its open townships and villages counted:
    ``[{"county", "townships", "villages"}]``, in one query."""
    counties = list(counties)
    rows = (
        Org.objects.filter(county_code__in=[c.code for c in counties], closed_on__isnull=True)
        .values("county_code")
        .annotate(
            townships=Count("pk", filter=Q(kind=OrgKind.TOWNSHIP)),
            villages=Count("pk", filter=Q(kind=OrgKind.VILLAGE)),
        )
    )
    by_code = {row["county_code"]: row for row in rows}
    return [
        {
            "county": c,
            "townships": by_code.get(c.code, {}).get("townships", 0),
            "villages": by_code.get(c.code, {}).get("villages", 0),
        }
        for c in counties
    ]


def with_school_names(classes: QuerySet[Org]) -> QuerySet[Org]:
    """Annotate each class with ``school_name``, the name of the school above it."""
    school = Org.objects.filter(
        kind=OrgKind.SCHOOL, path=Substr(OuterRef("path"), 1, Length("path"))
    )
    return classes.annotate(school_name=Subquery(school.values("name")[:1]))


def class_label(org: Org) -> str:
    """A class named with its school (see ``with_school_names``): 华阳小学 一(1)班."""
    school_name = getattr(org, "school_name", None)
    return f"{school_name} {org.name}" if school_name else org.name
