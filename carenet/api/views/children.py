from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status
from ninja.errors import HttpError

from carenet.alerts.services import child_risk_at_least
from carenet.api.errors import FieldErrors
from carenet.api.payloads import child_validate
from carenet.api.schemas import (
    MAX_ID,
    ChildFilters,
    ChildIn,
    ChildListOut,
    ChildOut,
    ErrorOut,
    ValidationErrorOut,
)
from carenet.api.selectors import child_file, child_list
from carenet.api.serializers import child_detail, child_item
from carenet.audit.models import AccessAction
from carenet.audit.services import audit_log
from carenet.children.access import Permission, editable_classes, filing_villages, user_may
from carenet.children.models import RiskLevel
from carenet.children.services import child_save
from carenet.lib.http import AuthenticatedRequest

router = Router()


def _detail(request: AuthenticatedRequest, child_id: int) -> dict:
    child = child_file(request.user, child_id)
    if child is None:
        raise Http404
    return child_detail(
        child, contacts_visible=user_may(request.user, Permission.SEE_CONTACTS, child)
    )


@router.get(
    "",
    response={200: ChildListOut, 401: ErrorOut, 422: ValidationErrorOut},
    by_alias=True,
    summary="List children",
)
def children_list(request: AuthenticatedRequest, filters: Query[ChildFilters]) -> dict:
    """The children the caller may see, by school, class and name, one page at a time."""
    children = child_list(
        request.user,
        school=filters.school,
        org=filters.org,
        q=filters.q,
        left_behind=filters.left_behind,
        risk=filters.risk,
    )
    start = (filters.page - 1) * filters.page_size
    page = children[start : start + filters.page_size]
    return {"count": children.count(), "items": [child_item(c) for c in page]}


@router.get(
    "/{id}",
    response={200: ChildOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    by_alias=True,
    summary="Read a child file",
)
def children_detail(
    request: AuthenticatedRequest, child_id: int = Path(..., alias="id", ge=1, le=MAX_ID)
) -> dict:
    """One child file; outside the caller's scope it does not exist (404)."""
    child = child_file(request.user, child_id)
    if child is None:
        raise Http404
    contacts = user_may(request.user, Permission.SEE_CONTACTS, child)
    audit_log(
        request=request,
        user=request.user,
        action=AccessAction.API_VIEW,
        child=child,
        detail="含完整证件号和电话" if contacts else "",
    )
    return child_detail(child, contacts_visible=contacts)


@router.post(
    "",
    response={201: ChildOut, 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut},
    by_alias=True,
    summary="Create a child file",
)
def children_create(request: AuthenticatedRequest, payload: ChildIn) -> Status:
    """Create a child file, validated exactly as the web form validates it."""
    user = request.user
    if not editable_classes(user).exists() and not filing_villages(user).exists():
        raise HttpError(403, _("无权新建儿童档案"))
    valid = child_validate(payload, user=request.user, request=request)
    level = payload.risk_level or RiskLevel.LOW
    if level not in RiskLevel.values:
        raise FieldErrors.one("risk_level", _("风险等级无效"))
    # The risk level is derived from the alerts (``alerts.services.risk_refresh``): a
    # level above low sent with a new file is a raise by hand, recorded as such.
    data = {k: v for k, v in valid.data.items() if k != "risk_level"}
    with transaction.atomic():
        child = child_save(actor=request.user, data=data, family=valid.family)
        if level != RiskLevel.LOW:
            child_risk_at_least(
                actor=request.user, child=child, level=level, reason=_("建档时录入")
            )
    return Status(201, _detail(request, child.pk))
