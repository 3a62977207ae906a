"""Writes of the audit app: the access log, consents and data requests.

``audit_log`` is the one way to write the access log; exports and documents call it too:

    from carenet.audit.services import audit_log
    audit_log(request=request, user=request.user, action="export", detail="花名册 120 人",
              county_code="340827")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from carenet.audit.models import (
    AccessAction,
    AccessLog,
    Consent,
    DataRequest,
    RequestStatus,
)
from carenet.children.models import Child

USER_AGENT_LENGTH = 200
DETAIL_LENGTH = 200


def _client_ip(request: HttpRequest) -> str | None:
    """The peer address. X-Forwarded-For is not trusted: anyone can write it."""
    ip = request.META.get("REMOTE_ADDR") or None
    return ip


def _entry(
    request: HttpRequest | None,
    user: Any,
    action: str,
    child: Child | None,
    detail: str,
    county_code: str | None,
) -> AccessLog:
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    entry = AccessLog(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        county_code=county_code or (child.county_code if child is not None else ""),
        child=child,
        child_ref=child.pk if child is not None else None,
        action=action,
        detail=detail[:DETAIL_LENGTH],
    )
    if request is not None:
        entry.ip = _client_ip(request)
        entry.user_agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH]
    return entry


def audit_log(
    *,
    request: HttpRequest | None,
    user: Any,
    action: str,
    child: Child | None = None,
    detail: str = "",
    county_code: str | None = None,
) -> AccessLog:
    """Write one access log entry (one INSERT). ``detail`` is short and must never hold an
    ID number or a phone: pass fixed words ("显示联系方式", "花名册 120 人")."""
    entry = _entry(request, user, action, child, detail, county_code)
    entry.save(force_insert=True)
    return entry


def audit_log_children(
    *,
    request: HttpRequest | None,
    user: Any,
    entries: Iterable[tuple[str, Child, str]],
) -> int:
    """Write one entry per (action, child, detail) in one INSERT — a document about a
    whole class logs each child it shows. The same rules as ``audit_log``."""
    rows = [_entry(request, user, action, child, detail, None) for action, child, detail in entries]
    AccessLog.objects.bulk_create(rows)
    return len(rows)


def audit_log_entries(
    *,
    request: HttpRequest | None,
    user: Any,
    action: str,
    details: list[str],
    county_code: str | None = None,
) -> int:
    """Write one entry without a child per detail in one INSERT (refused ID numbers of a
    register). The same rules as ``audit_log``."""
    rows = [_entry(request, user, action, None, detail, county_code) for detail in details]
    AccessLog.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def consent_add(
    *, request: HttpRequest | None, actor: Any, child: Child, data: dict[str, Any]
) -> Consent:
    consent = Consent.objects.create(
        child=child, county_code=child.county_code, recorded_by=actor, **data
    )
    audit_log(
        request=request,
        user=actor,
        action=AccessAction.CONSENT,
        child=child,
        detail=f"登记：{consent.get_basis_display()}",
    )
    return consent


@transaction.atomic
def consent_withdraw(
    *, request: HttpRequest | None, actor: Any, consent: Consent, on: dt.date
) -> bool:
    """Mark a consent withdrawn (once: a second call changes nothing)."""
    changed = Consent.objects.filter(pk=consent.pk, withdrawn_on__isnull=True).update(
        withdrawn_on=on
    )
    if changed:
        audit_log(
            request=request,
            user=actor,
            action=AccessAction.CONSENT,
            child=consent.child,
            detail=f"撤回：{consent.get_basis_display()}",
        )
    return bool(changed)


@transaction.atomic
def data_request_record(
    *, request: HttpRequest | None, actor: Any, child: Child, data: dict[str, Any]
) -> DataRequest:
    item = DataRequest.objects.create(
        child=child, county_code=child.county_code, recorded_by=actor, **data
    )
    audit_log(
        request=request,
        user=actor,
        action=AccessAction.DATA_REQUEST,
        child=child,
        detail=f"收到{item.get_kind_display()}请求",
    )
    return item


@transaction.atomic
def data_request_close(
    *,
    request: HttpRequest | None,
    actor: Any,
    item: DataRequest,
    status: str,
    response: str,
    on: dt.date,
) -> bool:
    """Close an open request as done or refused (a closed one stays as it was)."""
    if status not in (RequestStatus.DONE, RequestStatus.REFUSED):
        raise ValueError(f"cannot close a request as {status!r}")
    claimed = DataRequest.objects.filter(pk=item.pk, status=RequestStatus.OPEN).update(
        status=status, handled_by=actor, handled_on=on, response=response
    )
    if not claimed:
        return False
    item.refresh_from_db()
    audit_log(
        request=request,
        user=actor,
        action=AccessAction.DATA_REQUEST,
        child=item.child,
        detail=f"{item.get_kind_display()}请求：{item.get_status_display()}",
    )
    return True
