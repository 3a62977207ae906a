"""Who may move a child along their path (转学, 转出县外, 迁出, 辍学, 复学, 死亡), and who
decides a transfer: one table, the functions below read it.

- 校长, 德育主任 (principal, school admin), over their school's children: every step
  but the county's direct move; they decide the transfers of their school.
- 班主任 (a teacher at a class or grade), over their class's children: request a
  transfer; record a dropout or a return.
- 村儿童主任 (village director), over the children living in their village: record a
  dropout or a return (they often learn of it first, and they do the 劝返 work).
- 县级管理员 (county admin), over the county: everything, including moving a child
  directly between two schools of the county.

Mentors, counselors and township supervisors read the file and take no step.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Q, QuerySet

from carenet.children.models import Child, ChildStatus, Transfer, TransferSide
from carenet.orgs.models import Org, OrgKind, Role
from carenet.orgs.selectors import AnyUser, org_ids_under, user_memberships


class PathAction(StrEnum):
    TRANSFER = "transfer"  # ask another school of the county to take the child (转学)
    LEAVE = "leave"  # transferred out of the county, moved away, died
    DROP_OUT = "drop_out"  # record a dropout (辍学) and the return (复学)
    MOVE = "move"  # the county admin moves the child at once (a transfer decided by both)


SCHOOL_MANAGERS = (Role.PRINCIPAL, Role.SCHOOL_ADMIN)
_ROLE_PATH: dict[str, set[PathAction]] = {
    Role.COUNTY_ADMIN: set(PathAction),
    Role.PRINCIPAL: {PathAction.TRANSFER, PathAction.LEAVE, PathAction.DROP_OUT},
    Role.SCHOOL_ADMIN: {PathAction.TRANSFER, PathAction.LEAVE, PathAction.DROP_OUT},
    Role.TEACHER: {PathAction.TRANSFER, PathAction.DROP_OUT},
    Role.VILLAGE_DIRECTOR: {PathAction.DROP_OUT},
}


def path_scope(user: AnyUser, action: PathAction) -> Q:
    """The filter on Child of the children a user may take ``action`` for."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    scope = Q(pk__in=[])
    for membership in user_memberships(user):
        if action not in _ROLE_PATH.get(membership.role, set()):
            continue
        org = membership.org
        if membership.role == Role.COUNTY_ADMIN:
            scope |= Q(county_code=org.county_code)
        elif membership.role in SCHOOL_MANAGERS:
            scope |= Q(school__in=org_ids_under(org.path, OrgKind.SCHOOL))
        elif membership.role == Role.TEACHER and org.kind in (OrgKind.CLASS, OrgKind.GRADE):
            scope |= Q(school_class__in=org_ids_under(org.path, OrgKind.CLASS))
        elif membership.role == Role.VILLAGE_DIRECTOR:
            scope |= Q(village__in=org_ids_under(org.path, OrgKind.VILLAGE))
    return scope


def path_actions(user: AnyUser, child: Child) -> set[PathAction]:
    """The steps a user may take for a child on the roll (none for a child who left)."""
    if child.status != ChildStatus.ACTIVE:
        return set()
    return {
        action
        for action in PathAction
        if Child.objects.filter(path_scope(user, action), pk=child.pk).exists()
    }


def transfer_schools(user: AnyUser) -> QuerySet[Org]:
    """The schools whose transfers a user handles: their own school for its principal and
    school admin, every school of the county for its administrator."""
    schools = Org.objects.filter(kind=OrgKind.SCHOOL)
    if not user.is_authenticated or not user.is_active:
        return schools.none()
    if user.is_superuser:
        return schools.order_by("path")
    scope = Q(pk__in=[])
    for membership in user_memberships(user):
        if membership.role == Role.COUNTY_ADMIN:
            scope |= Q(county_code=membership.org.county_code)
        elif membership.role in SCHOOL_MANAGERS:
            scope |= Q(path__startswith=membership.org.path)
    return schools.filter(scope).order_by("path")


def deciding_school(transfer: Transfer) -> int:
    """The school that decides a transfer: the receiving school when the school holding
    the file asked, the school holding the file when the receiving school asked."""
    if transfer.side == TransferSide.RECEIVING:
        return transfer.from_school_id
    return transfer.to_school_id


def asking_school(transfer: Transfer) -> int:
    if transfer.side == TransferSide.RECEIVING:
        return transfer.to_school_id
    return transfer.from_school_id


def may_decide(user: AnyUser, transfer: Transfer) -> bool:
    return transfer_schools(user).filter(pk=deciding_school(transfer)).exists()


def may_cancel(user: AnyUser, transfer: Transfer) -> bool:
    """The one who asked, or the managers of the asking school (and the county)."""
    if transfer.requested_by_id == user.pk:
        return True
    return transfer_schools(user).filter(pk=asking_school(transfer)).exists()


def visible_transfers(user: AnyUser) -> QuerySet[Transfer]:
    """The transfers a user sees on the transfers page: those of the schools they handle
    (either side), and those they asked for themselves (a class teacher)."""
    schools = list(transfer_schools(user).values_list("pk", flat=True))
    scope = Q(from_school__in=schools) | Q(to_school__in=schools) | Q(requested_by=user.pk)
    if not user.is_authenticated:
        return Transfer.objects.none()
    return Transfer.objects.filter(scope).select_related(
        "child", "from_school", "from_class", "to_school", "to_class", "requested_by"
    )


def child_shown(user: AnyUser, transfer: Transfer) -> bool:
    """Whether the transfers page may name the child and the school holding the file.

    A receiving school that asked by ID number (``transfer_claim``) learns nothing of the
    file until the school holding it consents: no name, no school, no class."""
    if transfer.side != TransferSide.RECEIVING or transfer.status == "accepted":
        return True
    if user.is_superuser:
        return True
    handled = set(transfer_schools(user).values_list("pk", flat=True))
    if transfer.from_school_id in handled:
        return True
    return any(
        m.role == Role.COUNTY_ADMIN and m.org.county_code == transfer.county_code
        for m in user_memberships(user)
    )
