"""Transfers between schools (转学): which school decides, who may cancel, who sees what.

Who may take each step of a child's path (``Permission.REQUEST_TRANSFER``,
``RECORD_LEAVING``, ``RECORD_DROPOUT``, ``MOVE_CHILDREN``) and who decides a school's
transfers (``DECIDE_TRANSFERS``) is the access table, ``carenet.children.access``.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from carenet.children.access import decides_county_transfers, transfer_schools
from carenet.children.models import Transfer, TransferSide
from carenet.orgs.selectors import AnyUser


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
    return decides_county_transfers(user, transfer.county_code)
