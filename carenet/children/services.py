"""Writes to child files. Validation lives in ``forms``; these functions trust cleaned data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import translation

from carenet.children.models import (
    PARENT_RELATIONS,
    AwayPeriod,
    Child,
    ChildStatus,
    FamilyMember,
    LeaveReason,
    Pairing,
    PairingKind,
    Schooling,
)
from carenet.lib.crypto import blind_index
from carenet.lib.events import child_changed
from carenet.lib.names import name_pinyin
from carenet.orgs.models import Org
from carenet.orgs.selectors import school_of

# Only the parents have away periods (grandparents and the guardian never do).
PARENTS = PARENT_RELATIONS


def _apply_child_fields(child: Child, data: dict[str, Any]) -> None:
    for field, value in data.items():
        setattr(child, field, value)
    child.name_pinyin, child.name_initials = name_pinyin(child.name)
    child.id_number_hash = blind_index(child.id_number)
    school_class: Org | None = child.school_class
    if school_class is None:
        # Not at a school (aged 0–5, out of school, taught at home): filed under the village.
        village: Org | None = child.village
        if village is None:
            raise ValueError("a child not at a school is filed under a village")
        child.school = None
        child.county_code = village.county_code
        return
    school = school_of(school_class)
    if school is None:
        raise ValueError(f"class {school_class.code} is not under a school")
    child.school = school
    child.county_code = school.county_code


@transaction.atomic
def child_save(
    *,
    actor: User | None,
    child: Child | None = None,
    data: dict[str, Any],
    family: dict[str, dict[str, Any]] | None = None,
) -> Child:
    """Create or update a child file with its family members, all or nothing.

    ``data`` holds Child fields; ``family`` maps a relation (``father``, ``mother``,
    ``guardian``, a grandparent) to the member's fields, where parents may carry
    ``away_since`` and ``back_since``.
    """
    child = child or Child()
    _apply_child_fields(child, data)
    child._history_user = actor
    child.save()
    for relation, member_data in (family or {}).items():
        _family_member_write(actor=actor, child=child, relation=relation, data=member_data)
    child_changed(child.pk, "file", child)
    return child


@transaction.atomic
def family_member_save(
    *, actor: User | None, child: Child, relation: str, data: dict[str, Any]
) -> FamilyMember | None:
    """Create, update or (when every field is empty) leave out one family member.

    A parent's away period changes only when ``data`` states ``away_since`` (None: not away).
    """
    member = _family_member_write(actor=actor, child=child, relation=relation, data=data)
    child_changed(child.pk, "family", member)
    return member


def _family_member_write(
    *, actor: User | None, child: Child, relation: str, data: dict[str, Any]
) -> FamilyMember | None:
    data = dict(data)
    states_away = "away_since" in data
    away_since: dt.date | None = data.pop("away_since", None)
    back_since: dt.date | None = data.pop("back_since", None)
    member = FamilyMember.objects.filter(child=child, relation=relation).first()
    has_content = any(v not in (None, "", True) for v in data.values())
    if member is None and not has_content and away_since is None:
        return None
    member = member or FamilyMember(child=child, relation=relation)
    for field, value in data.items():
        setattr(member, field, value)
    member.county_code = child.county_code
    member.id_number_hash = blind_index(member.id_number or "")
    member._history_user = actor
    member.save()
    if relation in PARENTS and states_away:
        _away_period_write(child=child, relation=relation, start=away_since, end=back_since)
    return member


@transaction.atomic
def away_period_sync(
    *, child: Child, relation: str, start: dt.date | None, end: dt.date | None
) -> None:
    """Record the parent's latest away period as the form states it, keeping the older ones.

    A start after the last period's end opens a new period; otherwise the last period
    is corrected. No start while a period is open closes it (the parent came back).
    """
    _away_period_write(child=child, relation=relation, start=start, end=end)
    child_changed(child.pk, "family")


def _away_period_write(
    *, child: Child, relation: str, start: dt.date | None, end: dt.date | None
) -> None:
    latest = AwayPeriod.objects.filter(child=child, relation=relation).order_by("-start").first()
    if start is None:
        if latest and latest.end is None:
            latest.end = end or dt.date.today()
            latest.save(update_fields=["end"])
        return
    if latest is None or (latest.end is not None and start >= latest.end):
        AwayPeriod.objects.create(
            child=child, relation=relation, county_code=child.county_code, start=start, end=end
        )
        return
    if (latest.start, latest.end) != (start, end):
        latest.start, latest.end = start, end
        latest.save(update_fields=["start", "end"])


def latest_away_period(child: Child, relation: str) -> AwayPeriod | None:
    periods = [p for p in child.away_periods.all() if p.relation == relation]
    return max(periods, key=lambda p: p.start, default=None)


@transaction.atomic
def pairing_start(
    *,
    child: Child,
    kind: str = PairingKind.MENTOR,
    mentor: User | None = None,
    buddy: Child | None = None,
    buddy_name: str = "",
    on: dt.date,
) -> Pairing:
    """Pair a child with a mentor (or buddy), ending the pairing of that kind in force."""
    Pairing.objects.filter(child=child, kind=kind, ended_on__isnull=True).update(
        ended_on=on, end_reason="reassigned"
    )
    return Pairing.objects.create(
        child=child,
        kind=kind,
        county_code=child.county_code,
        mentor=mentor,
        buddy=buddy,
        buddy_name=buddy_name or (buddy.name if buddy else ""),
        started_on=on,
    )


# What leaving the roll does to the schooling column (other reasons leave it as it was).
LEAVE_SCHOOLING = {
    LeaveReason.GRADUATED: Schooling.GRADUATED,
    LeaveReason.TRANSFERRED_OUT: Schooling.TRANSFERRED,
    LeaveReason.MOVED_AWAY: Schooling.TRANSFERRED,
}


def _leave_labels(reason: str) -> set[str]:
    """The reason's label in every language, as a pairing's ``end_reason`` may hold it."""
    labels = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            labels.add(str(LeaveReason(reason).label))
    return labels


def _pairings_of(child: Child) -> Q:
    """The child's own pairings and those where the child is another child's buddy."""
    return Q(child=child) | Q(buddy=child)


@transaction.atomic
def child_leave(
    *, child: Child, on: dt.date, reason: str, note: str = "", actor: User | None
) -> None:
    """The child leaves the roll on ``on`` (graduated, transferred out of the county, moved
    away, died …): status left, the schooling column where the reason decides it, and every
    pairing in force ends that day (the child's, and those where the child is a buddy).

    The file, its care records and history stay; the saved history row names ``actor`` and
    the reason. From that day the child has no tasks and counts in no figure (those filter
    ``status=ACTIVE``). The access log is written by the caller (a face or a higher app:
    ``children`` sits below ``audit``)."""
    reason = LeaveReason(reason)
    if child.status != ChildStatus.ACTIVE:
        raise ValueError(f"child {child.pk} is not on the roll")
    child.status = ChildStatus.LEFT
    child.left_on = on
    child.left_reason = reason
    child.schooling = LEAVE_SCHOOLING.get(reason, child.schooling)
    if note:
        stamp = f"{on.isoformat()} {reason.label}：{note}"
        child.notes = f"{child.notes}\n{stamp}" if child.notes else stamp
    child._history_user = actor
    child._change_reason = str(reason.label)[:100]
    child.save()
    Pairing.objects.filter(_pairings_of(child), ended_on__isnull=True).update(
        ended_on=on, end_reason=str(reason.label)
    )
    # Off the roll: the early warning clears the child's condition alerts.
    child_changed(child.pk, "file", child)


@transaction.atomic
def child_leave_undo(*, child: Child, actor: User | None) -> None:
    """Undo ``child_leave``: the child is back on the roll with the schooling of before, and
    the pairings that ended with the leaving (that day, for that reason) are in force again.
    A file archived since (the retention schedule) comes back too."""
    if child.status == ChildStatus.ACTIVE or child.left_on is None:
        raise ValueError(f"child {child.pk} has not left the roll")
    on, reason = child.left_on, child.left_reason
    before = (
        child.history.exclude(status__in=(ChildStatus.LEFT, ChildStatus.ARCHIVED))
        .filter(left_on__isnull=True)
        .order_by("-history_date", "-history_id")
        .values_list("schooling", flat=True)
        .first()
    )
    child.status = ChildStatus.ACTIVE
    child.left_on = None
    child.left_reason = ""
    child.archived_on = None
    child.schooling = before or Schooling.ENROLLED
    child._history_user = actor
    child._change_reason = "撤销离开"
    child.save()
    if reason:
        ended = Pairing.objects.filter(
            _pairings_of(child), ended_on=on, end_reason__in=_leave_labels(reason)
        )
        for pairing in ended.order_by("pk"):
            # A pairing of the same kind started since (for the other child) stays ended.
            clash = Pairing.objects.filter(
                child_id=pairing.child_id, kind=pairing.kind, ended_on__isnull=True
            ).exists()
            if not clash:
                Pairing.objects.filter(pk=pairing.pk).update(ended_on=None, end_reason="")
    child_changed(child.pk, "file", child)
