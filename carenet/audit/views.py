"""Audit pages: the access log, a file's change history, consent and data requests, the
logged "show" of contacts, and the public data-processing notice. No view edits the log."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carenet.audit import selectors
from carenet.audit.forms import CloseRequestForm, ConsentForm, DataRequestForm, LogFilterForm
from carenet.audit.history import child_revisions
from carenet.audit.models import AccessAction, Consent, RequestStatus
from carenet.audit.reveal import REVEAL_MINUTES, is_revealed, mark_revealed
from carenet.audit.services import (
    audit_log,
    consent_add,
    consent_withdraw,
    data_request_close,
    data_request_record,
)
from carenet.children.access import Permission, audited_children, user_may, visible_children
from carenet.children.models import Child

PAGE_SIZE = 50


def _visible_child(request: HttpRequest, pk: int) -> Child:
    """A child the user may see, else 404."""
    return get_object_or_404(
        visible_children(request.user).select_related("school", "school_class"), pk=pk
    )


def _require_auditor(request: HttpRequest) -> None:
    if not selectors.may_audit(request.user):
        raise PermissionDenied(_("只有校长、德育主任和县级管理员可以查看访问日志。"))


@login_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    form = LogFilterForm(request.GET)
    entries = selectors.access_log(request.user, form.filters())
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "audit/log.html", {"form": form, "page": page, "query": query.urlencode()}
    )


@login_required
@require_GET
def child_changes(request: HttpRequest, pk: int) -> HttpResponse:
    child = _visible_child(request, pk)
    may_reveal = user_may(request.user, Permission.SEE_CONTACTS, child)
    unmasked = may_reveal and is_revealed(request, child)
    audit_log(request=request, user=request.user, action=AccessAction.VIEW_HISTORY, child=child)
    context = {
        "child": child,
        "revisions": child_revisions(child, unmasked=unmasked),
        "may_reveal": may_reveal,
        "unmasked": unmasked,
    }
    return render(request, "audit/changes.html", context)


@login_required
@require_POST
def reveal_contacts(request: HttpRequest, pk: int) -> HttpResponse:
    """显示: unmask this child's ID numbers and phones for a few minutes, logged."""
    child = _visible_child(request, pk)
    if not user_may(request.user, Permission.SEE_CONTACTS, child):
        raise PermissionDenied(_("您的角色无权查看完整的证件号和电话。"))
    mark_revealed(request, child)
    audit_log(
        request=request,
        user=request.user,
        action=AccessAction.REVEAL_CONTACTS,
        child=child,
        detail=_("显示证件号和电话 %(minutes)s 分钟") % {"minutes": REVEAL_MINUTES},
    )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("child_detail", args=[child.pk])
    return redirect(target)


def _privacy_context(request: HttpRequest, child: Child, **forms) -> dict:
    may_edit = user_may(request.user, Permission.EDIT_CHILDREN, child)
    may_handle = audited_children(request.user).filter(pk=child.pk).exists()
    return {
        "child": child,
        "consents": list(child.consents.select_related("recorded_by")),
        "requests": list(child.data_requests.select_related("handled_by")),
        "may_edit": may_edit,
        "may_handle": may_handle,
        "consent_form": forms.get("consent_form") or (ConsentForm() if may_edit else None),
        "request_form": forms.get("request_form") or (DataRequestForm() if may_handle else None),
        "today": timezone.localdate(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def child_privacy(request: HttpRequest, pk: int) -> HttpResponse:
    """Legal basis (consents) and correction/deletion requests of one child."""
    child = _visible_child(request, pk)
    if request.method == "GET":
        return render(request, "audit/child_privacy.html", _privacy_context(request, child))
    which = request.POST.get("form")
    if which == "consent":
        if not user_may(request.user, Permission.EDIT_CHILDREN, child):
            raise PermissionDenied(_("您无权登记该儿童的处理依据。"))
        form = ConsentForm(request.POST)
        if form.is_valid():
            consent_add(request=request, actor=request.user, child=child, data=form.cleaned_data)
            messages.success(request, _("处理依据已登记。"))
            return redirect("audit_child_privacy", pk=child.pk)
        context = _privacy_context(request, child, consent_form=form)
    elif which == "request":
        if not audited_children(request.user).filter(pk=child.pk).exists():
            raise PermissionDenied(_("只有校长、德育主任和县级管理员可以登记个人信息请求。"))
        form = DataRequestForm(request.POST)
        if form.is_valid():
            data_request_record(
                request=request, actor=request.user, child=child, data=form.cleaned_data
            )
            messages.success(request, _("请求已登记。"))
            return redirect("audit_child_privacy", pk=child.pk)
        context = _privacy_context(request, child, request_form=form)
    else:
        return HttpResponse(status=400)
    return render(request, "audit/child_privacy.html", context, status=400)


@login_required
@require_POST
def consent_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    consent = get_object_or_404(
        Consent.objects.filter(child__in=visible_children(request.user)).select_related("child"),
        pk=pk,
    )
    if not user_may(request.user, Permission.EDIT_CHILDREN, consent.child):
        raise PermissionDenied(_("您无权修改该儿童的处理依据。"))
    consent_withdraw(request=request, actor=request.user, consent=consent, on=timezone.localdate())
    messages.success(request, _("已记录撤回。"))
    return redirect("audit_child_privacy", pk=consent.child_id)


@login_required
@require_GET
def data_requests(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    status = request.GET.get("status", RequestStatus.OPEN)
    if status not in RequestStatus.values and status != "all":
        status = RequestStatus.OPEN
    items = selectors.data_requests(request.user, "" if status == "all" else status)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": RequestStatus.choices,
        "close_form": CloseRequestForm(),
    }
    return render(request, "audit/requests.html", context)


@login_required
@require_POST
def data_request_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(selectors.data_requests(request.user), pk=pk)
    form = CloseRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择结果并填写答复。"))
        return redirect("audit_requests")
    closed = data_request_close(
        request=request,
        actor=request.user,
        item=item,
        status=form.cleaned_data["status"],
        response=form.cleaned_data["response"],
        on=timezone.localdate(),
    )
    if closed:
        messages.success(request, _("请求已办结。"))
    else:
        messages.info(request, _("该请求已经办结。"))
    return redirect("audit_requests")


@require_GET
def privacy_notice(request: HttpRequest) -> HttpResponse:
    """个人信息处理说明: public, for guardians."""
    return render(
        request,
        "audit/privacy_notice.html",
        {"retention_years": settings.CARENET_RETENTION_YEARS},
    )
