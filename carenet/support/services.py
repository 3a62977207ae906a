"""Writes of legal-aid cases and parent-school sessions.

The rules of a case live here (the forms only shape the input): an aided case has an aid
date, no date lies before the case was opened or in the future. A session's attendance
is replaced only among the family members the writer was offered, so a class teacher
editing the school's session never drops the guardians of other classes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carenet.children.models import Child, FamilyMember
from carenet.orgs.models import Org, OrgKind
from carenet.support.models import LegalAidCase, ParentSchoolAttendance, ParentSchoolSession


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
    actor: AbstractBaseUser,
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
    actor: AbstractBaseUser,
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
def legal_aid_case_close(
    *, actor: AbstractBaseUser, case: LegalAidCase, on: dt.date
) -> LegalAidCase:
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


def _set_attendance(
    session: ParentSchoolSession,
    *,
    offered: Iterable[FamilyMember],
    attendees: Iterable[FamilyMember],
) -> None:
    offered_ids = {member.pk for member in offered}
    wanted = {member.pk: member for member in attendees}
    stray = set(wanted) - offered_ids
    if stray:
        raise ValidationError({"attendees": [_("只能勾选名单中的家长。")]})
    present = set(
        session.attendance.filter(member__in=offered_ids).values_list("member_id", flat=True)
    )
    session.attendance.filter(member__in=present - set(wanted)).delete()
    ParentSchoolAttendance.objects.bulk_create(
        ParentSchoolAttendance(session=session, member=member, county_code=session.county_code)
        for pk, member in wanted.items()
        if pk not in present
    )


@transaction.atomic
def parent_session_create(
    *,
    actor: AbstractBaseUser,
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
    actor: AbstractBaseUser,
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
