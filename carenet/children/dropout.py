"""辍学 and 复学: a child who drops out stays on the roll (and in 巩固率's denominator,
now against it) with schooling "dropped out"; each change is a dated ``SchoolingChange``.
While the child is out, a 劝返 (persuade-back) duty falls due
(``care.selectors.persuade_back_tasks``); the return (复学) ends it.

The access log is written by the caller (``children`` sits below ``audit``).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from carenet.children.models import (
    OUT_OF_SCHOOL_STATES,
    Child,
    ChildStatus,
    Schooling,
    SchoolingChange,
)


class SchoolingError(Exception):
    """A schooling step that may not be taken: one clear line for the user."""


def _change(
    child: Child, to: str, *, on: dt.date, reason: str, actor: User | None
) -> SchoolingChange:
    change = SchoolingChange.objects.create(
        child=child,
        county_code=child.county_code,
        on=on,
        schooling_from=child.schooling,
        schooling_to=to,
        reason=(reason or "").strip()[:200],
        recorded_by=actor,
    )
    child.schooling = to
    child._history_user = actor
    child._change_reason = f"{Schooling(to).label}：{change.reason}"[:100]
    child.save()
    return change


@transaction.atomic
def child_drop_out(
    *, child: Child, on: dt.date, reason: str, actor: User | None
) -> SchoolingChange:
    """The child dropped out on ``on`` (schooling → dropped out, with the reason)."""
    child = Child.objects.select_for_update().get(pk=child.pk)
    if child.status != ChildStatus.ACTIVE:
        raise SchoolingError(_("该儿童已不在册。"))
    if child.schooling == Schooling.DROPPED_OUT:
        raise SchoolingError(_("该儿童已登记为辍学。"))
    if child.schooling == Schooling.OUT_OF_SCHOOL:
        raise SchoolingError(_("该儿童登记为不在学，无需登记辍学。"))
    if not (reason or "").strip():
        raise SchoolingError(_("请填写辍学原因。"))
    return _change(child, Schooling.DROPPED_OUT, on=on, reason=reason, actor=actor)


@transaction.atomic
def child_return(
    *, child: Child, on: dt.date, note: str = "", actor: User | None
) -> SchoolingChange:
    """The child is back at school on ``on`` (复学: schooling → enrolled); the 劝返 duty
    ends. A child out of school (不在学, as a register said) goes to school the same way."""
    child = Child.objects.select_for_update().get(pk=child.pk)
    if child.status != ChildStatus.ACTIVE:
        raise SchoolingError(_("该儿童已不在册。"))
    if child.schooling not in OUT_OF_SCHOOL_STATES:
        raise SchoolingError(_("该儿童未登记为辍学或不在学。"))
    dropped = dropped_out_on(child)
    if dropped is not None and on < dropped:
        raise SchoolingError(_("复学日期不能早于辍学日期。"))
    return _change(child, Schooling.ENROLLED, on=on, reason=note, actor=actor)


def dropped_out_on(child: Child) -> dt.date | None:
    """The day of the child's latest recorded dropout (None: none recorded)."""
    change = (
        SchoolingChange.objects.filter(child=child, schooling_to=Schooling.DROPPED_OUT)
        .order_by("-on", "-pk")
        .first()
    )
    return change.on if change else None
