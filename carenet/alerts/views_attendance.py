"""Absences and exam results (缺勤与成绩), entered by the class teacher for their class
and by the principal for the school (``Permission.RECORD_ATTENDANCE``): a class page with
a quick absence form per child, a child's page, and a class table of one exam's results.

Classes out of reach are 404; a child out of sight 404, a child seen but not recorded
for 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carenet.alerts import attendance_selectors as selectors
from carenet.alerts.forms_attendance import AbsenceForm, ClassScoresForm, ScoreForm
from carenet.care import services
from carenet.care.models import AbsenceReason
from carenet.children.access import visible_children
from carenet.children.models import Child
from carenet.lib.http import AuthenticatedRequest
from carenet.orgs.models import Org


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _class_or_404(request: HttpRequest, pk: int) -> Org:
    return get_object_or_404(selectors.attendance_classes(request.user), pk=pk)


def _child_or_404(request: HttpRequest, pk: int) -> Child:
    """A child the user records absences for; 404 for a child out of sight, 403 for one
    the user sees but does not record for."""
    child = selectors.attendance_children(request.user).select_related("school_class")
    found = child.filter(pk=pk).first()
    if found is None:
        if visible_children(request.user).filter(pk=pk).exists():
            raise PermissionDenied(_("您可以查看该儿童的档案，但无权登记缺勤和成绩。"))
        raise Http404
    return found


@login_required
def class_list(request: HttpRequest) -> HttpResponse:
    """The classes the user records for; one class goes straight to its page."""
    classes = list(selectors.attendance_classes(request.user))
    if len(classes) == 1:
        return redirect("attendance:class", pk=classes[0].pk)
    return render(request, "alerts/attendance_classes.html", {"classes": classes})


@login_required
def class_page(request: HttpRequest, pk: int) -> HttpResponse:
    school_class = _class_or_404(request, pk)
    children = selectors.class_children(request.user, school_class)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "school_class": school_class,
        "children": list(children),
        "absences": list(selectors.recent_absences(request.user, children, today)),
        "reasons": AbsenceReason.choices,
        "today": today,
        "recent_days": selectors.RECENT_DAYS,
    }
    return render(request, "alerts/attendance_class.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def child_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A child's absences and results, with a form for each; a failed form comes back
    with what was typed."""
    child = _child_or_404(request, pk)
    action = request.POST.get("action") if request.method == "POST" else None
    absence_form = AbsenceForm(request.POST if action == "absence" else None, prefix="absence")
    score_form = ScoreForm(request.POST if action == "score" else None, prefix="score")
    if action == "absence" and absence_form.is_valid():
        if _record_absence(request, child, absence_form):
            return redirect(_next_url(request, request.path))
    elif action == "score" and score_form.is_valid():
        data = score_form.cleaned_data
        try:
            services.score_record(
                actor=request.user,
                child=child,
                exam=data["exam"],
                date=data["date"],
                subject=data["subject"],
                score=data["score"],
                full_score=data["full_score"],
            )
        except ValidationError as exc:
            score_form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("已登记%(child)s的成绩。") % {"child": child.name})
            return redirect(request.path)
    return _render_child(request, child, absence_form, score_form)


def _render_child(
    request: HttpRequest, child: Child, absence_form: AbsenceForm, score_form: ScoreForm
) -> HttpResponse:
    children = selectors.attendance_children(request.user).filter(pk=child.pk)
    context = {
        "child": child,
        "absence_form": absence_form,
        "score_form": score_form,
        "absences": list(selectors.recent_absences(request.user, children, timezone.localdate())),
        "scores": selectors.recent_scores(request.user, children),
        "recent_days": selectors.RECENT_DAYS,
        "next": _next_url(request, ""),
    }
    return render(request, "alerts/attendance_child.html", context)


def _record_absence(request: AuthenticatedRequest, child: Child, form: AbsenceForm) -> bool:
    data = form.cleaned_data
    try:
        services.absence_record(
            actor=request.user,
            child=child,
            date=data["date"],
            reason=data["reason"],
            note=data["note"],
        )
    except ValidationError as exc:
        form.add_service_errors(exc.message_dict)
        return False
    messages.success(request, _("已登记%(child)s的缺勤。") % {"child": child.name})
    return True


@login_required
@require_POST
def absence_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The quick form of the class page: saved, back to the class; refused, the child's
    page with the form as typed and the message."""
    child = _child_or_404(request, pk)
    form = AbsenceForm(request.POST, prefix="absence")
    default = reverse("attendance:child", args=[child.pk])
    if form.is_valid() and _record_absence(request, child, form):
        return redirect(_next_url(request, default))
    return _render_child(request, child, form, ScoreForm(prefix="score"))


@login_required
@require_POST
def absence_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    absence = selectors.visible_absence(request.user, pk)
    if absence is None:
        raise Http404
    child = absence.child
    services.absence_delete(actor=request.user, absence=absence)
    messages.success(
        request,
        _("已删除%(child)s %(date)s 的缺勤。") % {"child": child.name, "date": absence.date},
    )
    return redirect(_next_url(request, reverse("attendance:child", args=[child.pk])))


@login_required
@require_http_methods(["GET", "POST"])
def class_scores(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One exam's results of a class in one table; empty cells are left out."""
    school_class = _class_or_404(request, pk)
    children = list(selectors.class_children(request.user, school_class))
    form = ClassScoresForm(request.POST if request.method == "POST" else None, children=children)
    if request.method == "POST" and form.is_valid():
        saved = _save_scores(request, form)
        if saved is not None:
            messages.success(request, _("已登记 %(n)s 名儿童的成绩。") % {"n": saved})
            return redirect("attendance:class", pk=school_class.pk)
    context = {
        "school_class": school_class,
        "form": form,
        "scores": selectors.recent_scores(
            request.user, selectors.class_children(request.user, school_class)
        ),
    }
    return render(request, "alerts/attendance_scores.html", context)


def _save_scores(request: AuthenticatedRequest, form: ClassScoresForm) -> int | None:
    """Save every score typed; the first refusal is shown by the child's cell and none
    is saved (one transaction)."""
    data = form.cleaned_data
    scores = form.scores()
    if not scores:
        form.add_error(None, _("请至少填写一名儿童的成绩。"))
        return None
    try:
        with transaction.atomic():
            for child, score in scores:
                try:
                    services.score_record(
                        actor=request.user,
                        child=child,
                        exam=data["exam"],
                        date=data["date"],
                        subject=data["subject"],
                        score=score,
                        full_score=data["full_score"],
                    )
                except ValidationError as exc:
                    errors = exc.message_dict
                    cell = errors.pop("score", [])
                    for message in cell:
                        form.add_error(f"score_{child.pk}", message)
                    form.add_service_errors(errors)
                    raise
    except ValidationError:
        return None
    return len(scores)
