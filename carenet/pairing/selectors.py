"""Reads for pairing (结对帮扶): a school's teachers, their loads, and who is still unpaired."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from carenet.care.selectors import plan_in_force
from carenet.children.access import mentor_memberships
from carenet.children.models import (
    Child,
    ChildStatus,
    LeftBehindType,
    Pairing,
    PairingKind,
)
from carenet.children.selectors import (
    left_behind_only,
    pairing_in_force,
    risk_rank,
    with_left_behind,
)
from carenet.orgs.models import Membership, Org, OrgKind
from carenet.orgs.selectors import AnyUser, visible_orgs

# Mentor load when the care plan says nothing (the seeds' plans ask 5–7 children per mentor).
MENTOR_CAPACITY_DEFAULT = 7


def mentor_capacity(school: Org) -> int:
    """How many children one mentor of this school may have at most: the ``mentor_max`` of
    the care plan in force at the school (the preset's 7 when none is configured)."""
    return plan_in_force(school, timezone.localdate()).mentor_max or MENTOR_CAPACITY_DEFAULT


def school_mentors(school: Org) -> QuerySet[User]:
    """Active staff of the school who may be mentors (代理家长) of its children: every role
    the access table lets mentor (``Permission.MENTOR_CHILDREN``: teachers, the principal,
    the school administrator…) at the school or any grade or class of it."""
    staff = Membership.objects.filter(mentor_memberships(school), user=OuterRef("pk"))
    return (
        get_user_model()
        .objects.filter(Exists(staff), is_active=True)
        .order_by("last_name", "first_name", "username", "pk")
    )


def handover_mentors(school: Org) -> QuerySet[User]:
    """Who may hand their mentees of the school over: its teachers, and anyone who still
    mentors a child there (a teacher who has already left the school)."""
    mentoring_here = Pairing.objects.filter(
        mentor=OuterRef("pk"),
        kind=PairingKind.MENTOR,
        ended_on__isnull=True,
        child__school=school,
    )
    teachers = school_mentors(school)
    return (
        get_user_model()
        .objects.filter(Q(pk__in=teachers.values("pk")) | Q(Exists(mentoring_here)))
        .order_by("last_name", "first_name", "username", "pk")
    )


def may_mentor_at(user: User, school: Org) -> bool:
    return school_mentors(school).filter(pk=user.pk).exists()


def _active_mentor_pairings() -> QuerySet[Pairing]:
    return Pairing.objects.filter(pairing_in_force(), kind=PairingKind.MENTOR)


def mentor_load(mentor: User) -> int:
    """The number of children a mentor has now (at any school: capacity is per person)."""
    return _active_mentor_pairings().filter(mentor=mentor).count()


def mentor_loads(school: Org) -> dict[User, int]:
    """Every teacher of the school → the number of children they mentor now. Two queries."""
    teachers = list(school_mentors(school))
    counts = dict(
        _active_mentor_pairings()
        .filter(mentor__in=[t.pk for t in teachers])
        .values("mentor")
        .annotate(n=Count("pk"))
        .values_list("mentor", "n")
    )
    return {teacher: counts.get(teacher.pk, 0) for teacher in teachers}


def _without_mentor() -> Q:
    return ~Q(Exists(_active_mentor_pairings().filter(child=OuterRef("pk"))))


def school_left_behind(school: Org, as_of: dt.date | None = None) -> QuerySet[Child]:
    """The school's left-behind children on the roll, annotated by ``with_left_behind``."""
    children = Child.objects.filter(school=school, status=ChildStatus.ACTIVE)
    return left_behind_only(with_left_behind(children, as_of or timezone.localdate()))


def unpaired_left_behind(school: Org, as_of: dt.date | None = None) -> QuerySet[Child]:
    """The school's left-behind children on the roll without a mentor now, the neediest
    first (high risk, then both parents away), then by class and name."""
    return _neediest_first(school_left_behind(school, as_of).filter(_without_mentor()))


def _neediest_first(children: QuerySet[Child]) -> QuerySet[Child]:
    return (
        children.annotate(
            need=risk_rank(),
            both=Case(
                When(left_behind_type=LeftBehindType.BOTH_PARENTS, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .select_related("school_class")
        .order_by("need", "both", "school_class__path", "name_pinyin", "pk")
    )


@dataclass
class MentorRow:
    teacher: User
    load: int
    capacity: int
    mentees: list[Child] = field(default_factory=list)

    @property
    def free(self) -> int:
        return max(self.capacity - self.load, 0)


def mentor_rows(school: Org) -> list[MentorRow]:
    """The school page: each teacher with their load and their mentees at this school."""
    capacity = mentor_capacity(school)
    rows = {
        teacher.pk: MentorRow(teacher, load, capacity)
        for teacher, load in mentor_loads(school).items()
    }
    pairings = (
        _active_mentor_pairings()
        .filter(mentor__in=list(rows), child__school=school)
        .select_related("child__school_class")
        .order_by("child__name_pinyin", "child__pk")
    )
    for pairing in pairings:
        rows[pairing.mentor_id].mentees.append(pairing.child)  # type: ignore[index]  # a mentor pairing
    return list(rows.values())


def school_in_view(user: AnyUser, pk: int) -> Org | None:
    """A school the user may at least see, else None (it does not exist for them)."""
    return visible_orgs(user, kind=OrgKind.SCHOOL).filter(pk=pk).first()


def school_pupils(school: Org) -> QuerySet[Child]:
    """The school's pupils on the roll: who may be a student buddy (学习帮手) there."""
    return (
        Child.objects.filter(school=school, status=ChildStatus.ACTIVE)
        .select_related("school_class")
        .order_by("school_class__path", "name_pinyin", "pk")
    )


def active_buddy_pairings(school: Org) -> QuerySet[Pairing]:
    """The student-buddy pairings in force of the school's children."""
    return Pairing.objects.filter(
        pairing_in_force(), kind=PairingKind.BUDDY, child__school=school
    ).select_related("buddy__school_class")


def buddy_rows(school: Org, school_class: Org | None = None) -> list[tuple[Child, Pairing | None]]:
    """The buddy page: the school's (or one class's) left-behind children on the roll,
    by class and name, each with their buddy pairing in force (or None). Two queries."""
    children = school_left_behind(school).select_related("school_class")
    if school_class is not None:
        children = children.filter(school_class=school_class)
    children = list(children.order_by("school_class__path", "name_pinyin", "pk"))
    pairings = {p.child_id: p for p in active_buddy_pairings(school)}
    return [(child, pairings.get(child.pk)) for child in children]


def school_classes(school: Org) -> QuerySet[Org]:
    """The classes of a school, in tree order."""
    return Org.objects.filter(kind=OrgKind.CLASS, path__startswith=school.path).order_by("path")
