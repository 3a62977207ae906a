"""Writes for pairing (结对帮扶): assign a mentor by hand or for the whole school at once,
hand a leaving teacher's mentees over, pair a student buddy.

Every pairing is a row with ``started_on``/``ended_on``: ending a pairing never deletes it,
so the history of who cared for a child is kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from carenet.children.models import Child, ChildStatus, Pairing, PairingKind
from carenet.children.services import pairing_start
from carenet.lib.names import user_name
from carenet.orgs.models import Membership, Org, OrgKind, Role
from carenet.pairing.selectors import (
    may_mentor_at,
    mentor_capacity,
    mentor_load,
    mentor_loads,
    unpaired_left_behind,
)


def _check_capacity(mentor: User, school: Org, adding: int) -> None:
    capacity = mentor_capacity(school)
    load = mentor_load(mentor)
    if load + adding > capacity:
        raise ValidationError(
            _(
                "%(name)s 已结对 %(load)d 名儿童，再增加 %(adding)d 名将超过每人最多 "
                "%(capacity)d 名的上限。"
            )
            % {"name": user_name(mentor), "load": load, "adding": adding, "capacity": capacity}
        )


def _check_teacher(mentor: User, school: Org) -> None:
    if not may_mentor_at(mentor, school):
        raise ValidationError(
            _("%(name)s 不是%(school)s可担任代理家长的教职工。")
            % {"name": user_name(mentor), "school": school.name}
        )


@transaction.atomic
def pairing_assign(*, actor: User | None, child: Child, mentor: User, on: dt.date) -> Pairing:
    """Make a teacher of the child's school the child's mentor (代理家长) from ``on``,
    ending the child's previous mentor pairing. Refused beyond the mentor's capacity."""
    school = child.school
    if child.status != ChildStatus.ACTIVE:
        raise ValidationError(_("%(name)s 不在册，不能结对。") % {"name": child.name})
    assert school is not None  # on the roll: at a school
    _check_teacher(mentor, school)
    current = child.pairings.filter(kind=PairingKind.MENTOR, ended_on__isnull=True).first()
    if current is not None and current.mentor_id == mentor.pk:
        raise ValidationError(
            _("%(name)s 已经是%(child)s的代理家长。")
            % {"name": user_name(mentor), "child": child.name}
        )
    _check_capacity(mentor, school, 1)
    return pairing_start(child=child, kind=PairingKind.MENTOR, mentor=mentor, on=on)


@dataclass(frozen=True)
class Assignment:
    child: Child
    mentor: User
    why: str  # 班主任 / 同年级教师 / 本校教师


@dataclass(frozen=True)
class Unassigned:
    child: Child
    reason: str


@dataclass
class AutoAssignResult:
    assigned: list[Assignment] = field(default_factory=list)
    unassigned: list[Unassigned] = field(default_factory=list)


@dataclass
class _Teacher:
    user: User
    load: int
    classes: set[int] = field(default_factory=set)
    grades: set[str] = field(default_factory=set)  # grade paths
    teaches: bool = False  # a teacher of the school (not only its leader or counselor)


def _grade_path(path: str) -> str:
    return path[: -Org.steplen]


def _school_staff(school: Org) -> list[_Teacher]:
    """The school's staff who may mentor, with their loads, classes (class teacher of) and
    grades, and whether they teach there."""
    teachers = {user.pk: _Teacher(user, load) for user, load in mentor_loads(school).items()}
    memberships = Membership.objects.filter(
        user__in=list(teachers),
        role=Role.TEACHER,
        org__path__startswith=school.path,
    ).values_list("user_id", "org_id", "org__kind", "org__path")
    for user_id, org_id, kind, path in memberships:
        teacher = teachers[user_id]
        teacher.teaches = True
        if kind == OrgKind.SCHOOL:
            continue
        if kind == OrgKind.CLASS:
            teacher.classes.add(org_id)
            teacher.grades.add(_grade_path(path))
        else:
            teacher.grades.add(path)
    return list(teachers.values())


def _least_loaded(teachers: list[_Teacher], capacity: int) -> _Teacher | None:
    open_ = [t for t in teachers if t.load < capacity]
    return min(open_, key=lambda t: (t.load, t.user.pk), default=None)


@transaction.atomic
def pairing_auto_assign(*, actor: User | None, school: Org, on: dt.date) -> AutoAssignResult:
    """Give every left-behind child of the school without a mentor a teacher mentor.

    The neediest children come first. Each child goes to the least-loaded teacher with a
    free place among, in order: the child's class teacher, teachers of the child's grade,
    any teacher of the school, then the school's other staff who may mentor (principal,
    school administrator, counselor: ``school_mentors``). Nobody is given more than
    ``mentor_capacity(school)``. Children left over are returned with the reason.
    Deterministic; five queries.
    """
    result = AutoAssignResult()
    children = list(unpaired_left_behind(school, on))
    if not children:
        return result
    capacity = mentor_capacity(school)
    staff = _school_staff(school)
    labels = (_("班主任"), _("同年级教师"), _("本校教师"), _("本校其他教职工"))
    teaching = [t for t in staff if t.teaches]
    for child in children:
        tiers = (
            [t for t in staff if child.school_class_id in t.classes],
            [t for t in staff if _grade_path(child.school_class.path) in t.grades],  # type: ignore[union-attr]  # pupils of a class
            teaching,
            [t for t in staff if not t.teaches],
        )
        for label, tier in zip(labels, tiers, strict=True):
            chosen = _least_loaded(tier, capacity)
            if chosen is not None:
                chosen.load += 1
                result.assigned.append(Assignment(child, chosen.user, label))
                break
        else:
            if not staff:
                reason = _("本校没有教师")
            else:
                reason = _("全校教师的结对名额已满（每人最多%(capacity)d名）") % {
                    "capacity": capacity
                }
            result.unassigned.append(Unassigned(child, reason))
    Pairing.objects.bulk_create(
        Pairing(
            child=a.child,
            kind=PairingKind.MENTOR,
            county_code=a.child.county_code,
            mentor=a.mentor,
            started_on=on,
        )
        for a in result.assigned
    )
    return result


@transaction.atomic
def pairing_handover(
    *,
    actor: User | None,
    from_mentor: User,
    to_mentor: User,
    school: Org,
    on: dt.date,
    reason: str,
) -> list[Pairing]:
    """Hand all of a teacher's mentees at a school to another teacher in one step.

    The old pairings end on ``on`` with ``reason`` and stay as history; the receiver's
    capacity must hold them all, or nothing changes.
    """
    if from_mentor.pk == to_mentor.pk:
        raise ValidationError(_("移交人和接收人不能是同一位教师。"))
    _check_teacher(to_mentor, school)
    old = list(
        Pairing.objects.select_for_update()
        .filter(
            mentor=from_mentor,
            kind=PairingKind.MENTOR,
            ended_on__isnull=True,
            child__school=school,
        )
        .select_related("child")
        .order_by("pk")
    )
    if not old:
        raise ValidationError(
            _("%(name)s 在本校没有结对儿童，无需移交。") % {"name": user_name(from_mentor)}
        )
    _check_capacity(to_mentor, school, len(old))
    reason = reason.strip() or _("教师调离")
    Pairing.objects.filter(pk__in=[p.pk for p in old]).update(ended_on=on, end_reason=reason)
    return Pairing.objects.bulk_create(
        Pairing(
            child=p.child,
            kind=PairingKind.MENTOR,
            county_code=p.county_code,
            mentor=to_mentor,
            started_on=on,
        )
        for p in old
    )


@transaction.atomic
def mentor_leave(
    *,
    actor: User | None,
    mentor: User,
    successor: User | None,
    on: dt.date,
    reason: str,
) -> int:
    """A teacher leaves (their account is stopped): their mentees go to ``successor`` at
    each school (``pairing_handover``, capacity checked, all or nothing), or without a
    successor their pairings end on ``on`` and the children wait, unpaired, for the
    principal to reassign them. Returns the number of mentees concerned."""
    active = Pairing.objects.filter(mentor=mentor, kind=PairingKind.MENTOR, ended_on__isnull=True)
    if successor is None:
        return active.update(ended_on=on, end_reason=reason.strip() or _("教师调离"))
    moved = 0
    schools = Org.objects.filter(pk__in=active.values("child__school")).order_by("path")
    for school in schools:
        moved += len(
            pairing_handover(
                actor=actor,
                from_mentor=mentor,
                to_mentor=successor,
                school=school,
                on=on,
                reason=reason,
            )
        )
    return moved


@transaction.atomic
def buddy_assign(*, actor: User | None, child: Child, buddy: Child, on: dt.date) -> Pairing:
    """Pair a child with a student buddy (学习帮手, 手拉手) of the same school."""
    if buddy.pk == child.pk:
        raise ValidationError(_("学习帮手不能是儿童本人。"))
    if buddy.school_id != child.school_id or buddy.status != ChildStatus.ACTIVE:
        raise ValidationError(
            _("学习帮手须是本校在册学生：%(name)s 不符合。") % {"name": buddy.name}
        )
    return pairing_start(child=child, kind=PairingKind.BUDDY, buddy=buddy, on=on)


@transaction.atomic
def buddy_end(*, actor: User | None, pairing: Pairing, on: dt.date, reason: str) -> Pairing:
    """End a student-buddy pairing on ``on``. The row stays, as the pairing's history."""
    if pairing.kind != PairingKind.BUDDY or pairing.ended_on is not None:
        raise ValidationError(_("该学习帮手结对已经结束。"))
    if on < pairing.started_on:
        raise ValidationError(_("结束日期不能早于结对开始日期。"))
    pairing.ended_on = on
    pairing.end_reason = reason.strip() or _("结束结对")
    pairing.save(update_fields=["ended_on", "end_reason"])
    return pairing
