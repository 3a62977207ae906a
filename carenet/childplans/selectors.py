"""Reads of a child's plans and of the child's story (成长记录): one timeline of
records, pairings, plans, parents' away periods and file changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from carenet.alerts.models import OPEN_STATUSES, Alert
from carenet.alerts.selectors import alert_title, visible_alerts
from carenet.audit.history import child_changes
from carenet.care.selectors import visible_records
from carenet.childplans.models import (
    IndividualPlan,
    PlanReview,
    PlanStatus,
    Reason,
    StudyCheck,
    StudyPlan,
)
from carenet.children.access import Permission, children_scope, visible_children
from carenet.children.models import Child, Pairing, PairingKind, Relation
from carenet.children.selectors import pairing_in_force
from carenet.lib.names import user_name
from carenet.orgs.selectors import AnyUser
from carenet.support.models import ActivityParticipation

TIMELINE_LENGTH = 100


# --- rights ---------------------------------------------------------------------------


def plan_writers_scope(user: AnyUser) -> QuerySet[Child]:
    """Children whose plans a user may write: those whose file they may edit, and their
    own mentees (代理家长 draw up and review their mentees' plans):
    ``Permission.WRITE_CHILD_PLANS``. Read-only roles (township supervisors, counselors)
    write none."""
    return visible_children(user).filter(children_scope(user, Permission.WRITE_CHILD_PLANS))


def may_write_plans(user: AnyUser, child: Child) -> bool:
    return plan_writers_scope(user).filter(pk=child.pk).exists()


def visible_study_plans(user: AnyUser) -> QuerySet[StudyPlan]:
    return StudyPlan.objects.filter(child__in=visible_children(user).values("pk")).select_related(
        "child", "teacher", "created_by"
    )


def visible_individual_plans(user: AnyUser) -> QuerySet[IndividualPlan]:
    return IndividualPlan.objects.filter(
        child__in=visible_children(user).values("pk")
    ).select_related("child", "responsible", "created_by")


def helper_teachers(child: Child) -> QuerySet[User]:
    """Who may be named on a child's plan: staff of the child's school (of the village, for
    a child not at a school) and its mentor."""
    mentors = Pairing.objects.filter(
        pairing_in_force(), child=child, kind=PairingKind.MENTOR
    ).values("mentor_id")
    place = child.school if child.school_id is not None else child.village
    staff = Q(memberships__org__path__startswith=place.path) if place else Q(pk__in=[])
    return (
        get_user_model()
        .objects.filter(
            staff | Q(pk__in=mentors),
            is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


# --- plans ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildPlans:
    study: list[StudyPlan]
    individual: list[IndividualPlan]

    @property
    def open_study(self) -> list[StudyPlan]:
        return [p for p in self.study if p.is_open]

    @property
    def open_individual(self) -> list[IndividualPlan]:
        return [p for p in self.individual if p.is_open]


def plans_for_child(user: AnyUser, child: Child) -> ChildPlans:
    """A child's plans, newest first, with their checks and reviews (four queries);
    nothing for a child out of the user's sight."""
    if not visible_children(user).filter(pk=child.pk).exists():
        return ChildPlans([], [])
    study = StudyPlan.objects.filter(child=child).select_related("teacher")
    individual = IndividualPlan.objects.filter(child=child).select_related("responsible")
    return ChildPlans(
        list(study.prefetch_related("checks__author")),
        list(individual.prefetch_related("reviews__author")),
    )


def open_individual_plans(children: QuerySet[Child]) -> QuerySet[IndividualPlan]:
    """The open individual plans of a set of children, oldest first."""
    return (
        IndividualPlan.objects.filter(child__in=children.values("pk"), status=PlanStatus.OPEN)
        .select_related("child", "responsible")
        .order_by("opened_on", "pk")
    )


# --- the child's story ----------------------------------------------------------------


class EntryKind:
    RECORD = "record"
    PAIRING = "pairing"
    STUDY_PLAN = "study_plan"
    STUDY_CHECK = "study_check"
    INDIVIDUAL_PLAN = "individual_plan"
    PLAN_REVIEW = "plan_review"
    AWAY = "away"
    ACTIVITY = "activity"
    CHANGE = "change"


@dataclass(frozen=True)
class TimelineEntry:
    """One event in a child's story. ``when`` is a date, or a datetime for file changes."""

    when: dt.date | dt.datetime
    kind: str
    title: str
    detail: str = ""
    url: str | None = None
    who: Any = None  # a User, or None
    confidential: bool = False

    @property
    def has_time(self) -> bool:
        return isinstance(self.when, dt.datetime)

    def sort_key(self) -> tuple[dt.date, dt.time]:
        if isinstance(self.when, dt.datetime):
            local = timezone.localtime(self.when)
            return local.date(), local.time()
        return self.when, dt.time.min


def _name(user: Any) -> str:
    return user_name(user)


def _record_entries(user: AnyUser, child: Child, limit: int) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            record.date,
            EntryKind.RECORD,
            record.get_kind_display(),
            record.summary,
            who=record.author,
            confidential=record.confidential,
        )
        for record in visible_records(user, child)[:limit]
    ]


def _pairing_entries(child: Child, limit: int) -> list[TimelineEntry]:
    entries = []
    pairings = Pairing.objects.filter(child=child).select_related("mentor", "buddy")
    for pairing in pairings.order_by("-started_on", "-pk")[:limit]:
        partner = (
            _name(pairing.mentor)
            if pairing.kind == PairingKind.MENTOR
            else pairing.buddy_name or (pairing.buddy.name if pairing.buddy else "")
        )
        kind = pairing.get_kind_display()
        entries.append(
            TimelineEntry(
                pairing.started_on,
                EntryKind.PAIRING,
                _("结对：%(kind)s") % {"kind": kind},
                partner,
            )
        )
        if pairing.ended_on:
            detail = " · ".join(x for x in (partner, pairing.end_reason) if x)
            entries.append(
                TimelineEntry(
                    pairing.ended_on,
                    EntryKind.PAIRING,
                    _("结对结束：%(kind)s") % {"kind": kind},
                    detail,
                )
            )
    return entries


def _study_entries(child: Child, limit: int) -> list[TimelineEntry]:
    entries = []
    for plan in StudyPlan.objects.filter(child=child).select_related("created_by")[:limit]:
        url = reverse("childplans_study_detail", args=[plan.pk])
        subjects = plan.subject_labels()
        entries.append(
            TimelineEntry(
                plan.start_date,
                EntryKind.STUDY_PLAN,
                _("制定学习帮扶计划：%(subjects)s") % {"subjects": subjects},
                plan.goals,
                url,
                plan.created_by,
            )
        )
        if plan.closed_on:
            entries.append(
                TimelineEntry(
                    plan.closed_on,
                    EntryKind.STUDY_PLAN,
                    _("学习帮扶计划结束：%(subjects)s") % {"subjects": subjects},
                    plan.closing_summary,
                    url,
                )
            )
    checks = StudyCheck.objects.filter(plan__child=child).select_related("plan", "author")
    for check in checks[:limit]:
        detail = " · ".join(x for x in (check.scores, check.notes) if x)
        entries.append(
            TimelineEntry(
                check.date,
                EntryKind.STUDY_CHECK,
                _("学习帮扶阶段检查：%(result)s") % {"result": check.get_result_display()},
                detail,
                reverse("childplans_study_detail", args=[check.plan_id]),
                check.author,
            )
        )
    return entries


def _individual_entries(child: Child, limit: int) -> list[TimelineEntry]:
    entries = []
    plans = IndividualPlan.objects.filter(child=child).select_related("created_by")
    for plan in plans[:limit]:
        url = reverse("childplans_individual_detail", args=[plan.pk])
        reason = plan.get_reason_display()
        entries.append(
            TimelineEntry(
                plan.opened_on,
                EntryKind.INDIVIDUAL_PLAN,
                _("制定个别教育管理方案（%(reason)s）") % {"reason": reason},
                plan.goals,
                url,
                plan.created_by,
            )
        )
        if plan.closed_on:
            entries.append(
                TimelineEntry(
                    plan.closed_on,
                    EntryKind.INDIVIDUAL_PLAN,
                    _("个别教育管理方案结束（%(reason)s）") % {"reason": reason},
                    plan.closing_summary,
                    url,
                )
            )
    reviews = PlanReview.objects.filter(plan__child=child).select_related("author")
    for review in reviews[:limit]:
        entries.append(
            TimelineEntry(
                review.date,
                EntryKind.PLAN_REVIEW,
                _("个别教育方案回访"),
                review.progress,
                reverse("childplans_individual_detail", args=[review.plan_id]),
                review.author,
            )
        )
    return entries


def _away_entries(child: Child) -> list[TimelineEntry]:
    """Parents leaving and coming back (uses the file page's prefetched away periods)."""
    labels = dict(Relation.choices)
    entries = []
    for period in child.away_periods.all():
        who = str(labels.get(period.relation, period.relation))
        entries.append(
            TimelineEntry(period.start, EntryKind.AWAY, _("%(who)s外出务工") % {"who": who})
        )
        if period.end:
            entries.append(
                TimelineEntry(period.end, EntryKind.AWAY, _("%(who)s返乡") % {"who": who})
            )
    return entries


def _activity_entries(child: Child, limit: int) -> list[TimelineEntry]:
    """The activities (关爱活动) the child took part in, with the org that held them."""
    taken = (
        ActivityParticipation.objects.filter(child=child)
        .select_related("activity__org", "activity__recorded_by")
        .order_by("-activity__held_on", "-pk")
    )
    return [
        TimelineEntry(
            part.activity.held_on,
            EntryKind.ACTIVITY,
            _("参加活动：%(kind)s") % {"kind": part.activity.get_kind_display()},
            f"{part.activity.org.name} · {part.activity.title}",
            who=part.activity.recorded_by,
        )
        for part in taken[:limit]
    ]


def _change_entries(child: Child, limit: int) -> list[TimelineEntry]:
    """File changes, field names only (never values: the history must not unmask)."""
    entries = []
    for change in child_changes(child, limit=limit):
        if change.created:
            detail = _("新建%(subject)s信息") % {"subject": change.subject}
        else:
            detail = _("修改%(subject)s：%(fields)s") % {
                "subject": change.subject,
                "fields": "、".join(change.fields),
            }
        entries.append(
            TimelineEntry(change.when, EntryKind.CHANGE, _("档案修改"), detail, who=change.who)
        )
    return entries


def child_timeline(
    user: AnyUser, child: Child, limit: int = TIMELINE_LENGTH
) -> list[TimelineEntry]:
    """The child's story, newest first: care records the user may read (confidential
    ones only for their readers), pairings, study and individual plans with their checks
    and reviews, parents' away periods, activities taken part in and file changes. A
    fixed number of queries whatever the number of entries; nothing for a child out of
    the user's sight."""
    if not visible_children(user).filter(pk=child.pk).exists():
        return []
    entries = [
        *_record_entries(user, child, limit),
        *_pairing_entries(child, limit),
        *_study_entries(child, limit),
        *_individual_entries(child, limit),
        *_away_entries(child),
        *_activity_entries(child, limit),
        *_change_entries(child, limit),
    ]
    entries.sort(key=TimelineEntry.sort_key, reverse=True)
    return entries[:limit]


# --- an individual plan from an alert (预警) --------------------------------------------

# The plan's reason (原因) for an alert's rule, or a text signal's category.
_ALERT_REASONS = {
    "care_overdue": Reason.OTHER,
    "no_parent_contact": Reason.FAMILY,
    "guardian_poor": Reason.FAMILY,
    "no_guardian": Reason.FAMILY,
    "guardian_frail": Reason.FAMILY,
    "living_alone": Reason.SAFETY,
    "entrusted_unsuitable": Reason.FAMILY,
    "absence": Reason.TRUANCY,
    "results_fall": Reason.TRUANCY,
    "self_harm": Reason.PSYCHOLOGICAL,
    "abuse": Reason.SAFETY,
    "domestic_violence": Reason.SAFETY,
    "bullying": Reason.SAFETY,
    "sexual_harm": Reason.SAFETY,
    "running_away": Reason.SAFETY,
    "dropout": Reason.TRUANCY,
    "child_labour": Reason.TRUANCY,
}


def plan_alert(user: AnyUser, child: Child, alert_id: str | None) -> Alert | None:
    """The open alert of ``child`` an individual plan is drawn up from (``?alert=``), if
    the user handles it; else None."""
    if not alert_id or not alert_id.isdigit():
        return None
    return (
        visible_alerts(user).filter(pk=int(alert_id), child=child, status__in=OPEN_STATUSES).first()
    )


def plan_initial_from_alert(alert: Alert) -> dict[str, str]:
    """The individual plan's reason and its detail, prefilled from the alert."""
    key = alert.category or alert.rule
    reason = _ALERT_REASONS.get(key, Reason.OTHER)
    return {"reason": reason, "reason_detail": _("预警：%(title)s") % {"title": alert_title(alert)}}
