"""Pages of the mandatory report (强制报告) and the urgent case (应急处置).

Reports and cases are read and written by those who may make reports on the child
(``MAKE_REPORTS``); out of that scope is 404. The county figures page shows counts and
hours to those with ``SEE_REPORT_FIGURES``, never a name or a fact. Every printed form
is logged (``AccessAction.DOCUMENT``), as is every opening of a report or a case."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carenet.audit.models import AccessAction
from carenet.audit.services import audit_log
from carenet.children.models import Child
from carenet.lib.http import AuthenticatedRequest
from carenet.safeguard import printable, selectors, services
from carenet.safeguard.forms import (
    EmergencyOpenForm,
    NoteForm,
    ReceiptForm,
    ReportMakeForm,
    ReportOpenForm,
    StepForm,
)
from carenet.safeguard.models import EmergencyCase, MandatoryReport, ReportStatus

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _reporter(request: HttpRequest) -> None:
    if not selectors.may_make_reports(request.user):
        raise PermissionDenied(_("您无权办理强制报告和应急处置。"))


def _report(request: HttpRequest, pk: int) -> MandatoryReport:
    return get_object_or_404(selectors.visible_reports(request.user), pk=pk)


def _case(request: HttpRequest, pk: int) -> EmergencyCase:
    return get_object_or_404(selectors.visible_emergencies(request.user), pk=pk)


def _child(request: HttpRequest, pk: int | None) -> Child:
    """The child of ``?child=``: 404 out of sight, 403 seen but not to report on."""
    child = selectors.reporting_child(request.user, pk) if pk else None
    if child is None:
        if pk and selectors.child_seen(request.user, pk):
            raise PermissionDenied(_("您可以查看该儿童的档案，但无权办理强制报告和应急处置。"))
        raise Http404
    return child


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _pick(request: HttpRequest, route: str, title: str) -> HttpResponse:
    """Which child: found by name among those the user may report on."""
    query = request.GET.get("q", "")[:50]
    context = {
        "title": title,
        "route": route,
        "query": query,
        "found": selectors.reporting_children_found(request.user, query),
    }
    return render(request, "safeguard/pick.html", context)


# --- lists ----------------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """强制报告: waiting (overdue in red first), made, closed; the urgent cases open."""
    if not selectors.may_make_reports(request.user):
        if selectors.may_see_figures(request.user):
            return redirect("safeguard:figures")
        raise PermissionDenied(_("您无权办理强制报告和应急处置。"))
    cases = selectors.visible_emergencies(request.user)
    context = {
        "lists": selectors.report_lists(request.user),
        "open_cases": cases.filter(closed_at__isnull=True),
        "closed_cases": cases.filter(closed_at__isnull=False)[:20],
        "may_see_figures": selectors.may_see_figures(request.user),
    }
    return render(request, "safeguard/index.html", context)


@login_required
@require_GET
def figures(request: HttpRequest) -> HttpResponse:
    """Counts and hours per unit and category: no name, no fact."""
    if not selectors.may_see_figures(request.user):
        raise PermissionDenied(_("您无权查看强制报告统计。"))
    rows = selectors.report_figures(request.user)
    context = {"rows": rows, "total": selectors.figures_total(rows)}
    return render(request, "safeguard/figures.html", context)


# --- reports --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: AuthenticatedRequest) -> HttpResponse:
    """登记强制报告 for ``?alert=<id>`` (category from the alert) or ``?child=<id>``."""
    alert_id, child_id = _int(request.GET.get("alert")), _int(request.GET.get("child"))
    if not alert_id and not child_id:
        _reporter(request)
        return _pick(request, "safeguard:report_new", _("登记强制报告"))
    alert = selectors.reporting_alert(request.user, alert_id) if alert_id else None
    if alert_id and alert is None:
        raise Http404
    if alert is not None:
        existing = MandatoryReport.objects.filter(alert=alert).first()
        if existing is not None:
            return redirect("safeguard:report_detail", pk=existing.pk)
        child = alert.child
    else:
        child = _child(request, child_id)
    initial: dict[str, Any] = {"found_at": timezone.localtime().replace(second=0, microsecond=0)}
    if alert is not None:
        initial["category"] = selectors.category_of_alert(alert)
        initial["found_at"] = timezone.localtime(alert.raised_at).replace(second=0, microsecond=0)
    form = ReportOpenForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_open(
                actor=request.user, child=child, alert=alert, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("已登记强制报告，请在时限内向受理单位报告。"))
            return redirect("safeguard:report_detail", pk=report.pk)
    context = {"child": child, "alert": alert, "form": form}
    return render(request, "safeguard/report_new.html", context)


def _report_page(request: HttpRequest, report: MandatoryReport, **forms: Any) -> HttpResponse:
    may_write = report.status != ReportStatus.CLOSED
    initial = {
        "reported_at": timezone.localtime().replace(second=0, microsecond=0),
        "facts": report.facts,
        "measures": report.measures,
    }
    context = {
        "report": report,
        "child": report.child,
        "timeline": selectors.report_timeline(report),
        "overdue": report.status == ReportStatus.DUE and timezone.now() > report.due_by,
        "may_write": may_write,
        "make_form": forms.get("make_form") or ReportMakeForm(initial=initial),
        "receipt_form": forms.get("receipt_form")
        or ReceiptForm(
            initial={"receipt_number": report.receipt_number, "receiver": report.receiver}
        ),
        "follow_up_form": forms.get("follow_up_form") or NoteForm(label=_("跟进情况")),
        "close_form": forms.get("close_form") or NoteForm(label=_("结案说明")),
    }
    return render(request, "safeguard/report_detail.html", context)


@login_required
@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    audit_log(
        request=request,
        user=request.user,
        action=AccessAction.VIEW_FILE,
        child=report.child,
        detail="强制报告",
    )
    return _report_page(request, report)


def _step(
    request: AuthenticatedRequest,
    pk: int,
    form_class: type,
    form_name: str,
    call: Any,
    done: str,
    **form_kwargs: Any,
) -> HttpResponse:
    report = _report(request, pk)
    form = form_class(request.POST, **form_kwargs)
    if form.is_valid():
        try:
            call(actor=request.user, report=report, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, done)
            return redirect("safeguard:report_detail", pk=report.pk)
    return _report_page(request, report, **{form_name: form})


@login_required
@require_POST
def report_make(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _step(request, pk, ReportMakeForm, "make_form", services.report_make, _("已登记报告。"))


@login_required
@require_POST
def report_receipt(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _step(
        request, pk, ReceiptForm, "receipt_form", services.report_receipt, _("已登记回执。")
    )


@login_required
@require_POST
def follow_up_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        NoteForm,
        "follow_up_form",
        services.follow_up_add,
        _("已添加跟进。"),
        label=_("跟进情况"),
    )


@login_required
@require_POST
def report_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        NoteForm,
        "close_form",
        services.report_close,
        _("已结案。"),
        label=_("结案说明"),
    )


def _file(content: bytes, *, filename: str, content_type: str, inline: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    suffix = filename.rsplit(".", 1)[-1]
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = (
        f"{disposition}; filename=\"carenet.{suffix}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def _form_export(request: HttpRequest, pk: int, suffix: str) -> HttpResponse:
    report = _report(request, pk)
    form = selectors.report_form(request.user, report)
    content = printable.form_pdf(form) if suffix == "pdf" else printable.form_docx(form)
    audit_log(
        request=request,
        user=request.user,
        action=AccessAction.DOCUMENT,
        child=report.child,
        detail=f"强制报告登记表 {suffix}",
    )
    filename = f"{form.title}_{timezone.localdate():%Y%m%d}.{suffix}"
    if suffix == "pdf":
        return _file(content, filename=filename, content_type="application/pdf", inline=True)
    return _file(content, filename=filename, content_type=DOCX, inline=False)


@login_required
@require_GET
def report_form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_export(request, pk, "pdf")


@login_required
@require_GET
def report_form_docx(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_export(request, pk, "docx")


# --- urgent cases ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def emergency_new(request: AuthenticatedRequest) -> HttpResponse:
    """启动应急处置 for ``?child=<id>`` (and ``&alert=<id>``, an alert on that child)."""
    child_id, alert_id = _int(request.GET.get("child")), _int(request.GET.get("alert"))
    if not alert_id and not child_id:
        _reporter(request)
        return _pick(request, "safeguard:emergency_new", _("启动应急处置"))
    alert = selectors.reporting_alert(request.user, alert_id) if alert_id else None
    if alert_id and alert is None:
        raise Http404
    child = alert.child if alert is not None else _child(request, child_id)
    if child_id and child.pk != child_id:
        raise Http404
    form = EmergencyOpenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.emergency_open(
                actor=request.user, child=child, alert=alert, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            return redirect("safeguard:emergency_detail", pk=case.pk)
    return render(
        request, "safeguard/emergency_new.html", {"child": child, "alert": alert, "form": form}
    )


def _case_page(
    request: HttpRequest,
    case: EmergencyCase,
    *,
    close_form: NoteForm | None = None,
    error: str = "",
) -> HttpResponse:
    context = {
        "case": case,
        "child": case.child,
        "steps": case.steps.select_related("done_by"),
        "close_form": close_form or NoteForm(label=_("处置结果")),
        "error": error,
    }
    return render(request, "safeguard/emergency_detail.html", context)


@login_required
@require_GET
def emergency_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    audit_log(
        request=request,
        user=request.user,
        action=AccessAction.VIEW_FILE,
        child=case.child,
        detail="应急处置",
    )
    return _case_page(request, case)


@login_required
@require_POST
def emergency_step(request: AuthenticatedRequest, pk: int, step: int) -> HttpResponse:
    """Mark a step done (``done``), or add a note to it."""
    case = _case(request, pk)
    found = get_object_or_404(case.steps, pk=step)
    form = StepForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if "done" in request.POST:
            services.emergency_step_done(actor=request.user, case=case, step=found, note=note)
        else:
            services.emergency_step_note(actor=request.user, case=case, step=found, note=note)
    except ValidationError as exc:
        return _case_page(request, case, error=" ".join(exc.messages))
    return redirect(f"{case_url(case)}#step-{found.pk}")


def case_url(case: EmergencyCase) -> str:
    return reverse("safeguard:emergency_detail", args=[case.pk])


@login_required
@require_POST
def emergency_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = NoteForm(request.POST, label=_("处置结果"))
    if form.is_valid():
        try:
            services.emergency_close(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("应急处置已结束。"))
            return redirect("safeguard:emergency_detail", pk=case.pk)
    return _case_page(request, case, close_form=form)
