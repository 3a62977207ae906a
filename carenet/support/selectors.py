"""Reads of legal-aid cases and parent-school sessions, and the filters on Child behind
the indicators ``legal_aid_rate`` (法律援助) and ``parent_education_rate``
(家长家教知识普及率).

The filters are ``Q`` objects on ``carenet.children.models.Child`` built from ``EXISTS``
sub-queries, so they combine with any children queryset (``children_in_care``,
``visible_children``) and never duplicate a child:

- legal aid: ``legal_aid_given(as_of)`` ⊆ ``legal_aid_eligible(as_of)`` (the same case
  must be eligible and aided), so the rate is given / eligible;
- parent school: ``guardian_attended(as_of)`` ⊆ ``has_guardian()``, so the rate is
  attended / has a guardian — the unit is the child's guardian (one per child), so the
  schools' figures add up to the township's and the county's like every other indicator.

Activities (关爱活动) are held by schools, classes and villages; they are read by whoever
sees the org and written by the writers of the parent school (``may_write_activities``).
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from carenet.care.calendar import school_year_of
from carenet.children.access import Permission, session_orgs, visible_children
from carenet.children.models import Child, ChildStatus, FamilyMember, Relation
from carenet.children.selectors import left_behind_filter, schooled_under
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import AnyUser, school_of, visible_orgs
from carenet.support.models import (
    Activity,
    LegalAidCase,
    ParentSchoolAttendance,
    ParentSchoolSession,
)

# The window of recent legal-aid cases: the 12 months up to the day counted.
LEGAL_AID_WINDOW = relativedelta(years=1)
# The orgs that hold parent-school sessions.
SESSION_ORG_KINDS = (OrgKind.SCHOOL, OrgKind.VILLAGE)
# The orgs that hold activities (a class holds its theme class meetings).
ACTIVITY_ORG_KINDS = (OrgKind.SCHOOL, OrgKind.CLASS, OrgKind.VILLAGE)


def school_year_start(as_of: dt.date) -> dt.date:
    """1 September of the school year containing ``as_of`` (1 Sep … 31 Aug)."""
    return dt.date(school_year_of(as_of), 9, 1)


def _counted_cases(as_of: dt.date) -> Q:
    """The filter on LegalAidCase of the eligible cases counted on ``as_of``: opened on
    or before ``as_of`` and either opened in the 12 months up to ``as_of`` (after the
    same day one year earlier) or still open on ``as_of`` (not closed, or closed after)."""
    return Q(eligible=True, opened_on__lte=as_of) & (
        Q(opened_on__gt=as_of - LEGAL_AID_WINDOW)
        | Q(closed_on__isnull=True)
        | Q(closed_on__gt=as_of)
    )


def legal_aid_eligible(as_of: dt.date) -> Q:
    """Children with a legal-aid case eligible for aid, counted on ``as_of``.

    A case counts when it is marked eligible, was opened on or before ``as_of`` and
    either was opened in the 12 months up to ``as_of`` (``as_of`` minus one year <
    opened_on ≤ ``as_of``) or is still open on ``as_of`` (no closing date, or closed
    after ``as_of``). A case opened after ``as_of`` does not count yet.
    """
    return Q(Exists(LegalAidCase.objects.filter(_counted_cases(as_of), child=OuterRef("pk"))))


def legal_aid_given(as_of: dt.date) -> Q:
    """Children with a case counted by ``legal_aid_eligible(as_of)`` that was aided by
    ``as_of``: marked aided with an aid date on or before ``as_of``. The same case must
    be eligible and aided, so these children are a subset of the eligible ones."""
    return Q(
        Exists(
            LegalAidCase.objects.filter(
                _counted_cases(as_of),
                child=OuterRef("pk"),
                aided=True,
                aided_on__lte=as_of,
            )
        )
    )


def has_guardian() -> Q:
    """Children with an entrusted guardian (委托监护人) in their file: a FamilyMember of
    relation ``guardian``. The unit of ``parent_education_rate`` is the child's guardian
    (at most one per child), so the figures of schools add up."""
    return Q(Exists(FamilyMember.objects.filter(child=OuterRef("pk"), relation=Relation.GUARDIAN)))


def guardian_attended(as_of: dt.date) -> Q:
    """Children whose guardian (the FamilyMember of relation ``guardian``) attended a
    parent-school session held in the school year containing ``as_of`` (1 September …
    31 August) on or before ``as_of``. Sessions of any org count (a guardian may go to
    the village's session rather than the school's). A parent's attendance does not
    count: the unit is the guardian (``has_guardian``)."""
    return Q(
        Exists(
            ParentSchoolAttendance.objects.filter(
                member__child=OuterRef("pk"),
                member__relation=Relation.GUARDIAN,
                session__held_on__gte=school_year_start(as_of),
                session__held_on__lte=as_of,
            )
        )
    )


def visible_cases(user: AnyUser) -> QuerySet[LegalAidCase]:
    """Legal-aid cases of the children a user may see (``visible_children``)."""
    return LegalAidCase.objects.filter(child__in=visible_children(user))


def legal_aid_cases_of(child: Child) -> QuerySet[LegalAidCase]:
    """A child's legal-aid cases, newest first."""
    return child.legal_aid_cases.select_related("recorded_by").order_by("-opened_on", "-pk")


def sessions_of(org: Org) -> QuerySet[ParentSchoolSession]:
    """The parent-school sessions an org held, newest first, with their attendance count."""
    return (
        ParentSchoolSession.objects.filter(org=org)
        .annotate(attendee_count=Count("attendance"))
        .order_by("-held_on", "-pk")
    )


def session_orgs_in_view(user: AnyUser) -> QuerySet[Org]:
    """The schools and villages whose parent-school sessions a user may list."""
    return visible_orgs(user).filter(kind__in=SESSION_ORG_KINDS)


def session_writer_orgs(user: AnyUser) -> QuerySet[Org]:
    """The schools and villages whose sessions a user may record
    (``Permission.RECORD_SESSIONS``: a school's leadership and teachers for the school, a
    teacher of a class for the class's school, village directors for their village)."""
    return session_orgs(user, SESSION_ORG_KINDS)


def may_write_sessions(user: AnyUser, org: Org) -> bool:
    return session_writer_orgs(user).filter(pk=org.pk).exists()


def org_children(org: Org) -> Q:
    """The filter on Child of the children of a school (its pupils) or a village (its
    residents)."""
    if org.kind == OrgKind.VILLAGE:
        return Q(village=org)
    return Q(school=org)


def offered_members(user: AnyUser, org: Org) -> QuerySet[FamilyMember]:
    """The family members a writer may tick as attendees of an org's session: the
    guardians, parents and grandparents (祖辈家长) of the org's children on the roll that
    the user may see, by class, child and relation (guardian first, grandparents last)."""
    children = visible_children(user).filter(org_children(org), status=ChildStatus.ACTIVE)
    return (
        FamilyMember.objects.filter(child__in=children)
        .select_related("child__school_class")
        .annotate(
            rank=Case(
                When(relation=Relation.GUARDIAN, then=Value(0)),
                When(relation=Relation.FATHER, then=Value(1)),
                When(relation=Relation.MOTHER, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
        .order_by(
            "child__school_class__path", "child__name_pinyin", "child__pk", "rank", "relation"
        )
    )


def activity_orgs_in_view(user: AnyUser) -> QuerySet[Org]:
    """The schools, classes and villages whose activities a user may list."""
    return visible_orgs(user).filter(kind__in=ACTIVITY_ORG_KINDS)


def visible_activities(user: AnyUser) -> QuerySet[Activity]:
    """The activities a user may read: those of the orgs in ``activity_orgs_in_view``."""
    return Activity.objects.filter(org__in=activity_orgs_in_view(user))


def activities_of(org: Org) -> QuerySet[Activity]:
    """The activities an org and the orgs under it held (a school's and its classes'),
    newest first, with their host and the number of children ticked."""
    return (
        Activity.objects.filter(org__path__startswith=org.path)
        .select_related("org")
        .annotate(participant_count=Count("participation"))
        .order_by("-held_on", "-pk")
    )


def may_write_activities(user: AnyUser, org: Org) -> bool:
    """The parent school's writers (``session_writer_orgs``) record the activities of
    their school and its classes, or of their village."""
    host = school_of(org) if org.kind == OrgKind.CLASS else org
    return host is not None and may_write_sessions(user, host)


def offered_participants(user: AnyUser, org: Org, as_of: dt.date | None = None) -> QuerySet[Child]:
    """The children a writer may tick as taking part in an org's activity: the children on
    the roll under the org that the user may see, left-behind ones first (annotated
    ``left_behind``), then by class and name."""
    as_of = as_of or timezone.localdate()
    return (
        visible_children(user, Permission.VIEW_CHILDREN)
        .filter(schooled_under(org), status=ChildStatus.ACTIVE)
        .select_related("school_class")
        .annotate(
            left_behind=Case(
                When(left_behind_filter(as_of), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("-left_behind", "school_class__path", "name_pinyin", "pk")
    )
