"""Spreadsheet pages: the register export (导出花名册) and the register import (导入)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carenet.audit.models import AccessAction
from carenet.audit.services import audit_log
from carenet.children.access import Permission, holds, import_orgs, visible_children
from carenet.children.models import Child
from carenet.exchange.export import (
    CANONICAL,
    LAYOUTS,
    MCA2016_SIGNATURES,
    Counted,
    Layout,
    PaperForm,
    TooManyRows,
    print_groups,
    register_children,
    register_rows,
    render_csv,
    render_pdf_register,
    render_template_xlsx,
    render_xlsx,
)
from carenet.exchange.forms import ExportForm, ExportFormat, ImportForm, MappingForm
from carenet.exchange.importer import RegisterError, error_workbook
from carenet.exchange.mapping import batch_mapping_remember
from carenet.exchange.models import ImportBatch, ImportStatus
from carenet.exchange.progress import batch_progress
from carenet.exchange.tasks import import_batch_enqueue
from carenet.exchange.uploads import (
    BatchSummary,
    Confirmed,
    batch_summary,
    import_batch_cancel,
    import_batch_confirm,
    import_batch_remap,
    import_batch_stage,
)
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import AnyUser, visible_orgs

PAST_IMPORTS = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export_orgs(user: AnyUser) -> QuerySet[Org]:
    """The orgs whose children a user may export (``Permission.EXPORT_REGISTERS``)."""
    if not holds(user, Permission.EXPORT_REGISTERS):
        return Org.objects.none()
    return visible_orgs(user)


def export_children(user: AnyUser, org: Org, *, unmasked: bool) -> QuerySet[Child]:
    """The children in care under ``org`` that the user may see — or, unmasked, only those
    whose ID numbers and phones the user may see in full."""
    action = Permission.SEE_CONTACTS if unmasked else Permission.VIEW_CHILDREN
    return register_children(org, visible_children(user, action))


def attachment(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """A download whose Chinese file name survives every browser (RFC 6266)."""
    response = HttpResponse(content, content_type=content_type)
    suffix = filename.rsplit(".", 1)[-1]
    response["Content-Disposition"] = (
        f"attachment; filename=\"register.{suffix}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def _export_org(request: HttpRequest, orgs: QuerySet[Org]) -> Org:
    """The org of the export in the query, if the user may list it (else 404)."""
    try:
        return get_object_or_404(orgs, pk=int(request.GET["org"]))
    except ValueError:
        raise Http404 from None


def _export_log(
    request: HttpRequest, org: Org, kind: str, count: int, unmasked: bool, layout: Layout
) -> None:
    note = "（未打码）" if unmasked else ""
    if layout is not CANONICAL:
        kind = f"{kind} {layout.key}"
    audit_log(
        request=request,
        user=request.user,
        action=AccessAction.EXPORT,
        detail=f"花名册 {org.code} {kind} {count} 人{note}",
        county_code=org.county_code,
    )


def _export_title(org: Org, layout: Layout) -> str:
    if layout is CANONICAL:
        return _("%(org)s留守儿童花名册") % {"org": org.name}
    return f"{org.name}{layout.title}"


def _export_rows(request: HttpRequest, org: Org, form: ExportForm) -> tuple[Counted, Layout]:
    """The rows of the export the form asks for: the user's children under the org, in
    the chosen layout, masked unless asked otherwise."""
    unmasked = form.cleaned_data["unmasked"]
    layout = LAYOUTS[form.cleaned_data["layout"]]
    children = export_children(request.user, org, unmasked=unmasked)
    # 民政部花名册也列出非留守儿童: every child, not only the layout's left-behind ones.
    only = False if form.cleaned_data["all_children"] else None
    rows = register_rows(children, unmasked=unmasked, layout=layout, left_behind_only=only)
    return Counted(rows), layout


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The export page; with ``org`` in the query, the download itself."""
    orgs = _export_orgs(request.user)
    if "org" not in request.GET:
        form = ExportForm(orgs=orgs)
        return render(
            request,
            "exchange/export.html",
            {"form": form, "may_import": import_orgs(request.user).exists()},
        )
    org = _export_org(request, orgs)
    data = request.GET.copy()
    data.setdefault("format", ExportFormat.XLSX)
    form = ExportForm(data, orgs=orgs.filter(pk=org.pk))
    if not form.is_valid():
        return render(request, "exchange/export.html", {"form": form}, status=400)
    unmasked = form.cleaned_data["unmasked"]
    kind = form.cleaned_data["format"]
    rows, layout = _export_rows(request, org, form)
    title = _export_title(org, layout)
    today = timezone.localdate()
    stem = f"{title}_{today:%Y%m%d}"
    if kind == ExportFormat.CSV:
        content = render_csv(rows, header=layout.header)
        response = attachment(
            content, filename=f"{stem}.csv", content_type="text/csv; charset=utf-8"
        )
    elif kind == ExportFormat.PRINT:
        cells, pages = print_groups(rows, layout.header)
        context = {"title": title, "org": org, "pages": pages, "count": len(cells)}
        context.update(today=today, unmasked=unmasked)
        context["signatures"] = MCA2016_SIGNATURES if layout.paper_form else ""
        response = render(request, "exchange/register_print.html", context)
    else:
        paper = PaperForm(unit=org.name, on=today)
        content = render_xlsx(rows, title=title, layout=layout, paper=paper)
        response = attachment(content, filename=f"{stem}.xlsx", content_type=XLSX)
    _export_log(request, org, kind, rows.count, unmasked, layout)
    return response


@login_required
@require_GET
def export_pdf(request: HttpRequest) -> HttpResponse:
    """The printable register as PDF (A4 landscape): the same query, scope, masking and
    log line as ``export`` (the export page's 下载 PDF button sends the same form here)."""
    orgs = _export_orgs(request.user)
    if "org" not in request.GET:
        return redirect("exchange_export")
    org = _export_org(request, orgs)
    data = request.GET.copy()
    data["format"] = ExportFormat.PRINT
    form = ExportForm(data, orgs=orgs.filter(pk=org.pk))
    if not form.is_valid():
        return render(request, "exchange/export.html", {"form": form}, status=400)
    unmasked = form.cleaned_data["unmasked"]
    rows, layout = _export_rows(request, org, form)
    title = _export_title(org, layout)
    today = timezone.localdate()
    try:
        content = render_pdf_register(
            rows, title=title, org=org, today=today, unmasked=unmasked, layout=layout
        )
    except TooManyRows as error:
        form.add_error(None, str(error))
        return render(request, "exchange/export.html", {"form": form}, status=400)
    response = attachment(
        content, filename=f"{title}_{today:%Y%m%d}.pdf", content_type="application/pdf"
    )
    _export_log(request, org, "pdf", rows.count, unmasked, layout)
    return response


@login_required
@require_GET
def template(request: HttpRequest) -> HttpResponse:
    """The blank register: header row, and notes with an example on a second sheet."""
    return attachment(
        render_template_xlsx(), filename=_("留守儿童花名册模板.xlsx"), content_type=XLSX
    )


# --------------------------------------------------------------------------- import


def _batch_or_404(request: HttpRequest, pk: int) -> ImportBatch:
    """A batch of a school the user manages; anyone else's does not exist for them."""
    batches = ImportBatch.objects.select_related("school", "user")
    return get_object_or_404(batches, pk=pk, school__in=import_orgs(request.user))


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a register; a file that reads as one (read first in a child process) is
    stored encrypted as a pending batch, with its preview."""
    schools = import_orgs(request.user)
    if not schools.exists():
        raise PermissionDenied(_("只有学校负责人、村儿童主任和县级管理员可以导入花名册。"))
    form = ImportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        schools=schools,
    )
    if request.method == "POST" and form.is_valid():
        school = form.cleaned_data["school"]
        upload = form.cleaned_data["file"]
        data = upload.read()
        filename = PurePath(upload.name).name
        try:
            batch = import_batch_stage(
                data=data, filename=filename, school=school, user=request.user, request=request
            )
        except RegisterError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("exchange_batch", pk=batch.pk)
    batches = ImportBatch.objects.filter(school__in=schools).select_related("school", "user")
    context = {"form": form, "batches": batches[:PAST_IMPORTS]}
    return render(request, "exchange/import.html", context)


def children_url(org: Org) -> str:
    """The child list narrowed to the children of the school (or village) imported into."""
    if org.kind == OrgKind.VILLAGE:
        return f"{reverse('child_list')}?org={quote(org.code)}"
    return f"{reverse('child_list')}?school={org.pk}"


def _status_context(batch: ImportBatch) -> dict[str, Any]:
    return {
        "batch": batch,
        "progress": batch_progress(batch),
        "children_url": children_url(batch.school),
    }


@login_required
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A pending batch's preview (kept on the batch: the file is not read again); once
    confirmed, the batch's status page: the job followed, then its result."""
    batch = _batch_or_404(request, pk)
    if batch.status == ImportStatus.PENDING:
        preview = batch_summary(batch)
        if preview is None:
            messages.error(request, _("导入的检查结果已按规定删除，请重新上传文件"))
            return redirect("exchange_import")
        return _preview_page(request, batch, preview)
    return render(request, "exchange/batch.html", _status_context(batch))


def _preview_page(
    request: HttpRequest,
    batch: ImportBatch,
    preview: BatchSummary,
    *,
    mapping_form: MappingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """A pending batch's preview, with its columns' mapping (列对应) to correct."""
    context = {"batch": batch, "preview": preview, "changes": preview.created + preview.updated}
    context["mapping_form"] = mapping_form or MappingForm(columns=preview.header_columns)
    return render(request, "exchange/preview.html", context, status=status)


@login_required
@require_POST
def batch_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """重新核对: the columns as the user mapped them; the upload is validated again with
    them and the preview replaced. A bad mapping is shown again with its errors."""
    batch = _batch_or_404(request, pk)
    preview = batch_summary(batch)
    if batch.status != ImportStatus.PENDING or preview is None:
        messages.error(request, _("这次导入已经开始或已结束，不能再修改列对应"))
        return redirect("exchange_batch", pk=batch.pk)
    form = MappingForm(request.POST, columns=preview.header_columns)
    if form.is_valid():
        try:
            import_batch_remap(
                batch=batch, choices=form.choices(), user=request.user, request=request
            )
        except RegisterError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已按新的列对应重新核对"))
            return redirect("exchange_batch", pk=batch.pk)
    return _preview_page(request, batch, preview, mapping_form=form, status=400)


@login_required
@require_GET
def batch_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's stage and progress (polled by htmx every second); a finished batch
    sends the page to its result."""
    batch = _batch_or_404(request, pk)
    response = render(request, "exchange/_progress.html", _status_context(batch))
    if batch.is_finished or batch.status == ImportStatus.PENDING:
        response["HX-Redirect"] = reverse("exchange_batch", args=[batch.pk])
    return response


@login_required
@require_GET
def batch_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """The error workbook, made now from the rejected rows kept on the batch, with a
    错误原因 column (cleared with the batch's other data after IMPORT_UPLOAD_HOURS)."""
    batch = _batch_or_404(request, pk)
    summary = batch_summary(batch)
    if summary is None:
        messages.error(request, _("导入的检查结果已按规定删除，请重新上传文件"))
        return redirect("exchange_import")
    content = error_workbook(summary.error_preview())
    stem = PurePath(batch.filename).stem
    return attachment(
        content, filename=_("%(file)s_错误行.xlsx") % {"file": stem}, content_type=XLSX
    )


@login_required
@require_POST
def batch_commit(request: HttpRequest, pk: int) -> HttpResponse:
    """确认导入: the batch is queued, and its job queued once this request's transaction
    has committed; the page then follows the job. A batch imported, cancelled, expired or
    already running is not queued again."""
    batch = _batch_or_404(request, pk)
    if batch.status == ImportStatus.PENDING:
        preview = batch_summary(batch)
        if preview is not None and preview.needs_mapping:
            messages.error(request, _("请先在列对应中指出“姓名”和“身份证号”列，再重新核对"))
            return redirect("exchange_batch", pk=batch.pk)
    confirmed = import_batch_confirm(
        batch=batch, now=timezone.now(), hours=settings.IMPORT_UPLOAD_HOURS
    )
    if confirmed == Confirmed.QUEUED:
        batch_mapping_remember(batch=batch, user=request.user)
        import_batch_enqueue(batch)
    elif confirmed == Confirmed.COMPLETE:
        messages.info(request, _("这个文件已经导入，没有再次导入。"))
    elif confirmed == Confirmed.CANCELLED:
        messages.error(request, _("这次导入已取消，没有写入任何数据。请重新上传文件。"))
    return redirect("exchange_batch", pk=batch.pk)


@login_required
@require_POST
def batch_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """取消导入: a pending batch is cancelled and its upload deleted."""
    batch = _batch_or_404(request, pk)
    if import_batch_cancel(batch=batch):
        messages.info(request, _("已取消导入，上传的文件已删除。"))
    return redirect("exchange_import")
