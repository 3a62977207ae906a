"""Writes of the mandatory report (强制报告) and the urgent case (应急处置).

A report is opened (due, by the plan's hours after it was found), made to an agency,
given a receipt, followed up, and closed; an urgent case opens with its checklist of the
people to call, each step done once (a correction is a note, never an undo), and is
closed with what came of it. Every function raises ``ValidationError`` (by field) with
the reason in Chinese.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carenet.alerts.models import Alert, AlertAction
from carenet.alerts.services import alert_event
from carenet.children.models import Child
from carenet.lib.names import user_name
from carenet.safeguard import selectors
from carenet.safeguard.models import (
    Agency,
    EmergencyCase,
    EmergencyKind,
    EmergencyStep,
    FollowUp,
    MandatoryReport,
    ReportCategory,
    ReportStatus,
)

MAX_TEXT = 5000
MAX_NOTE = 1000


def _text(value: str, field: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: [_("请填写此项")]})
    if len(value) > limit:
        raise ValidationError({field: [_("不能超过 %(n)s 个字符") % {"n": limit}]})
    return value


def _not_future(at: dt.datetime, field: str) -> None:
    if at > timezone.now() + dt.timedelta(minutes=1):
        raise ValidationError({field: [_("时间不能晚于现在")]})


# --- mandatory report -----------------------------------------------------------------


def report_open(
    *,
    actor: User | None,
    child: Child,
    category: str,
    alert: Alert | None = None,
    facts: str = "",
    found_at: dt.datetime | None = None,
) -> MandatoryReport:
    """登记 a mandatory report due for ``child``: found at ``found_at`` (the alert's time,
    else now), due the plan's hours later (``selectors.report_hours``). One report per
    alert."""
    if category not in ReportCategory.values:
        raise ValidationError({"category": [_("请选择报告情形")]})
    facts = _text(facts, "facts")
    if alert is not None:
        if alert.child_id != child.pk:
            raise ValidationError({"__all__": [_("该预警不是这名儿童的")]})
        if MandatoryReport.objects.filter(alert=alert).exists():
            raise ValidationError({"__all__": [_("该预警已登记强制报告")]})
    found = found_at or (alert.raised_at if alert is not None else timezone.now())
    _not_future(found, "found_at")
    hours = selectors.report_hours(child)
    try:
        with transaction.atomic():
            report = MandatoryReport.objects.create(
                child=child,
                county_code=child.county_code,
                alert=alert,
                category=category,
                found_at=found,
                due_by=found + dt.timedelta(hours=hours),
                facts=facts,
                opened_by=actor,
            )
    except IntegrityError as exc:  # the same alert, at the same moment
        raise ValidationError({"__all__": [_("该预警已登记强制报告")]}) from exc
    return report


def report_make(
    *,
    actor: User,
    report: MandatoryReport,
    agency: str,
    agency_name: str,
    reported_at: dt.datetime | None,
    facts: str,
    measures: str,
) -> MandatoryReport:
    """报告: the report was made to ``agency`` at ``reported_at`` (not in the future, not
    before it was found) with the facts and the measures taken. Noted in the alert's
    history when made from an alert."""
    if report.status != ReportStatus.DUE:
        raise ValidationError({"__all__": [_("该报告已经报送")]})
    errors: dict[str, list[str]] = {}
    if agency not in Agency.values:
        errors["agency"] = [_("请选择受理单位")]
    if reported_at is None:
        errors["reported_at"] = [_("请填写报告时间")]
    elif reported_at > timezone.now() + dt.timedelta(minutes=1):
        errors["reported_at"] = [_("报告时间不能晚于现在")]
    elif reported_at < report.found_at:
        errors["reported_at"] = [_("报告时间不能早于发现时间")]
    try:
        agency_name = _text(agency_name, "agency_name", limit=100)
        facts = _text(facts or report.facts, "facts", required=True)
        measures = _text(measures, "measures")
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    assert reported_at is not None
    with transaction.atomic():
        updated = MandatoryReport.objects.filter(pk=report.pk, status=ReportStatus.DUE).update(
            status=ReportStatus.REPORTED
        )
        if not updated:  # made by someone else a moment ago
            raise ValidationError({"__all__": [_("该报告已经报送")]})
        report.status = ReportStatus.REPORTED
        report.agency = agency
        report.agency_name = agency_name
        report.reported_at = reported_at
        report.reported_by = actor
        report.facts = facts
        report.measures = measures
        report.save(
            update_fields=[
                "agency",
                "agency_name",
                "reported_at",
                "reported_by",
                "facts",
                "measures",
            ]
        )
        if report.alert_id is not None:
            alert = Alert.objects.get(pk=report.alert_id)
            label = agency_name or str(Agency(agency).label)
            alert_event(
                alert,
                AlertAction.REPORTED,
                actor,
                note=_("已向%(agency)s报告") % {"agency": label},
            )
    return report


def report_receipt(
    *, actor: User, report: MandatoryReport, receipt_number: str, receiver: str
) -> MandatoryReport:
    """受理回执: the agency's receipt number and who received the report (may be
    corrected while the report is open; the time is when it was entered)."""
    if report.status != ReportStatus.REPORTED:
        raise ValidationError({"__all__": [_("报告报送后、结案前才能登记回执")]})
    number = _text(receipt_number, "receipt_number", required=True, limit=60)
    receiver = _text(receiver, "receiver", limit=100)
    report.receipt_number = number
    report.receiver = receiver
    report.receipt_at = timezone.now()
    report.save(update_fields=["receipt_number", "receiver", "receipt_at"])
    return report


def follow_up_add(*, actor: User, report: MandatoryReport, note: str) -> FollowUp:
    """跟进: what the agency or the school did since (after the report, before closing)."""
    if report.status != ReportStatus.REPORTED:
        raise ValidationError({"__all__": [_("报告报送后、结案前才能添加跟进")]})
    note = _text(note, "note", required=True, limit=MAX_NOTE)
    return FollowUp.objects.create(report=report, at=timezone.now(), note=note, author=actor)


def report_close(*, actor: User, report: MandatoryReport, note: str) -> MandatoryReport:
    """结案: only a report made; with what came of it."""
    if report.status == ReportStatus.DUE:
        raise ValidationError({"__all__": [_("尚未报告，不能结案：请先向受理单位报告")]})
    if report.status == ReportStatus.CLOSED:
        raise ValidationError({"__all__": [_("该报告已结案")]})
    note = _text(note, "note", required=True, limit=MAX_NOTE)
    report.status = ReportStatus.CLOSED
    report.closed_at = timezone.now()
    report.closing_note = note
    report.save(update_fields=["status", "closed_at", "closing_note"])
    return report


# --- urgent case (应急处置) -------------------------------------------------------------


def emergency_open(
    *,
    actor: User,
    child: Child,
    kind: str,
    alert: Alert | None = None,
    description: str = "",
) -> EmergencyCase:
    """启动应急处置: the case and its checklist (``selectors.emergency_plan``: the people
    to call with the numbers on file now, the police, the search)."""
    if kind not in EmergencyKind.values:
        raise ValidationError({"kind": [_("请选择情形")]})
    if alert is not None and alert.child_id != child.pk:
        raise ValidationError({"__all__": [_("该预警不是这名儿童的")]})
    description = _text(description, "description", limit=MAX_NOTE)
    steps = selectors.emergency_plan(child, kind)
    with transaction.atomic():
        case = EmergencyCase.objects.create(
            child=child,
            county_code=child.county_code,
            kind=kind,
            alert=alert,
            description=description,
            opened_at=timezone.now(),
            opened_by=actor,
        )
        EmergencyStep.objects.bulk_create(
            EmergencyStep(
                case=case,
                position=position,
                step=planned.step,
                label=planned.label,
                contact_name=planned.contact_name,
                contact_phone=planned.contact_phone,
            )
            for position, planned in enumerate(steps)
        )
        if alert is not None:
            alert_event(
                alert,
                AlertAction.NOTE,
                actor,
                note=_("启动应急处置：%(kind)s") % {"kind": EmergencyKind(kind).label},
            )
    return case


def _open_case(case: EmergencyCase) -> None:
    if case.closed_at is not None:
        raise ValidationError({"__all__": [_("该应急处置已结束")]})


def emergency_step_done(
    *, actor: User, case: EmergencyCase, step: EmergencyStep, note: str = ""
) -> EmergencyStep:
    """A step done now, by ``actor``: once (a step is never undone; a correction is a
    note, ``emergency_step_note``)."""
    _open_case(case)
    if step.case_id != case.pk:
        raise ValidationError({"__all__": [_("该步骤不属于这次应急处置")]})
    note = _text(note, "note", limit=MAX_NOTE)
    now = timezone.now()
    updated = EmergencyStep.objects.filter(pk=step.pk, done_at__isnull=True).update(
        done_at=now, done_by=actor
    )
    if not updated:
        raise ValidationError({"__all__": [_("该步骤已完成，不能撤销；如需更正请添加说明")]})
    step.done_at, step.done_by = now, actor
    if note:
        step.note = note
        step.save(update_fields=["note"])
    return step


def emergency_step_note(
    *, actor: User, case: EmergencyCase, step: EmergencyStep, note: str
) -> EmergencyStep:
    """A note on a step (who answered, a correction), added below what was noted before
    with the time and the author."""
    _open_case(case)
    if step.case_id != case.pk:
        raise ValidationError({"__all__": [_("该步骤不属于这次应急处置")]})
    note = _text(note, "note", required=True, limit=MAX_NOTE)
    stamp = f"{timezone.localtime():%m-%d %H:%M} {user_name(actor)}：{note}"
    step.note = f"{step.note}\n{stamp}" if step.note else stamp
    step.save(update_fields=["note"])
    return step


def emergency_close(*, actor: User, case: EmergencyCase, note: str) -> EmergencyCase:
    """结束应急处置 with what came of it (found safe, in hospital, placed with relatives)."""
    _open_case(case)
    note = _text(note, "note", required=True, limit=MAX_NOTE)
    case.closed_at = timezone.now()
    case.closing_note = note
    case.save(update_fields=["closed_at", "closing_note"])
    return case
