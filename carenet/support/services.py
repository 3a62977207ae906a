"""Writes of legal-aid cases, parent-school sessions and activities.

The rules of a case live here (the forms only shape the input): an aided case has an aid
date, no date lies before the case was opened or in the future. A session's attendance
is replaced only among the family members the writer was offered, so a class teacher
editing the school's session never drops the guardians of other classes. An activity's
participants are replaced the same way, among the children the writer was offered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from carenet.children.models import Child, FamilyMember
from carenet.orgs.models import Org, OrgKind
from carenet.support.models import (
    Activity,
    ActivityKind,
    ActivityParticipation,
    LegalAidCase,
    ParentSchoolAttendance,
    ParentSchoolSession,
)
from carenet.support.selectors import ACTIVITY_ORG_KINDS


def _case_errors(
    *,
    opened_on: dt.date,
    aided: bool,
    aided_on: dt.date | None,
    closed_on: dt.date | None,
) -> dict[str, list[str]]:
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if opened_on > today:
        errors.setdefault("opened_on", []).append(_("立案日期不能晚于今天。"))
    if aided and aided_on is None:
        errors.setdefault("aided_on", []).append(_("已获得法律援助时，请填写援助日期。"))
    if not aided and aided_on is not None:
        errors.setdefault("aided", []).append(_("填写了援助日期，请勾选“已获得法律援助”。"))
    for field, day in (("aided_on", aided_on), ("closed_on", closed_on)):
        if day is None:
            continue
        if day < opened_on:
            errors.setdefault(field, []).append(_("不能早于立案日期。"))
        elif day > today:
            errors.setdefault(field, []).append(_("不能晚于今天。"))
    return errors


def _case_apply(
    case: LegalAidCase,
    *,
    opened_on: dt.date,
    matter: str,
    eligible: bool,
    aided: bool,
    aided_on: dt.date | None,
    provider: str,
    closed_on: dt.date | None,
) -> None:
    errors = _case_errors(opened_on=opened_on, aided=aided, aided_on=aided_on, closed_on=closed_on)
    if not matter.strip():
        errors.setdefault("matter", []).append(_("请填写事项。"))
    if errors:
        raise ValidationError(errors)
    case.opened_on = opened_on
    case.matter = matter.strip()
    case.eligible = eligible
    case.aided = aided
    case.aided_on = aided_on
    case.provider = provider
    case.closed_on = closed_on


@transaction.atomic
def legal_aid_case_create(
    *,
    actor: User,
    child: Child,
    opened_on: dt.date,
    matter: str,
    eligible: bool = True,
    aided: bool = False,
    aided_on: dt.date | None = None,
    provider: str = "",
    closed_on: dt.date | None = None,
) -> LegalAidCase:
    """Record a legal matter of a child and whether it is eligible for / got legal aid."""
    case = LegalAidCase(child=child, county_code=child.county_code, recorded_by=actor)
    _case_apply(
        case,
        opened_on=opened_on,
        matter=matter,
        eligible=eligible,
        aided=aided,
        aided_on=aided_on,
        provider=provider,
        closed_on=closed_on,
    )
    case._history_user = actor
    case.save()
    return case


@transaction.atomic
def legal_aid_case_update(
    *,
    actor: User,
    case: LegalAidCase,
    opened_on: dt.date,
    matter: str,
    eligible: bool,
    aided: bool,
    aided_on: dt.date | None,
    provider: str,
    closed_on: dt.date | None,
) -> LegalAidCase:
    """Correct or complete a case; the earlier state stays in its history."""
    _case_apply(
        case,
        opened_on=opened_on,
        matter=matter,
        eligible=eligible,
        aided=aided,
        aided_on=aided_on,
        provider=provider,
        closed_on=closed_on,
    )
    case._history_user = actor
    case.save()
    return case


@transaction.atomic
def legal_aid_case_close(*, actor: User, case: LegalAidCase, on: dt.date) -> LegalAidCase:
    """Close an open case on ``on``."""
    if case.closed_on is not None:
        raise ValidationError(_("该案件已结案。"))
    errors = _case_errors(
        opened_on=case.opened_on, aided=case.aided, aided_on=case.aided_on, closed_on=on
    )
    if "closed_on" in errors:
        raise ValidationError({"closed_on": errors["closed_on"]})
    case.closed_on = on
    case._history_user = actor
    case.save(update_fields=["closed_on"])
    return case


def _session_errors(held_on: dt.date, topic: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if held_on > timezone.localdate():
        errors["held_on"] = [_("活动日期不能晚于今天。")]
    if not topic.strip():
        errors["topic"] = [_("请填写主题。")]
    return errors


def _tick_among_offered(
    ticks: QuerySet[Any],
    *,
    key: str,
    offered: Iterable[Model],
    wanted: Iterable[Model],
    build: Callable[[int], Model],
    field: str,
    message: str,
) -> None:
    """Make ``ticks`` (the attendance of a session, the participants of an activity)
    hold ``wanted`` among the ``offered`` rows; the ticks of rows the writer was not
    offered (ticked by someone who sees other classes) are kept. ``key`` is the ticked
    row's id column, ``build`` makes a tick from an id."""
    offered_ids = {row.pk for row in offered}
    wanted_ids = {row.pk for row in wanted}
    if wanted_ids - offered_ids:
        raise ValidationError({field: [message]})
    present = set(ticks.filter(**{f"{key}__in": offered_ids}).values_list(key, flat=True))
    ticks.filter(**{f"{key}__in": present - wanted_ids}).delete()
    ticks.model.objects.bulk_create(build(pk) for pk in sorted(wanted_ids - present))


def _set_attendance(
    session: ParentSchoolSession,
    *,
    offered: Iterable[FamilyMember],
    attendees: Iterable[FamilyMember],
) -> None:
    _tick_among_offered(
        session.attendance.all(),
        key="member_id",
        offered=offered,
        wanted=attendees,
        build=lambda pk: ParentSchoolAttendance(
            session=session, member_id=pk, county_code=session.county_code
        ),
        field="attendees",
        message=_("只能勾选名单中的家长。"),
    )


@transaction.atomic
def parent_session_create(
    *,
    actor: User,
    org: Org,
    held_on: dt.date,
    topic: str,
    speaker: str = "",
    others_count: int = 0,
    offered: Iterable[FamilyMember] = (),
    attendees: Iterable[FamilyMember] = (),
) -> ParentSchoolSession:
    """Record a parent-school session of a school or a village and who attended it.

    ``attendees`` must be among ``offered`` (the family members the writer was shown)."""
    if org.kind not in (OrgKind.SCHOOL, OrgKind.VILLAGE):
        raise ValidationError(_("家长学校活动只能由学校或村（社区）举办。"))
    errors = _session_errors(held_on, topic)
    if errors:
        raise ValidationError(errors)
    session = ParentSchoolSession.objects.create(
        org=org,
        county_code=org.county_code,
        held_on=held_on,
        topic=topic.strip(),
        speaker=speaker.strip(),
        others_count=others_count,
        recorded_by=actor,
    )
    _set_attendance(session, offered=list(offered), attendees=list(attendees))
    return session


@transaction.atomic
def parent_session_update(
    *,
    actor: User,
    session: ParentSchoolSession,
    held_on: dt.date,
    topic: str,
    speaker: str,
    others_count: int,
    offered: Iterable[FamilyMember],
    attendees: Iterable[FamilyMember],
) -> ParentSchoolSession:
    """Correct a session; attendance changes only among the ``offered`` family members,
    the others' attendance (ticked by someone who sees other classes) is kept."""
    errors = _session_errors(held_on, topic)
    if errors:
        raise ValidationError(errors)
    session.held_on = held_on
    session.topic = topic.strip()
    session.speaker = speaker.strip()
    session.others_count = others_count
    session.save(update_fields=["held_on", "topic", "speaker", "others_count"])
    _set_attendance(session, offered=list(offered), attendees=list(attendees))
    return session


def _activity_apply(
    activity: Activity,
    *,
    held_on: dt.date,
    kind: str,
    title: str,
    summary: str,
    others_count: int,
) -> None:
    errors: dict[str, list[str]] = {}
    if held_on > timezone.localdate():
        errors["held_on"] = [_("活动日期不能晚于今天。")]
    if kind not in ActivityKind.values:
        errors["kind"] = [_("请选择活动类型。")]
    if not title.strip():
        errors["title"] = [_("请填写活动主题。")]
    if others_count < 0:
        errors["others_count"] = [_("其他参加人数不能为负数。")]
    if errors:
        raise ValidationError(errors)
    activity.held_on = held_on
    activity.kind = kind
    activity.title = title.strip()
    activity.summary = summary.strip()
    activity.others_count = others_count


def _set_participants(
    activity: Activity, *, offered: Iterable[Child], participants: Iterable[Child]
) -> None:
    _tick_among_offered(
        activity.participation.all(),
        key="child_id",
        offered=offered,
        wanted=participants,
        build=lambda pk: ActivityParticipation(
            activity=activity, child_id=pk, county_code=activity.county_code
        ),
        field="participants",
        message=_("只能勾选名单中的儿童。"),
    )


@transaction.atomic
def activity_create(
    *,
    actor: User,
    org: Org,
    held_on: dt.date,
    kind: str,
    title: str,
    summary: str = "",
    others_count: int = 0,
    offered: Iterable[Child] = (),
    participants: Iterable[Child] = (),
) -> Activity:
    """Record an activity of a school, a class or a village and the children who took
    part. ``participants`` must be among ``offered`` (the children the writer was shown)."""
    if org.kind not in ACTIVITY_ORG_KINDS:
        raise ValidationError(_("活动只能由学校、班级或村（社区）举办。"))
    activity = Activity(org=org, county_code=org.county_code, recorded_by=actor)
    _activity_apply(
        activity,
        held_on=held_on,
        kind=kind,
        title=title,
        summary=summary,
        others_count=others_count,
    )
    offered, participants = list(offered), list(participants)
    activity.save()
    _set_participants(activity, offered=offered, participants=participants)
    return activity


@transaction.atomic
def activity_update(
    *,
    actor: User,
    activity: Activity,
    held_on: dt.date,
    kind: str,
    title: str,
    summary: str,
    others_count: int,
    offered: Iterable[Child],
    participants: Iterable[Child],
) -> Activity:
    """Correct an activity; participants change only among the ``offered`` children, the
    others (ticked by someone who sees other classes) are kept."""
    _activity_apply(
        activity,
        held_on=held_on,
        kind=kind,
        title=title,
        summary=summary,
        others_count=others_count,
    )
    activity.save(update_fields=["held_on", "kind", "title", "summary", "others_count"])
    _set_participants(activity, offered=list(offered), participants=list(participants))
    return activity
