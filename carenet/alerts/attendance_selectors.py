"""Reads of the attendance pages (缺勤与成绩): the classes and children a user records
absences and results for (``Permission.RECORD_ATTENDANCE``), and their recent entries."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from carenet.care.models import Absence, ExamScore
from carenet.children.access import Permission, orgs_in_reach, visible_children
from carenet.children.models import Child
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import AnyUser

RECENT_DAYS = 30


def attendance_classes(user: AnyUser) -> QuerySet[Org]:
    """The classes whose absences and results a user enters: the class teacher's own,
    every class of the principal's school."""
    return orgs_in_reach(user, Permission.RECORD_ATTENDANCE, [OrgKind.CLASS])


def attendance_children(user: AnyUser) -> QuerySet[Child]:
    return visible_children(user, Permission.RECORD_ATTENDANCE)


def class_children(user: AnyUser, school_class: Org) -> QuerySet[Child]:
    """The children of a class the user records for, by name."""
    return attendance_children(user).filter(school_class=school_class).order_by("name", "pk")


def recent_absences(user: AnyUser, children: QuerySet[Child], as_of: dt.date) -> QuerySet[Absence]:
    """The absences of the last ``RECENT_DAYS`` days of ``children`` (in the user's
    scope), the latest first."""
    since = as_of - dt.timedelta(days=RECENT_DAYS)
    return (
        Absence.objects.filter(child__in=children, date__gte=since)
        .filter(child__in=attendance_children(user))
        .select_related("child")
        .order_by("-date", "child__name", "pk")
    )


def recent_scores(user: AnyUser, children: QuerySet[Child], limit: int = 50) -> list[ExamScore]:
    """The latest results of ``children`` (in the user's scope)."""
    return list(
        ExamScore.objects.filter(child__in=children)
        .filter(child__in=attendance_children(user))
        .select_related("child")
        .order_by("-date", "exam", "child__name", "subject")[:limit]
    )


def visible_absence(user: AnyUser, pk: int) -> Absence | None:
    return (
        Absence.objects.filter(pk=pk, child__in=attendance_children(user))
        .select_related("child")
        .first()
    )
