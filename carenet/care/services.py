"""Writes of care work."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carenet.care import calendar, selectors
from carenet.care.models import (
    DETAIL_FIELDS,
    Absence,
    AbsenceReason,
    CareKind,
    CarePhoto,
    CarePlan,
    CareRecord,
    ExamScore,
    GuardianCapacity,
)
from carenet.care.presets import DEFAULT_PRESET, PRESETS, preset_plan
from carenet.children.models import Child
from carenet.lib.events import child_changed
from carenet.orgs.models import Org

MAX_SUMMARY = 5000
MAX_DETAIL = 1000
MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 10 * 2**20


def _clean_details(kind: str, details: dict[str, Any], errors: dict[str, list[str]]) -> dict:
    """The kind's own fields, non-empty ones only; other keys are dropped."""
    cleaned: dict[str, Any] = {}
    for key in DETAIL_FIELDS.get(kind, ()):
        value = details.get(key)
        if value in (None, ""):
            continue
        if key == "duration_minutes":
            try:
                value = int(value)
            except (TypeError, ValueError):
                errors.setdefault(key, []).append(_("应为整数"))
                continue
            if not 0 <= value <= 600:
                errors.setdefault(key, []).append(_("应在 0 到 600 分钟之间"))
                continue
        elif key == "guardian_capacity":
            if value not in GuardianCapacity.values:
                errors.setdefault(key, []).append(_("应为 good（较好）、fair（一般）或 poor（差）"))
                continue
        else:
            value = str(value).strip()
            if len(value) > MAX_DETAIL:
                errors.setdefault(key, []).append(_("不能超过 %(n)s 个字符") % {"n": MAX_DETAIL})
                continue
            if not value:
                continue
        cleaned[key] = value
    return cleaned


def record_create(
    *,
    actor: User,
    child: Child,
    kind: str,
    date: dt.date | None,
    summary: str,
    details: dict[str, Any] | None = None,
    confidential: bool = False,
    photos: Sequence[UploadedFile] = (),
) -> CareRecord:
    """Log one piece of care work, with its photos, all or nothing. Raises
    ``ValidationError`` keyed by field.

    The child's next due date for the kind moves at once: due dates are derived from
    the records (``selectors.tasks_for``). Counseling is always confidential."""
    errors: dict[str, list[str]] = {}
    if kind not in CareKind.values:
        errors["kind"] = [_("记录类型无效")]
    if date is None:
        errors["date"] = [_("必须填写此项")]
    elif date > timezone.localdate():
        errors["date"] = [_("日期不能晚于今天")]
    summary = (summary or "").strip()
    if not summary:
        errors["summary"] = [_("请填写记录内容")]
    elif len(summary) > MAX_SUMMARY:
        errors["summary"] = [_("不能超过 %(n)s 个字符") % {"n": MAX_SUMMARY}]
    cleaned = _clean_details(kind, details or {}, errors)
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [_("每条记录最多 %(n)s 张照片") % {"n": MAX_PHOTOS}]
    elif any((photo.size or 0) > MAX_PHOTO_BYTES for photo in photos):
        errors["photos"] = [_("每张照片不能超过 %(n)s MB") % {"n": MAX_PHOTO_BYTES // 2**20}]
    if errors:
        raise ValidationError(errors)
    assert date is not None  # refused above when missing
    with transaction.atomic():
        record = CareRecord.objects.create(
            child=child,
            county_code=child.county_code,
            kind=kind,
            date=date,
            author=actor,
            summary=summary,
            details=cleaned,
            confidential=confidential or kind == CareKind.COUNSELING,
        )
        for photo in photos:
            CarePhoto.objects.create(record=record, county_code=child.county_code, image=photo)
        child_changed(child.pk, "record", record)
    return record


class KeyReused(Exception):
    """An idempotency key sent again with another body than the first time."""


@dataclass(frozen=True)
class KeyedRecord:
    record: CareRecord
    created: bool  # False: a replay answered with the record of the first sending


def record_create_once(
    *,
    actor: User,
    child: Child,
    client_key: uuid.UUID,
    digest: str,
    kind: str,
    date: dt.date | None,
    summary: str,
    details: dict[str, Any] | None = None,
    confidential: bool = False,
) -> KeyedRecord:
    """``record_create`` under a client's idempotency key: the first sending logs the
    record; sending the same key and body (``digest``) again returns that record and logs
    nothing, so a phone that resends after a lost answer files one record. The same key
    with another body raises ``KeyReused``. Keys are the author's own: another user's
    key never collides."""
    first = selectors.record_by_client_key(actor, client_key)
    if first is None:
        try:
            with transaction.atomic():
                record = record_create(
                    actor=actor,
                    child=child,
                    kind=kind,
                    date=date,
                    summary=summary,
                    details=details,
                    confidential=confidential,
                )
                CareRecord.objects.filter(pk=record.pk).update(
                    client_key=client_key, client_digest=digest
                )
        except IntegrityError:
            # The same key sent twice at once: the other sending won.
            first = selectors.record_by_client_key(actor, client_key)
            if first is None:
                raise
        else:
            record.client_key, record.client_digest = client_key, digest
            return KeyedRecord(record, created=True)
    if first.client_digest != digest or first.child_id != child.pk:
        raise KeyReused
    return KeyedRecord(first, created=False)


# --- care plans -----------------------------------------------------------------------


def plan_create(*, actor: User | None, org: Org, school_year: int, preset: str) -> CarePlan:
    """Configure an org's plan for a school year from a preset (edited afterwards)."""
    errors: dict[str, list[str]] = {}
    if preset not in PRESETS:
        errors["preset"] = [_("请选择一个模板")]
    if CarePlan.objects.filter(org=org, school_year=school_year).exists():
        errors["school_year"] = [
            _("%(org)s %(year)s 学年已有工作计划，请直接修改") % {"org": org, "year": school_year}
        ]
    if errors:
        raise ValidationError(errors)
    plan = preset_plan(preset, org=org, school_year=school_year)
    plan.save()
    return plan


def county_plan_start(*, county: Org, today: dt.date) -> CarePlan | None:
    """A county set up (``carenet setup county``, the setup page) starts with the default
    preset's plan for the school year of ``today``, so it has due work from its first day;
    None when it already has a plan for that year (its administrator edits that one)."""
    school_year = calendar.school_year_of(today)
    if CarePlan.objects.filter(org=county, school_year=school_year).exists():
        return None
    return plan_create(actor=None, org=county, school_year=school_year, preset=DEFAULT_PRESET)


def plan_update(*, actor: User, plan: CarePlan, data: dict[str, Any]) -> CarePlan:
    """Save the edited fields of a plan (validated by ``forms.CarePlanForm``)."""
    for field, value in data.items():
        setattr(plan, field, value)
    plan.save()
    return plan


# --- absences and exam results ----------------------------------------------------------

MAX_NOTE = 200


def absence_record(
    *, actor: User, child: Child, date: dt.date | None, reason: str, note: str = ""
) -> Absence:
    """缺勤: record a day the child was absent. Refuses a future day and a day already
    recorded. Raises ``ValidationError`` keyed by field."""
    errors: dict[str, list[str]] = {}
    if date is None:
        errors["date"] = [_("必须填写此项")]
    elif date > timezone.localdate():
        errors["date"] = [_("日期不能晚于今天")]
    elif Absence.objects.filter(child=child, date=date).exists():
        errors["date"] = [_("这一天已登记缺勤")]
    if reason not in AbsenceReason.values:
        errors["reason"] = [_("请选择缺勤原因")]
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = [_("不能超过 %(n)s 个字符") % {"n": MAX_NOTE}]
    if errors:
        raise ValidationError(errors)
    assert date is not None  # refused above when missing
    try:
        with transaction.atomic():
            absence = Absence.objects.create(
                child=child,
                county_code=child.county_code,
                date=date,
                reason=reason,
                note=note,
                recorded_by=actor,
            )
            child_changed(child.pk, "absence", absence)
    except IntegrityError:  # the same day recorded at the same moment
        raise ValidationError({"date": [_("这一天已登记缺勤")]}) from None
    return absence


@transaction.atomic
def absence_delete(*, actor: User, absence: Absence) -> None:
    """Delete an absence entered by mistake (its alert clears if the count falls)."""
    child_id = absence.child_id
    absence.delete()
    child_changed(child_id, "absence")


def score_record(
    *,
    actor: User,
    child: Child,
    exam: str,
    date: dt.date | None,
    subject: str,
    score: Decimal | int | float | str | None,
    full_score: Decimal | int | float | str | None = 100,
) -> ExamScore:
    """Record one result of one exam; the same exam, day and subject again replaces the
    result. Raises ``ValidationError`` keyed by field."""
    errors: dict[str, list[str]] = {}
    exam, subject = (exam or "").strip(), (subject or "").strip()
    if not exam:
        errors["exam"] = [_("请填写考试名称")]
    elif len(exam) > 50:
        errors["exam"] = [_("不能超过 %(n)s 个字符") % {"n": 50}]
    if not subject:
        errors["subject"] = [_("请填写科目")]
    elif len(subject) > 20:
        errors["subject"] = [_("不能超过 %(n)s 个字符") % {"n": 20}]
    if date is None:
        errors["date"] = [_("必须填写此项")]
    elif date > timezone.localdate():
        errors["date"] = [_("日期不能晚于今天")]
    full = _decimal(full_score)
    if full is None or full <= 0 or full > 1000:
        errors["full_score"] = [_("满分应在 1 到 1000 之间")]
    value = _decimal(score)
    if value is None or value < 0:
        errors["score"] = [_("请填写成绩（不小于 0）")]
    elif full is not None and value > full:
        errors["score"] = [_("成绩不能高于满分")]
    if errors:
        raise ValidationError(errors)
    assert date is not None and value is not None and full is not None
    with transaction.atomic():
        result, _created = ExamScore.objects.update_or_create(
            child=child,
            date=date,
            exam=exam,
            subject=subject,
            defaults={
                "county_code": child.county_code,
                "score": value,
                "full_score": full,
                "recorded_by": actor,
            },
        )
        child_changed(child.pk, "score", result)
    return result


def _decimal(value: Decimal | int | float | str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    return number.quantize(Decimal("0.1"))
