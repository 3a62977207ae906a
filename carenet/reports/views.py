"""Documents pages (文书): the list, the work summary (工作总结) and the work plan (工作计划).

Views parse the form, call the builders (``summary.py``, ``workplan.py``) with the user's
scope (``visible_children``), render one format and write the access log.
"""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from carenet.audit.models import AccessAction
from carenet.audit.services import audit_log, audit_log_children
from carenet.care import calendar
from carenet.children.access import Permission, document_orgs, visible_children
from carenet.reports.documents import File, Format, document_file
from carenet.reports.forms import PlanForm, SummaryForm
from carenet.reports.layout import summary_document, workplan_document
from carenet.reports.selectors import default_org, may_write_documents
from carenet.reports.statistics import may_make_tables
from carenet.reports.summary import default_period, readable_records, work_summary_build
from carenet.reports.workplan import work_plan_build


def _require_writer(request: HttpRequest) -> None:
    if not may_write_documents(request.user):
        raise PermissionDenied


def _download(file: File, *, fallback: str) -> HttpResponse:
    """A download whose Chinese file name survives every browser (RFC 6266)."""
    response = HttpResponse(file.content, content_type=file.content_type)
    suffix = file.filename.rsplit(".", 1)[-1]
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}.{suffix}\"; filename*=UTF-8''{quote(file.filename)}"
    )
    return response


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    _require_writer(request)
    return render(request, "reports/index.html", {"may_make_tables": may_make_tables(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def summary(request: HttpRequest) -> HttpResponse:
    """The work summary form; a press on a download button answers the document."""
    _require_writer(request)
    orgs = document_orgs(request.user)
    records = readable_records(request.user)
    children = visible_children(request.user, Permission.VIEW_CHILDREN)
    if request.method == "GET":
        start, end = default_period()
        initial = {"org": default_org(request.user, orgs), "start": start, "end": end}
        form = SummaryForm(initial=initial, orgs=orgs, children=children, records=records)
        return render(request, "reports/summary_form.html", {"form": form})
    form = SummaryForm(request.POST, orgs=orgs, children=children, records=records)
    if not form.is_valid():
        return render(request, "reports/summary_form.html", {"form": form}, status=400)
    data = form.cleaned_data
    if not data["format"]:  # "refresh": the cases of the org and period just chosen
        return render(request, "reports/summary_form.html", {"form": form})
    org, cases = data["org"], list(data["cases"])
    built = work_summary_build(
        org=org,
        start=data["start"],
        end=data["end"],
        children=children,
        cases=cases,
        problems=data["problems"],
        next_steps=data["next_steps"],
    )
    stem = f"{built.title}_{data['start']:%Y%m%d}-{data['end']:%Y%m%d}"
    file = document_file(summary_document(built), Format(data["format"]), stem=stem)
    audit_log(
        request=request,
        user=request.user,
        action=AccessAction.DOCUMENT,
        detail=f"工作总结 {org.code} {data['start']}~{data['end']} {data['format']}",
        county_code=org.county_code,
    )
    audit_log_children(
        request=request,
        user=request.user,
        entries=(
            (AccessAction.DOCUMENT, record.child, f"工作总结典型案例（匿名） {org.code}")
            for record in cases
        ),
    )
    return _download(file, fallback="work-summary")


@login_required
@require_http_methods(["GET", "POST"])
def plan(request: HttpRequest) -> HttpResponse:
    """The work plan form; a press on a download button answers the document."""
    _require_writer(request)
    orgs = document_orgs(request.user)
    if request.method == "GET":
        year = calendar.school_year_of(timezone.localdate())
        initial = {"org": default_org(request.user, orgs), "school_year": year}
        form = PlanForm(initial=initial, orgs=orgs)
        return render(request, "reports/plan_form.html", {"form": form})
    form = PlanForm(request.POST, orgs=orgs)
    if not form.is_valid() or not form.cleaned_data["format"]:
        status = 200 if form.is_valid() else 400
        return render(request, "reports/plan_form.html", {"form": form}, status=status)
    org, year = form.cleaned_data["org"], form.cleaned_data["school_year"]
    built = work_plan_build(
        org=org, school_year=year, children=visible_children(request.user, Permission.VIEW_CHILDREN)
    )
    file = document_file(
        workplan_document(built), Format(form.cleaned_data["format"]), stem=built.title
    )
    audit_log(
        request=request,
        user=request.user,
        action=AccessAction.DOCUMENT,
        detail=f"工作计划 {org.code} {year} {form.cleaned_data['format']}",
        county_code=org.county_code,
    )
    return _download(file, fallback="work-plan")
