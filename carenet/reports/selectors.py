"""Who may write documents, and for which orgs."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from carenet.orgs.models import Org, Role
from carenet.orgs.selectors import AnyUser, user_memberships, visible_orgs

# Roles that hand in work summaries and plans: the school's leadership, the township
# supervisor, the village director and the county.
DOCUMENT_ROLES = (
    Role.COUNTY_ADMIN,
    Role.TOWNSHIP_SUPERVISOR,
    Role.VILLAGE_DIRECTOR,
    Role.PRINCIPAL,
    Role.SCHOOL_ADMIN,
)


def may_write_documents(user: AnyUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or any(m.role in DOCUMENT_ROLES for m in user_memberships(user))


def document_orgs(user: AnyUser) -> QuerySet[Org]:
    """The orgs a user may write documents for: those under their document roles."""
    if not may_write_documents(user):
        return Org.objects.none()
    orgs = visible_orgs(user)
    if user.is_superuser:
        return orgs
    scope = Q(pk__in=[])
    for membership in user_memberships(user):
        if membership.role in DOCUMENT_ROLES:
            scope |= Q(path__startswith=membership.org.path)
    return orgs.filter(scope)


def default_org(user: AnyUser, orgs: QuerySet[Org]) -> Org | None:
    """The widest org of the user's document roles (else the first one they may use)."""
    for membership in sorted(user_memberships(user), key=lambda m: len(m.org.path)):
        if membership.role in DOCUMENT_ROLES:
            return membership.org
    return orgs.first()
