"""A child's path on the web: the steps of the child file's action menu (转学, 转出县外,
迁出, 辍学, 复学, 死亡, and the county's direct move) and the transfers page of a school
(incoming requests to accept or refuse, outgoing ones, and the request by ID number).

Who may take which step: the access table (``carenet.children.access``). Every step
writes the access log. Thin: parse, call one service, render.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from carenet.audit.models import AccessAction, AccessLog
from carenet.audit.services import audit_log
from carenet.children import dropout, path_access, transfers
from carenet.children.access import Permission, path_permissions, transfer_schools, visible_children
from carenet.children.models import (
    OUT_OF_SCHOOL_STATES,
    Child,
    LeaveReason,
    Transfer,
    TransferStatus,
)
from carenet.children.services import child_leave
from carenet.lib.forms import label_choices, model_choice
from carenet.lib.http import AuthenticatedRequest
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import class_label, with_school_names
from carenet.web import forms_path
from carenet.web.selectors import child_file

# step → (who may take it, its name in the menu)
STEPS: dict[str, tuple[Permission, Promise]] = {
    "transfer": (Permission.REQUEST_TRANSFER, gettext_lazy("转学")),
    "move": (Permission.MOVE_CHILDREN, gettext_lazy("直接调整学校（县级）")),
    "transfer_out": (Permission.RECORD_LEAVING, gettext_lazy("转出县外")),
    "moved_away": (Permission.RECORD_LEAVING, gettext_lazy("迁出")),
    "drop_out": (Permission.RECORD_DROPOUT, gettext_lazy("辍学")),
    "return": (Permission.RECORD_DROPOUT, gettext_lazy("复学")),
    "died": (Permission.RECORD_LEAVING, gettext_lazy("死亡")),
}
LEAVE_STEPS = {
    "transfer_out": LeaveReason.TRANSFERRED_OUT,
    "moved_away": LeaveReason.MOVED_AWAY,
    "died": LeaveReason.DIED,
}
# Requests by ID number a user may send in a day: enough for a school's new pupils,
# too few to probe the county's register number by number.
CLAIMS_PER_DAY = 30


def available_steps(user: Any, child: Child) -> list[tuple[str, Promise]]:
    """The steps of the action menu a user may take for a child now."""
    allowed = path_permissions(user, child)
    if not allowed:
        return []
    waiting = Transfer.objects.filter(child=child, status=TransferStatus.REQUESTED).exists()
    steps = []
    for step, (action, label) in STEPS.items():
        if action not in allowed:
            continue
        if step == "transfer" and waiting:
            continue
        # Out of school (辍学, 不在学): no dropout to record, a return (复学) to record.
        if step == "drop_out" and child.schooling in OUT_OF_SCHOOL_STATES:
            continue
        if step == "return" and child.schooling not in OUT_OF_SCHOOL_STATES:
            continue
        steps.append((step, label))
    return steps


def path_context(user: Any, child: Child) -> dict[str, Any]:
    """What the child file shows of the path: the menu, the schooling changes, a transfer
    waiting."""
    return {
        "path_steps": available_steps(user, child),
        "schooling_changes": list(child.schooling_changes.order_by("-on", "-pk")[:10]),
        "transfer_waiting": Transfer.objects.filter(child=child, status=TransferStatus.REQUESTED)
        .select_related("to_school")
        .first(),
    }


def _other_schools(child: Child):
    return Org.objects.filter(
        kind=OrgKind.SCHOOL, county_code=child.county_code, closed_on__isnull=True
    ).exclude(pk=child.school_id)


def _open_classes(schools) -> Any:
    classes = Org.objects.filter(kind=OrgKind.CLASS, closed_on__isnull=True)
    paths = [s.path for s in schools]
    if not paths:
        return classes.none()
    scope = Q(pk__in=[])
    for path in paths:
        scope |= Q(path__startswith=path)
    return with_school_names(classes.filter(scope).order_by("path"))


def _form(step: str, data: Any, child: Child) -> Form:
    if step == "transfer":
        return forms_path.TransferForm(data, schools=_other_schools(child).order_by("path"))
    if step == "move":
        form = forms_path.MoveForm(data, classes=_open_classes(_other_schools(child)))
        label_choices(model_choice(form, "to_class"), class_label)
        return form
    if step in ("transfer_out", "moved_away"):
        return forms_path.LeaveForm(data)
    if step == "died":
        return forms_path.DiedForm(data)
    if step == "drop_out":
        return forms_path.DropOutForm(data)
    return forms_path.ReturnForm(data)


def _apply(step: str, request: AuthenticatedRequest, child: Child, data: dict[str, Any]) -> str:
    """Take the step (service and access-log entry in one transaction); the message."""
    user = request.user
    with transaction.atomic():
        if step == "transfer":
            transfer = transfers.transfer_request(
                child=child, to_school=data["to_school"], reason=data["reason"], actor=user
            )
            audit_log(
                request=request,
                user=user,
                action=AccessAction.TRANSFER_REQUEST,
                child=child,
                detail=f"转学申请 #{transfer.pk}",
            )
            return _("已向%(school)s发出转学申请，对方接收后档案随之转入。") % {
                "school": transfer.to_school.name
            }
        if step == "move":
            transfer = transfers.transfer_move(
                child=child, to_class=data["to_class"], reason=data["reason"], actor=user
            )
            audit_log(
                request=request,
                user=user,
                action=AccessAction.TRANSFER_DECIDE,
                child=child,
                detail=f"县级调整学校 #{transfer.pk}",
            )
            return _("%(name)s 已转入%(school)s。") % {
                "name": child.name,
                "school": transfer.to_school.name,
            }
        if step in LEAVE_STEPS:
            reason = LEAVE_STEPS[step]
            child_leave(child=child, on=data["on"], reason=reason, note=data["note"], actor=user)
            audit_log(
                request=request,
                user=user,
                action=AccessAction.LEAVE,
                child=child,
                detail=str(reason.label),
            )
            if reason == LeaveReason.DIED:
                return _("已登记。%(name)s 的档案和记录将按规定保存。") % {"name": child.name}
            return _("%(name)s 已离开在册。") % {"name": child.name}
        if step == "drop_out":
            dropout.child_drop_out(child=child, on=data["on"], reason=data["reason"], actor=user)
            audit_log(request=request, user=user, action=AccessAction.DROP_OUT, child=child)
            return _("已登记辍学。劝返工作已列入班主任和村儿童主任的待办。")
        dropout.child_return(child=child, on=data["on"], note=data["note"], actor=user)
        audit_log(request=request, user=user, action=AccessAction.RETURN_TO_SCHOOL, child=child)
        return _("已登记复学。")


@login_required
@require_http_methods(["GET", "POST"])
def child_path(request: AuthenticatedRequest, pk: int, step: str) -> HttpResponse:
    """One step of a child's path: a confirmation form, then the step."""
    child = get_object_or_404(child_file(request.user), pk=pk)
    if step not in STEPS:
        raise Http404
    if step not in dict(available_steps(request.user, child)):
        raise PermissionDenied(_("您无权为该儿童办理此项。"))
    form = _form(step, request.POST if request.method == "POST" else None, child)
    if request.method == "POST" and form.is_valid():
        try:
            message = _apply(step, request, child, form.cleaned_data)
        except (transfers.TransferError, dropout.SchoolingError, ValueError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, message)
            if visible_children(request.user).filter(pk=child.pk).exists():
                return redirect("child_detail", pk=child.pk)
            return redirect("transfer_list")
    context = {"child": child, "step": step, "title": STEPS[step][1], "form": form}
    return render(request, "web/children/path.html", context)


# --- the transfers page -------------------------------------------------------------------


def _rows(user: Any, items: list[Transfer]) -> list[dict[str, Any]]:
    rows = []
    for transfer in items:
        decide = transfer.status == TransferStatus.REQUESTED and path_access.may_decide(
            user, transfer
        )
        cancel = transfer.status == TransferStatus.REQUESTED and path_access.may_cancel(
            user, transfer
        )
        classes = None
        if decide and transfer.to_class_id is None:
            classes = _open_classes([transfer.to_school])
        rows.append(
            {
                "transfer": transfer,
                "shown": path_access.child_shown(user, transfer),
                "decide": decide,
                "cancel": cancel,
                "classes": classes,
            }
        )
    return rows


@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    """Incoming requests to accept or refuse, outgoing ones waiting, and the latest done."""
    user = request.user
    schools = transfer_schools(user)
    mine = path_access.visible_transfers(user)
    if not schools.exists() and not mine.exists():
        raise PermissionDenied(_("只有校长、德育主任和县级管理员处理转学。"))
    waiting = list(mine.filter(status=TransferStatus.REQUESTED).order_by("requested_at", "pk"))
    rows = _rows(user, waiting)
    done = mine.exclude(status=TransferStatus.REQUESTED).order_by("-decided_at", "-pk")[:50]
    context = {
        "incoming": [r for r in rows if r["decide"]],
        "outgoing": [r for r in rows if not r["decide"]],
        "done": _rows(user, list(done)),
        "may_claim": schools.exists(),
    }
    return render(request, "web/transfers.html", context)


def _transfer_or_404(request: HttpRequest, pk: int) -> Transfer:
    transfer = path_access.visible_transfers(request.user).filter(pk=pk).first()
    if transfer is None:
        raise Http404
    return transfer


@login_required
@require_POST
def transfer_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Accept (choosing a class), refuse (with a reason) or cancel a request."""
    transfer = _transfer_or_404(request, pk)
    user, decision = request.user, request.POST.get("decision")
    if decision in ("accept", "refuse") and not path_access.may_decide(user, transfer):
        raise PermissionDenied(_("该申请由另一所学校处理。"))
    if decision == "cancel" and not path_access.may_cancel(user, transfer):
        raise PermissionDenied(_("只有申请方可以撤回申请。"))
    if decision not in ("accept", "refuse", "cancel"):
        messages.error(request, _("请选择接收、拒绝或撤回。"))
        return redirect("transfer_list")
    try:
        with transaction.atomic():
            if decision == "accept":
                to_class = None
                if transfer.to_class_id is None:
                    to_class = Org.objects.filter(
                        pk=_int(request.POST.get("to_class")), kind=OrgKind.CLASS
                    ).first()
                transfers.transfer_accept(transfer=transfer, to_class=to_class, actor=user)
                detail, message = "接收转学", _("已接收，档案已转入%(school)s。")
            elif decision == "refuse":
                transfers.transfer_refuse(
                    transfer=transfer, note=request.POST.get("note", ""), actor=user
                )
                detail, message = "拒绝转学", _("已拒绝该转学申请。")
            else:
                transfers.transfer_cancel(transfer=transfer, actor=user)
                detail, message = "撤回转学申请", _("已撤回该转学申请。")
            audit_log(
                request=request,
                user=user,
                action=AccessAction.TRANSFER_DECIDE,
                child=transfer.child,
                detail=f"{detail} #{transfer.pk}",
            )
    except transfers.TransferError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message % {"school": transfer.to_school.name})
    return redirect("transfer_list")


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def transfer_claim(request: AuthenticatedRequest) -> HttpResponse:
    """A school enrolling a child filed elsewhere in the county asks for the file by ID
    number. The answer never names the child or the school holding the file."""
    user = request.user
    schools = list(transfer_schools(user))
    if not schools:
        raise PermissionDenied(_("只有校长、德育主任和县级管理员可以申请转入。"))
    classes = _open_classes(schools)
    form = forms_path.ClaimForm(request.POST if request.method == "POST" else None, classes=classes)
    label_choices(model_choice(form, "to_class"), class_label)
    answer = None
    if request.method == "POST" and form.is_valid():
        since = timezone.now() - dt.timedelta(days=1)
        sent = AccessLog.objects.filter(
            user=user, action=AccessAction.TRANSFER_LOOKUP, at__gte=since
        ).count()
        if sent >= CLAIMS_PER_DAY:
            form.add_error(None, _("今天的转入申请次数已达上限，请明天再试或联系县级管理员。"))
        else:
            data = form.cleaned_data
            transfer = transfers.transfer_claim(
                id_number=data["id_number"],
                to_class=data["to_class"],
                reason=data["reason"],
                actor=user,
            )
            audit_log(
                request=request,
                user=user,
                action=AccessAction.TRANSFER_LOOKUP,
                county_code=data["to_class"].county_code,
                detail=f"转入申请 #{transfer.pk}" if transfer else "身份证号无法使用",
            )
            if transfer is not None:
                answer = _("已向持有该儿童档案的学校发送转学申请，对方同意后档案将转入所选班级。")
            else:
                answer = _(
                    "该身份证号无法在此使用：如该儿童尚未建档，请直接新建档案；"
                    "如有疑问，请联系县级管理员。"
                )
            form = forms_path.ClaimForm(None, classes=classes)
            label_choices(model_choice(form, "to_class"), class_label)
    return render(request, "web/transfer_claim.html", {"form": form, "answer": answer})
