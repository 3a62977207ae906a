"""Care pages: the working list (我的待办) and the record card form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carenet.care import calendar, selectors
from carenet.care.forms import TARGET_LABELS, CarePlanForm, PlanCreateForm, RecordForm
from carenet.care.models import SCHEDULED_KINDS, CareGroup, CareKind, CarePhoto, Frequency
from carenet.care.presets import DEFAULT_PRESET
from carenet.care.services import plan_create, plan_update, record_create
from carenet.children.access import Permission, grants, mentee_ids, plan_orgs, visible_children
from carenet.lib.http import AuthenticatedRequest
from carenet.orgs.selectors import user_memberships

SCHOOL_LIST_LENGTH = 100


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    """待办: children at high risk first, then medium, then overdue tasks (已逾期) before
    those due this week (本周到期); with their counts, and those of the user's mentees
    (结对儿童)."""
    today = timezone.localdate()
    until = selectors.worklist_until(today)
    user = request.user
    if not grants(user, Permission.LEAD_SCHOOL_CARE):  # by membership: not a superuser
        tasks = selectors.my_tasks(user, as_of=today, until=until)
        context: dict[str, Any] = {"tasks": tasks, "school_view": False}
    else:
        school_tasks = selectors.tasks_for(
            visible_children(user), as_of=today, until=until, side=selectors.SCHOOL
        )
        # The leader's own children are among the school's (my_children is a part of
        # visible_children): their tasks are picked out, not computed a second time.
        mine = set(selectors.my_children(user).values_list("pk", flat=True))
        tasks = [t for t in school_tasks if t.child.pk in mine]
        by_class, by_mentor = selectors.group_tasks(school_tasks, today)
        mentor = _mentor_asked(request, by_mentor)
        if mentor is not None:  # one mentor's row, tapped on the first screen
            school_tasks = selectors.mentor_tasks(school_tasks, mentor.mentor_id or 0, today)
        context = dict(
            mentor=mentor,
            tasks=tasks,
            school_view=True,
            school_tasks=school_tasks[:SCHOOL_LIST_LENGTH],
            school_counts=selectors.task_counts(school_tasks, today),
            by_class=by_class,
            by_mentor=by_mentor,
        )
    mentees = set(mentee_ids(user))
    context.update(
        today=today,
        until=until,
        counts=selectors.task_counts(tasks, today),
        mentee_counts=selectors.task_counts([t for t in tasks if t.child.pk in mentees], today),
        is_mentor=bool(mentees),
    )
    return render(request, "care/tasks.html", context)


def _mentor_asked(
    request: HttpRequest, rows: list[selectors.GroupRow]
) -> selectors.GroupRow | None:
    """The row of the mentor ``?mentor=<user id>`` names among the school's, else None (a
    mentor with no 待办 at the school, or not a number: the whole school)."""
    asked = request.GET.get("mentor", "")
    return next((r for r in rows if r.mentor_id and str(r.mentor_id) == asked), None)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("care_tasks")


@login_required
@require_http_methods(["GET", "POST"])
def record_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The record card: a failed form comes back with what was typed and the errors."""
    child = get_object_or_404(visible_children(request.user), pk=pk)
    kind = request.GET.get("kind")
    form = RecordForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        kind=kind if kind in CareKind.values else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record_create(
                actor=request.user,
                child=child,
                kind=data["kind"],
                date=data["date"],
                summary=data["summary"],
                details=form.details(),
                confidential=data["confidential"],
                photos=data["photos"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("已保存%(child)s的记录。") % {"child": child.name})
            return redirect(_next_url(request))
    context = {"child": child, "form": form, "next": _next_url(request)}
    return render(request, "care/record_form.html", context)


@login_required
def record_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A record's photo, for those who may read the record (404 for everyone else)."""
    photo = get_object_or_404(CarePhoto.objects.select_related("record__child__school"), pk=pk)
    record = photo.record
    if not selectors.visible_records(request.user, record.child).filter(pk=record.pk).exists():
        raise Http404
    response = FileResponse(photo.image.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- care plans (工作计划) --------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def plan_list(request: AuthenticatedRequest) -> HttpResponse:
    """The plans a user may read, the plan in force where they work, and (for those who
    configure plans) a form that creates one from a preset."""
    user = request.user
    today = timezone.localdate()
    orgs = plan_orgs(user)
    may_create = orgs.exists()
    form = PlanCreateForm(
        request.POST if request.method == "POST" else None,
        orgs=orgs,
        initial={"school_year": calendar.school_year_of(today), "preset": DEFAULT_PRESET},
    )
    if request.method == "POST":
        if not may_create:
            raise PermissionDenied(_("只有县级管理员和学校领导可以制定工作计划"))
        if form.is_valid():
            try:
                plan = plan_create(actor=user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("已按模板建立工作计划，请核对后保存。"))
                return redirect("care_plan_edit", pk=plan.pk)
    in_force = [(m.org, selectors.plan_in_force(m.org, today)) for m in user_memberships(user)]
    context = {
        "plans": selectors.visible_plans(user).order_by("-school_year", "org__path"),
        "in_force": in_force,
        "form": form,
        "may_create": may_create,
    }
    return render(request, "care/plans.html", context)


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A plan laid out like the seeds' 工作计划, with the year's festivals by month."""
    plan = get_object_or_404(selectors.visible_plans(request.user), pk=pk)
    festivals_by_month: dict[int, list[tuple]] = {}
    for day, name in calendar.festivals(plan.school_year):
        festivals_by_month.setdefault(day.month, []).append((day, _(name)))
    months = [
        {
            "month": entry["month"],
            "items": entry["items"],
            "festivals": festivals_by_month.get(entry["month"], []),
        }
        for entry in plan.schedule
    ]
    context = {
        "plan": plan,
        "frequencies": [
            (CareKind(k).label, Frequency(plan.frequency(k)).label) for k in SCHEDULED_KINDS
        ],
        "targets": [(TARGET_LABELS[k], plan.targets.get(k)) for k in TARGET_LABELS],
        "care_groups": [label for value, label in CareGroup.choices if value in plan.groups],
        "months": months,
        "may_edit": plan_orgs(request.user).filter(pk=plan.org_id).exists(),
    }
    return render(request, "care/plan_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(selectors.visible_plans(request.user), pk=pk)
    if not plan_orgs(request.user).filter(pk=plan.org_id).exists():
        raise PermissionDenied(_("只有县级管理员和学校领导可以修改工作计划"))
    form = CarePlanForm(request.POST if request.method == "POST" else None, instance=plan)
    if request.method == "POST" and form.is_valid():
        plan_update(actor=request.user, plan=plan, data=form.plan_data())
        messages.success(request, _("工作计划已保存。"))
        return redirect("care_plan_detail", pk=plan.pk)
    return render(request, "care/plan_form.html", {"plan": plan, "form": form})
