"""转学: a child's move to another school of the same county.

One school asks and the other decides (``transfer_request`` by the school holding the
file, the receiving school accepts or refuses; ``transfer_claim`` by a school that
enrols a child already filed in the county, found by ID number, the school holding the
file consents or refuses). ``transfer_move`` is the county administrator's direct move.

On acceptance, in one transaction (``_move``): the child's school and class change (a
history row names who and why), records, plans and history stay with the child (it is
the same file), every pairing in force ends (reason 转学: mentors and buddies are of the
sending school), and the scope follows at once (``visible_children`` reads the school).

The access log is written by the caller (``children`` sits below ``audit``).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carenet.children.models import (
    Child,
    ChildStatus,
    Pairing,
    Transfer,
    TransferSide,
    TransferStatus,
)
from carenet.children.services import _pairings_of
from carenet.lib.crypto import blind_index
from carenet.lib.idcard import InvalidIdNumber, parse_id_number
from carenet.orgs.models import Org, OrgKind

# The end reason of the pairings a transfer ends (kept in English-free words, as the
# other reasons of ``Pairing.end_reason``).
TRANSFER_END_REASON = "转学"


class TransferError(Exception):
    """A transfer step that may not be taken: one clear line for the user."""


def _open_school(school: Org, county_code: str) -> None:
    if school.kind != OrgKind.SCHOOL or not school.is_open:
        raise TransferError(_("请选择一所开办中的学校。"))
    if school.county_code != county_code:
        raise TransferError(_("只能转到本县的学校；转到县外请使用“转出县外”。"))


def _class_of(school: Org, school_class: Org | None) -> Org:
    if (
        school_class is None
        or school_class.kind != OrgKind.CLASS
        or not school_class.is_open
        or not school_class.path.startswith(school.path)
    ):
        raise TransferError(_("请选择转入学校的一个班级。"))
    return school_class


def _check_child(child: Child, to_school: Org) -> None:
    if child.status != ChildStatus.ACTIVE:
        raise TransferError(_("该儿童已不在册，不能转学。"))
    if child.school_id == to_school.pk:
        raise TransferError(_("该儿童已在这所学校。"))


@transaction.atomic
def transfer_request(
    *, child: Child, to_school: Org, reason: str = "", actor: User | None
) -> Transfer:
    """The school holding the file asks ``to_school`` to take the child; it decides."""
    _check_child(child, to_school)
    _open_school(to_school, child.county_code)
    return _create(
        child=child,
        side=TransferSide.SENDING,
        to_school=to_school,
        to_class=None,
        reason=reason,
        actor=actor,
    )


def _create(
    *,
    child: Child,
    side: str,
    to_school: Org,
    to_class: Org | None,
    reason: str,
    actor: User | None,
    status: str = TransferStatus.REQUESTED,
) -> Transfer:
    try:
        with transaction.atomic():
            return Transfer.objects.create(
                child=child,
                county_code=child.county_code,
                side=side,
                from_school_id=child.school_id,  # type: ignore[misc]  # a transfer starts at a school, in a class
                from_class_id=child.school_class_id,
                to_school=to_school,
                to_class=to_class,
                status=status,
                reason=reason[:200],
                requested_by=actor,
            )
    except IntegrityError:  # ``transfer_one_open_per_child``
        raise TransferError(_("该儿童已有一项待处理的转学申请。")) from None


def transfer_claim(
    *,
    id_number: str,
    to_class: Org,
    reason: str = "",
    actor: User | None,
) -> Transfer | None:
    """A school enrolling a child already filed at another school of its county asks, by
    the child's ID number, for the file; the school holding it consents or refuses.

    Exact match through the keyed hash only. Returns the request (a new one, or the one
    already waiting for the same school), or None when the number cannot be used: not a
    valid number, no child of the county on the roll with it, the child already at this
    school, or another request waiting. Callers must answer both cases without saying
    anything of the child or the school (not an oracle of who is where)."""
    to_school = Org.objects.filter(kind=OrgKind.SCHOOL, path__in=_ancestors(to_class)).first()
    if to_school is None:
        return None
    try:
        number = parse_id_number(id_number).value
    except InvalidIdNumber:
        return None
    child = Child.objects.filter(
        id_number_hash=blind_index(number),
        county_code=to_school.county_code,
        status=ChildStatus.ACTIVE,
    ).first()
    if child is None or child.school_id == to_school.pk:
        return None
    waiting = Transfer.objects.filter(child=child, status=TransferStatus.REQUESTED).first()
    if waiting is not None:
        same = waiting.to_school_id == to_school.pk and waiting.side == TransferSide.RECEIVING
        return waiting if same else None
    try:
        _open_school(to_school, child.county_code)
        _class_of(to_school, to_class)
        return _create(
            child=child,
            side=TransferSide.RECEIVING,
            to_school=to_school,
            to_class=to_class,
            reason=reason,
            actor=actor,
        )
    except TransferError:
        return None


def _ancestors(org: Org) -> list[str]:
    step = Org.steplen
    return [org.path[:i] for i in range(step, len(org.path) + 1, step)]


def _decide(transfer: Transfer, status: str, actor: User | None, **fields) -> None:
    """Claim the request (a conditional update: two deciders never both win)."""
    now = timezone.now()
    claimed = Transfer.objects.filter(pk=transfer.pk, status=TransferStatus.REQUESTED).update(
        status=status, decided_by=actor, decided_at=now, **fields
    )
    if not claimed:
        raise TransferError(_("该转学申请已处理。"))
    transfer.refresh_from_db()


@transaction.atomic
def transfer_accept(
    *,
    transfer: Transfer,
    to_class: Org | None = None,
    actor: User | None,
    on: dt.date | None = None,
) -> Transfer:
    """Accept (the receiving school, choosing a class) or consent (the school holding the
    file, to a class chosen by the receiving school): the file moves at once."""
    to_school = transfer.to_school
    chosen = _class_of(to_school, to_class or transfer.to_class)
    child = Child.objects.select_for_update().get(pk=transfer.child_id)
    if child.status != ChildStatus.ACTIVE or child.school_id != transfer.from_school_id:
        raise TransferError(_("该儿童已不在原学校在册，申请无法接收。"))
    _decide(transfer, TransferStatus.ACCEPTED, actor, to_class_id=chosen.pk)
    _move(child, chosen, to_school, actor=actor, reason=transfer.reason, on=on)
    return transfer


@transaction.atomic
def transfer_refuse(*, transfer: Transfer, note: str, actor: User | None) -> Transfer:
    """The deciding school says no, with a reason: nothing of the child changes."""
    note = (note or "").strip()
    if not note:
        raise TransferError(_("请填写不接收的原因。"))
    _decide(transfer, TransferStatus.REFUSED, actor, note=note[:200])
    return transfer


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, actor: User | None) -> Transfer:
    """The asking side takes the request back: nothing of the child changes."""
    _decide(transfer, TransferStatus.CANCELLED, actor)
    return transfer


@transaction.atomic
def transfer_move(
    *,
    child: Child,
    to_class: Org,
    reason: str = "",
    actor: User | None,
    on: dt.date | None = None,
) -> Transfer:
    """The county administrator moves a child between two schools of the county at once
    (both sides' decision in one): a transfer row accepted by them, and the move."""
    to_school = Org.objects.filter(kind=OrgKind.SCHOOL, path__in=_ancestors(to_class)).first()
    if to_school is None:
        raise TransferError(_("请选择转入学校的一个班级。"))
    _check_child(child, to_school)
    _open_school(to_school, child.county_code)
    _class_of(to_school, to_class)
    Transfer.objects.filter(child=child, status=TransferStatus.REQUESTED).update(
        status=TransferStatus.CANCELLED, decided_by=actor, decided_at=timezone.now()
    )
    transfer = _create(
        child=child,
        side=TransferSide.COUNTY,
        to_school=to_school,
        to_class=to_class,
        reason=reason,
        actor=actor,
        status=TransferStatus.ACCEPTED,
    )
    Transfer.objects.filter(pk=transfer.pk).update(decided_by=actor, decided_at=timezone.now())
    _move(child, to_class, to_school, actor=actor, reason=reason, on=on)
    return transfer


def _move(
    child: Child,
    to_class: Org,
    to_school: Org,
    *,
    actor: User | None,
    reason: str,
    on: dt.date | None,
) -> None:
    on = on or timezone.localdate()
    from_name = child.school.name  # type: ignore[union-attr]  # a transfer starts at a school
    child.school = to_school
    child.school_class = to_class
    child._history_user = actor
    why = f"{TRANSFER_END_REASON}：{from_name} → {to_school.name}"
    child._change_reason = (f"{why}（{reason}）" if reason else why)[:100]
    child.save()
    Pairing.objects.filter(_pairings_of(child), ended_on__isnull=True).update(
        ended_on=on, end_reason=TRANSFER_END_REASON
    )
