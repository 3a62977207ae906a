"""Alert pages: the inbox (预警), one alert with its evidence, history and actions, and
the raise of a child's risk level by hand.

Alerts follow ``selectors.visible_alerts`` (``HANDLE_ALERTS``): an alert of a child out
of that scope is 404, whoever asks (the county sees counts elsewhere, never an alert).
Every action is a small POST form; an error shows the page again with what was typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carenet.alerts import selectors, services
from carenet.alerts.forms import AssignForm, InboxFilterForm, NoteForm, RiskForm
from carenet.alerts.models import Alert, AlertStatus
from carenet.children.access import Permission, user_may, visible_children
from carenet.children.models import RiskLevel
from carenet.lib.http import AuthenticatedRequest

PAGE_SIZE = 20


def _tabs() -> list[tuple[str, str]]:
    return [("mine", _("待我处理")), ("open", _("全部未关闭")), ("closed", _("已关闭"))]


def _alert(request: HttpRequest, pk: int) -> Alert:
    return get_object_or_404(
        selectors.visible_alerts(request.user).select_related(
            "child__school", "child__school_class", "child__village", "owner", "assigned_to"
        ),
        pk=pk,
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    if not selectors.may_handle_alerts(request.user):
        raise PermissionDenied(_("您的角色不处理预警。"))
    tab = request.GET.get("tab", "mine")
    if tab not in ("mine", "open", "closed"):
        tab = "mine"
    filters = InboxFilterForm(request.GET or None)
    alerts = selectors.inbox_tab(
        request.user,
        tab,
        **(filters.cleaned_data if filters.is_valid() else {}),
    )
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "tab": tab,
        "tabs": _tabs(),
        "filters": filters if filters.is_bound else InboxFilterForm(),
        "page": page,
        "rows": selectors.inbox_rows(list(page.object_list)),
        "query": query.urlencode(),
        "tab_query": _without(request, "tab"),
    }
    return render(request, "alerts/inbox.html", context)


def _without(request: HttpRequest, key: str) -> str:
    query = request.GET.copy()
    query.pop(key, None)
    query.pop("page", None)
    return query.urlencode()


def _page(request: HttpRequest, alert: Alert, **forms: Any) -> HttpResponse:
    user = request.user
    child = alert.child
    users = selectors.assignable_users(child)
    context = {
        "alert": alert,
        "child": child,
        "title": selectors.alert_title(alert),
        "evidence": selectors.evidence_for(user, alert),
        "events": alert.events.select_related("actor", "assignee"),
        "is_open": alert.is_open,
        "may_reopen": alert.status == AlertStatus.RESOLVED,
        "acknowledge_form": forms.get("acknowledge") or NoteForm(prefix="ack"),
        "assign_form": forms.get("assign") or AssignForm(users=users, prefix="assign"),
        "escalate_form": forms.get("escalate") or NoteForm(prefix="esc"),
        "note_form": forms.get("note") or NoteForm(required=True, prefix="note"),
        "resolve_form": forms.get("resolve") or NoteForm(required=True, prefix="resolve"),
        "reopen_form": forms.get("reopen") or NoteForm(required=True, prefix="reopen"),
        "action_errors": [e for f in forms.values() for e in f.non_field_errors()],
        "may_plan": selectors.may_open_plan(user, alert),
        "report_url": f"{reverse('safeguard:report_new')}?alert={alert.pk}",
        "emergency_url": f"{reverse('safeguard:emergency_new')}?child={child.pk}&alert={alert.pk}",
    }
    return render(request, "alerts/detail.html", context)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _alert(request, pk))


def _act(
    request: AuthenticatedRequest,
    pk: int,
    name: str,
    form: NoteForm | AssignForm,
    do: Callable[[Alert, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Validate ``form``, run ``do`` (a service), redirect with ``done``; else the page
    again with the errors and what was typed."""
    alert = _alert(request, pk)
    if form.is_valid():
        try:
            do(alert, form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, done)
            return redirect("alerts:alert_detail", pk=alert.pk)
    alert.refresh_from_db()
    return _page(request, alert, **{name: form})


@login_required
@require_POST
def acknowledge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "acknowledge",
        NoteForm(request.POST, prefix="ack"),
        lambda a, d: services.alert_acknowledge(actor=request.user, alert=a, note=d["note"]),
        _("已确认，预警由您跟进处理。"),
    )


@login_required
@require_POST
def assign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    alert = _alert(request, pk)
    form = AssignForm(request.POST, users=selectors.assignable_users(alert.child), prefix="assign")
    return _act(
        request,
        pk,
        "assign",
        form,
        lambda a, d: services.alert_assign(
            actor=request.user, alert=a, assignee=d["assignee"], note=d["note"]
        ),
        _("已指派。"),
    )


@login_required
@require_POST
def escalate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "escalate",
        NoteForm(request.POST, prefix="esc"),
        lambda a, d: services.alert_escalate(actor=request.user, alert=a, note=d["note"]),
        _("已上报校长和乡镇督导员。"),
    )


@login_required
@require_POST
def note(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "note",
        NoteForm(request.POST, required=True, prefix="note"),
        lambda a, d: services.alert_note(actor=request.user, alert=a, note=d["note"]),
        _("已添加备注。"),
    )


@login_required
@require_POST
def resolve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "resolve",
        NoteForm(request.POST, required=True, prefix="resolve"),
        lambda a, d: services.alert_resolve(actor=request.user, alert=a, note=d["note"]),
        _("预警已解决。"),
    )


@login_required
@require_POST
def reopen(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "reopen",
        NoteForm(request.POST, required=True, prefix="reopen"),
        lambda a, d: services.alert_reopen(actor=request.user, alert=a, note=d["note"]),
        _("预警已重新打开。"),
    )


# --- the risk level raised by hand ------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def risk(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    child = get_object_or_404(
        visible_children(request.user).select_related("school", "village"), pk=child_id
    )
    if not user_may(request.user, Permission.HANDLE_ALERTS, child):
        raise PermissionDenied(_("您可以查看该儿童的档案，但无权调整风险等级。"))
    initial = {"level": child.risk_floor, "reason": child.risk_floor_reason}
    form = RiskForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.risk_raise(actor=request.user, child=child, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("已保存风险等级。"))
            return redirect("child_detail", pk=child.pk)
    rules_level, _reasons = selectors.rules_risk(child)
    context = {
        "child": child,
        "form": form,
        "rules_label": RiskLevel(rules_level).label,
        "reasons": selectors.risk_reasons(child),
    }
    return render(request, "alerts/risk.html", context)
