"""Writes of a child's plans. Each function validates its input and raises
``ValidationError`` keyed by field, in Chinese; rights are checked by the caller."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carenet.alerts.models import Alert
from carenet.alerts.services import alert_plan_opened
from carenet.childplans.models import (
    CheckResult,
    IndividualPlan,
    PlanReview,
    PlanStatus,
    Reason,
    StudyCheck,
    StudyPlan,
    Subject,
)
from carenet.children.models import Child
from carenet.lib.events import child_changed

MAX_TEXT = 5000

Errors = dict[str, list[str]]


def _text(errors: Errors, key: str, value: str | None, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.setdefault(key, []).append(_("必须填写此项"))
    elif len(value) > MAX_TEXT:
        errors.setdefault(key, []).append(_("不能超过 %(n)s 个字符") % {"n": MAX_TEXT})
    return value


def _past_date(errors: Errors, key: str, value: dt.date | None) -> None:
    if value is None:
        errors.setdefault(key, []).append(_("必须填写此项"))
    elif value > timezone.localdate():
        errors.setdefault(key, []).append(_("日期不能晚于今天"))


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _study_fields(
    errors: Errors,
    *,
    subjects: Iterable[str],
    goals: str,
    measures: str,
    start_date: dt.date | None,
    end_date: dt.date | None,
) -> tuple[str, str, str]:
    codes = list(dict.fromkeys(subjects))
    if not codes:
        errors["subjects"] = [_("请至少选择一个科目")]
    elif any(code not in Subject.values for code in codes):
        errors["subjects"] = [_("科目无效")]
    if start_date is None:
        errors["start_date"] = [_("必须填写此项")]
    elif end_date is not None and end_date < start_date:
        errors["end_date"] = [_("结束日期不能早于开始日期")]
    return ",".join(codes), _text(errors, "goals", goals), _text(errors, "measures", measures)


@transaction.atomic
def study_plan_create(
    *,
    actor: User,
    child: Child,
    subjects: Iterable[str],
    goals: str,
    measures: str,
    start_date: dt.date | None,
    end_date: dt.date | None = None,
    schedule: str = "",
    teacher: User | None = None,
    buddy_name: str = "",
) -> StudyPlan:
    """Draw up a study plan (学习帮扶计划) for a child."""
    errors: Errors = {}
    codes, goals, measures = _study_fields(
        errors,
        subjects=subjects,
        goals=goals,
        measures=measures,
        start_date=start_date,
        end_date=end_date,
    )
    _raise(errors)
    assert start_date is not None  # _past_date refused a missing date
    return StudyPlan.objects.create(
        child=child,
        county_code=child.county_code,
        subjects=codes,
        goals=goals,
        measures=measures,
        schedule=(schedule or "").strip(),
        teacher=teacher,
        buddy_name=(buddy_name or "").strip(),
        start_date=start_date,
        end_date=end_date,
        created_by=actor,
    )


@transaction.atomic
def study_plan_update(
    *,
    plan: StudyPlan,
    subjects: Iterable[str],
    goals: str,
    measures: str,
    start_date: dt.date | None,
    end_date: dt.date | None = None,
    schedule: str = "",
    teacher: User | None = None,
    buddy_name: str = "",
) -> StudyPlan:
    """Change an open study plan."""
    errors: Errors = {}
    if not plan.is_open:
        errors["__all__"] = [_("该计划已结束，不能修改")]
    codes, goals, measures = _study_fields(
        errors,
        subjects=subjects,
        goals=goals,
        measures=measures,
        start_date=start_date,
        end_date=end_date,
    )
    _raise(errors)
    assert start_date is not None  # _past_date refused a missing date
    plan.subjects, plan.goals, plan.measures = codes, goals, measures
    plan.start_date, plan.end_date = start_date, end_date
    plan.schedule = (schedule or "").strip()
    plan.teacher = teacher
    plan.buddy_name = (buddy_name or "").strip()
    plan.save()
    return plan


@transaction.atomic
def study_plan_close(*, plan: StudyPlan, closed_on: dt.date | None, summary: str = "") -> StudyPlan:
    """End a study plan, with its effect (阶段性效果) if stated."""
    errors: Errors = {}
    if not plan.is_open:
        errors["__all__"] = [_("该计划已结束")]
    _past_date(errors, "closed_on", closed_on)
    if closed_on is not None and closed_on < plan.start_date:
        errors.setdefault("closed_on", []).append(_("结束日期不能早于开始日期"))
    summary = _text(errors, "summary", summary, required=False)
    _raise(errors)
    plan.status, plan.closed_on, plan.closing_summary = PlanStatus.CLOSED, closed_on, summary
    plan.save(update_fields=["status", "closed_on", "closing_summary"])
    return plan


@transaction.atomic
def study_check_add(
    *,
    actor: User,
    plan: StudyPlan,
    date: dt.date | None,
    result: str,
    scores: str = "",
    notes: str = "",
) -> StudyCheck:
    """Record a check of an open plan's effect (进步档案)."""
    errors: Errors = {}
    if not plan.is_open:
        errors["__all__"] = [_("该计划已结束，不能再添加检查")]
    _past_date(errors, "date", date)
    if date is not None and date < plan.start_date:
        errors.setdefault("date", []).append(_("检查日期不能早于计划开始日期"))
    if result not in CheckResult.values:
        errors["result"] = [_("请选择检查结果")]
    scores = (scores or "").strip()
    if len(scores) > 200:
        errors["scores"] = [_("不能超过 %(n)s 个字符") % {"n": 200}]
    notes = _text(errors, "notes", notes, required=False)
    _raise(errors)
    assert date is not None  # _past_date refused a missing date
    return StudyCheck.objects.create(
        plan=plan, date=date, result=result, scores=scores, notes=notes, author=actor
    )


@transaction.atomic
def individual_plan_open(
    *,
    actor: User,
    child: Child,
    reason: str,
    goals: str,
    measures: str,
    responsible: User,
    opened_on: dt.date | None,
    reason_detail: str = "",
) -> IndividualPlan:
    """Open an individual plan (个别教育管理方案). While it is open the child's derived
    risk is at least medium: a child who needs such a plan is not at low risk."""
    errors: Errors = {}
    if reason not in Reason.values:
        errors["reason"] = [_("请选择原因")]
    _past_date(errors, "opened_on", opened_on)
    reason_detail = _text(errors, "reason_detail", reason_detail, required=reason == Reason.OTHER)
    goals = _text(errors, "goals", goals)
    measures = _text(errors, "measures", measures)
    if responsible is None:
        errors["responsible"] = [_("必须填写此项")]
    _raise(errors)
    assert opened_on is not None  # _past_date refused a missing date
    plan = IndividualPlan.objects.create(
        child=child,
        county_code=child.county_code,
        reason=reason,
        reason_detail=reason_detail,
        goals=goals,
        measures=measures,
        responsible=responsible,
        opened_on=opened_on,
        created_by=actor,
    )
    # The early warning refreshes the risk: an open individual plan makes it at least
    # medium (``alerts.selectors.rules_risk``).
    child_changed(child.pk, "plan", plan)
    return plan


@transaction.atomic
def individual_plan_close(
    *, plan: IndividualPlan, closed_on: dt.date | None, summary: str
) -> IndividualPlan:
    """Close an individual plan; a closing summary (结案小结) is required."""
    errors: Errors = {}
    if not plan.is_open:
        errors["__all__"] = [_("该方案已结束")]
    _past_date(errors, "closed_on", closed_on)
    if closed_on is not None and closed_on < plan.opened_on:
        errors.setdefault("closed_on", []).append(_("结束日期不能早于开始日期"))
    summary = (summary or "").strip()
    if not summary:
        errors["summary"] = [_("请填写结案小结")]
    elif len(summary) > MAX_TEXT:
        errors["summary"] = [_("不能超过 %(n)s 个字符") % {"n": MAX_TEXT}]
    _raise(errors)
    plan.status, plan.closed_on, plan.closing_summary = PlanStatus.CLOSED, closed_on, summary
    plan.save(update_fields=["status", "closed_on", "closing_summary"])
    child_changed(plan.child_id, "plan", plan)
    return plan


@transaction.atomic
def plan_review_add(
    *,
    actor: User,
    plan: IndividualPlan,
    date: dt.date | None,
    progress: str,
    next_steps: str = "",
) -> PlanReview:
    """Record a dated review of an open individual plan."""
    errors: Errors = {}
    if not plan.is_open:
        errors["__all__"] = [_("该方案已结束，不能再添加回访")]
    _past_date(errors, "date", date)
    if date is not None and date < plan.opened_on:
        errors.setdefault("date", []).append(_("日期不能早于方案开始日期"))
    progress = _text(errors, "progress", progress)
    next_steps = _text(errors, "next_steps", next_steps, required=False)
    assert date is not None  # _past_date refused a missing date
    _raise(errors)
    return PlanReview.objects.create(
        plan=plan, date=date, progress=progress, next_steps=next_steps, author=actor
    )


@transaction.atomic
def individual_plan_open_from_alert(
    *, actor: User, child: Child, alert: Alert, **fields: Any
) -> IndividualPlan:
    """Open an individual plan (``individual_plan_open``) from an alert of the child
    (预警 → 制定个别教育管理方案): the plan names the alert, the alert's history records
    the plan."""
    if alert.child_id != child.pk:
        raise ValidationError({"__all__": [_("该预警不是这名儿童的")]})
    plan = individual_plan_open(actor=actor, child=child, **fields)
    plan.alert = alert
    plan.save(update_fields=["alert"])
    alert_plan_opened(actor=actor, alert=alert)
    return plan
