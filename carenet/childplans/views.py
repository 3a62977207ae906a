"""Plan pages: draw up a study or individual plan from the child file, and follow it
with checks or reviews until it is closed.

Reads follow ``visible_children``; writes need ``selectors.may_write_plans`` (editors
of the file and the child's mentor). Out of sight is 404, in sight but read-only 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carenet.alerts.models import Alert
from carenet.childplans import selectors, services
from carenet.childplans.forms import (
    IndividualCloseForm,
    IndividualPlanForm,
    PlanReviewForm,
    StudyCheckForm,
    StudyCloseForm,
    StudyPlanForm,
)
from carenet.childplans.models import IndividualPlan, StudyPlan
from carenet.children.access import visible_children
from carenet.children.models import Child, PairingKind
from carenet.children.selectors import pairing_in_force
from carenet.lib.http import AuthenticatedRequest


def _require_writer(request: HttpRequest, child: Child) -> None:
    if not selectors.may_write_plans(request.user, child):
        raise PermissionDenied(_("您可以查看该儿童的档案，但无权制定或更新帮扶方案。"))


def _writable_child(request: HttpRequest, pk: int) -> Child:
    child = get_object_or_404(visible_children(request.user).select_related("school"), pk=pk)
    _require_writer(request, child)
    return child


def _study_plan(request: HttpRequest, pk: int, *, write: bool = False) -> StudyPlan:
    plan = get_object_or_404(selectors.visible_study_plans(request.user), pk=pk)
    if write:
        _require_writer(request, plan.child)
    return plan


def _individual_plan(request: HttpRequest, pk: int, *, write: bool = False) -> IndividualPlan:
    plan = get_object_or_404(selectors.visible_individual_plans(request.user), pk=pk)
    if write:
        _require_writer(request, plan.child)
    return plan


def _study_kwargs(form: StudyPlanForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "subjects": data["subjects"],
        "goals": data["goals"],
        "measures": data["measures"],
        "schedule": data["schedule"],
        "teacher": data["teacher"],
        "buddy_name": data["buddy_name"],
        "start_date": data["start_date"],
        "end_date": data["end_date"],
    }


# --- study plans ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def study_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    child = _writable_child(request, pk)
    buddy = (
        child.pairings.filter(pairing_in_force(), kind=PairingKind.BUDDY)
        .select_related("buddy")
        .first()
    )
    buddy_name = (buddy.buddy_name or (buddy.buddy.name if buddy.buddy else "")) if buddy else ""
    initial: dict[str, Any] = {"start_date": timezone.localdate(), "buddy_name": buddy_name}
    teachers = selectors.helper_teachers(child)
    if teachers.filter(pk=request.user.pk).exists():
        initial["teacher"] = request.user.pk
    form = StudyPlanForm(
        request.POST if request.method == "POST" else None, teachers=teachers, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.study_plan_create(
                actor=request.user, child=child, **_study_kwargs(form)
            )
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("已保存学习帮扶计划。"))
            return redirect("childplans_study_detail", pk=plan.pk)
    context = {"child": child, "form": form, "title": _("新建学习帮扶计划")}
    return render(request, "childplans/plan_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def study_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _study_plan(request, pk, write=True)
    if not plan.is_open:
        raise PermissionDenied(_("该计划已结束，不能修改"))
    initial = {
        "subjects": plan.subject_list,
        "goals": plan.goals,
        "measures": plan.measures,
        "schedule": plan.schedule,
        "teacher": plan.teacher_id,
        "buddy_name": plan.buddy_name,
        "start_date": plan.start_date,
        "end_date": plan.end_date,
    }
    form = StudyPlanForm(
        request.POST if request.method == "POST" else None,
        teachers=selectors.helper_teachers(plan.child),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.study_plan_update(plan=plan, **_study_kwargs(form))
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("已保存学习帮扶计划。"))
            return redirect("childplans_study_detail", pk=plan.pk)
    context = {"child": plan.child, "form": form, "title": _("修改学习帮扶计划"), "plan": plan}
    return render(request, "childplans/plan_form.html", context)


def _study_page(
    request: HttpRequest,
    plan: StudyPlan,
    *,
    check_form: StudyCheckForm | None = None,
    close_form: StudyCloseForm | None = None,
) -> HttpResponse:
    context = {
        "plan": plan,
        "child": plan.child,
        "checks": plan.checks.select_related("author"),
        "may_write": plan.is_open and selectors.may_write_plans(request.user, plan.child),
        "check_form": check_form or StudyCheckForm(),
        "close_form": close_form or StudyCloseForm(),
    }
    return render(request, "childplans/study_detail.html", context)


@login_required
def study_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _study_page(request, _study_plan(request, pk))


@login_required
@require_POST
def study_check_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = _study_plan(request, pk, write=True)
    form = StudyCheckForm(request.POST)
    if form.is_valid():
        try:
            services.study_check_add(actor=request.user, plan=plan, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("已保存阶段检查。"))
            return redirect("childplans_study_detail", pk=plan.pk)
    return _study_page(request, plan, check_form=form)


@login_required
@require_POST
def study_close(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _study_plan(request, pk, write=True)
    form = StudyCloseForm(request.POST)
    if form.is_valid():
        try:
            services.study_plan_close(plan=plan, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("学习帮扶计划已结束。"))
            return redirect("childplans_study_detail", pk=plan.pk)
    return _study_page(request, plan, close_form=form)


# --- individual plans -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def individual_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    child = _writable_child(request, pk)
    teachers = selectors.helper_teachers(child)
    initial: dict[str, Any] = {"opened_on": timezone.localdate()}
    if teachers.filter(pk=request.user.pk).exists():
        initial["responsible"] = request.user.pk
    alert = selectors.plan_alert(request.user, child, request.GET.get("alert"))
    if alert is not None:  # 预警 → 制定个别教育管理方案
        initial.update(selectors.plan_initial_from_alert(alert))
    form = IndividualPlanForm(
        request.POST if request.method == "POST" else None, teachers=teachers, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = _individual_open(request, child, alert, form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("已保存个别教育管理方案。"))
            return redirect("childplans_individual_detail", pk=plan.pk)
    context = {"child": child, "form": form, "title": _("新建个别教育方案"), "alert": alert}
    return render(request, "childplans/plan_form.html", context)


def _individual_open(
    request: AuthenticatedRequest, child: Child, alert: Alert | None, data: dict[str, Any]
) -> IndividualPlan:
    if alert is None:
        return services.individual_plan_open(actor=request.user, child=child, **data)
    return services.individual_plan_open_from_alert(
        actor=request.user, child=child, alert=alert, **data
    )


def _individual_page(
    request: HttpRequest,
    plan: IndividualPlan,
    *,
    review_form: PlanReviewForm | None = None,
    close_form: IndividualCloseForm | None = None,
) -> HttpResponse:
    context = {
        "plan": plan,
        "child": plan.child,
        "reviews": plan.reviews.select_related("author"),
        "may_write": plan.is_open and selectors.may_write_plans(request.user, plan.child),
        "review_form": review_form or PlanReviewForm(),
        "close_form": close_form or IndividualCloseForm(),
    }
    return render(request, "childplans/individual_detail.html", context)


@login_required
def individual_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _individual_page(request, _individual_plan(request, pk))


@login_required
@require_POST
def review_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = _individual_plan(request, pk, write=True)
    form = PlanReviewForm(request.POST)
    if form.is_valid():
        try:
            services.plan_review_add(actor=request.user, plan=plan, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("已保存回访记录。"))
            return redirect("childplans_individual_detail", pk=plan.pk)
    return _individual_page(request, plan, review_form=form)


@login_required
@require_POST
def individual_close(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _individual_plan(request, pk, write=True)
    form = IndividualCloseForm(request.POST)
    if form.is_valid():
        try:
            services.individual_plan_close(plan=plan, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("个别教育管理方案已结束。"))
            return redirect("childplans_individual_detail", pk=plan.pk)
    return _individual_page(request, plan, close_form=form)
