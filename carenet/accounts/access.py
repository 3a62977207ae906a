"""Who manages whom: the one table of which roles a manager may give, and where.

A manager may give a role at an org when one of their memberships has a managing role that
lists it and the org lies under that membership's org (and is of a kind the role sits at).
A person is the manager's to manage when every one of their memberships is one the manager
could have given: a principal never touches a teacher who is also a village director.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import Combinable

from carenet.orgs.models import Membership, Org, OrgKind, Role
from carenet.orgs.selectors import AnyUser, user_memberships

# The org kinds each role sits at.
ROLE_ORG_KINDS: dict[str, tuple[str, ...]] = {
    Role.COUNTY_ADMIN: (OrgKind.COUNTY,),
    Role.TOWNSHIP_SUPERVISOR: (OrgKind.TOWNSHIP,),
    Role.VILLAGE_DIRECTOR: (OrgKind.VILLAGE,),
    Role.PRINCIPAL: (OrgKind.SCHOOL,),
    Role.SCHOOL_ADMIN: (OrgKind.SCHOOL,),
    Role.COUNSELOR: (OrgKind.SCHOOL,),
    Role.TEACHER: (OrgKind.SCHOOL, OrgKind.GRADE, OrgKind.CLASS),
}

# Managing role → the roles it may give under its org. A role not listed manages nobody.
MANAGES: dict[str, frozenset[str]] = {
    Role.COUNTY_ADMIN: frozenset(Role.values),
    Role.TOWNSHIP_SUPERVISOR: frozenset({Role.VILLAGE_DIRECTOR}),
    Role.PRINCIPAL: frozenset({Role.SCHOOL_ADMIN, Role.TEACHER, Role.COUNSELOR}),
    Role.SCHOOL_ADMIN: frozenset({Role.TEACHER, Role.COUNSELOR}),
}


def _managing(user: AnyUser) -> list[Membership]:
    if not user.is_authenticated or not user.is_active:
        return []
    return [m for m in user_memberships(user) if m.role in MANAGES]


def is_manager(user: AnyUser) -> bool:
    return bool(_managing(user))


def may_grant(user: AnyUser, *, role: str, org: Org) -> bool:
    """Whether the user may give ``role`` at ``org``."""
    if org.kind not in ROLE_ORG_KINDS.get(role, ()) or not org.is_open:
        return False
    return any(role in MANAGES[m.role] and org.path.startswith(m.org.path) for m in _managing(user))


def grantable_roles(user: AnyUser) -> list[str]:
    roles: set[str] = set()
    for membership in _managing(user):
        roles |= MANAGES[membership.role]
    return [r for r in Role.values if r in roles]


def grantable_orgs(user: AnyUser, *, role: str | None = None) -> QuerySet[Org]:
    """The open orgs at which the user may give a role (``role``, or any)."""
    scope = Q(pk__in=[])
    for membership in _managing(user):
        roles = MANAGES[membership.role] if role is None else {role} & MANAGES[membership.role]
        kinds = {kind for r in roles for kind in ROLE_ORG_KINDS[r]}
        if kinds:
            scope |= Q(path__startswith=membership.org.path, kind__in=kinds)
    return Org.objects.filter(scope, closed_on__isnull=True).order_by("path")


def _grantable_memberships(user: AnyUser) -> Q:
    """A filter on Membership: the rows this user could have given."""
    scope = Q(pk__in=[])
    for membership in _managing(user):
        for role in MANAGES[membership.role]:
            scope |= Q(
                role=role,
                org__path__startswith=membership.org.path,
                org__kind__in=ROLE_ORG_KINDS[role],
            )
    return scope


def managed_people(user: AnyUser) -> QuerySet:
    """The users this user manages: each of their memberships is one this user could give
    (and they have one); never a superuser, never the user themselves. A county
    administrator also manages the county's people left without any membership."""
    User = get_user_model()
    managing = _managing(user)
    if not managing:
        return User.objects.none()
    grantable = _grantable_memberships(user)
    rows = Membership.objects.filter(user=OuterRef("pk"))
    scope: Q | Combinable = Exists(rows.filter(grantable)) & ~Exists(rows.exclude(grantable))
    counties = [m.org.county_code for m in managing if m.role == Role.COUNTY_ADMIN]
    if counties:
        scope |= Q(person__county_code__in=counties) & ~Exists(rows)
    return (
        User.objects.filter(scope, is_superuser=False)
        .exclude(pk=user.pk)  # type: ignore[misc]  # None only for an anonymous user, who manages no one
        .order_by("person__name", "username", "pk")
    )


def may_manage(user: AnyUser, person: User) -> bool:
    return managed_people(user).filter(pk=person.pk).exists()
