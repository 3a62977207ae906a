"""The access log and data requests a user may search.

Who audits, and over which children, is the access table (``Permission.AUDIT`` in
``carenet.children.access``): the same scope as every page's, with archived and
anonymised files included (``children_scope(…, include_archived=True)``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from carenet.audit.models import AccessLog, DataRequest
from carenet.children.access import Permission, audited_children, audited_counties, holds
from carenet.orgs.selectors import AnyUser


def may_audit(user: AnyUser) -> bool:
    return holds(user, Permission.AUDIT)


def _scope(user: AnyUser) -> Q | None:
    """The filter (on a row with a ``child``) of the entries about children a user
    audits; None: the user audits nothing."""
    if not may_audit(user):
        return None
    if user.is_superuser:
        return Q()
    return Q(child__in=audited_children(user).values("pk"))


def _log_scope(user: AnyUser) -> Q | None:
    scope = _scope(user)
    if scope is None or user.is_superuser:
        return scope
    # Who audits a whole county also sees its entries without a child (its exports).
    for county_code in audited_counties(user):
        scope |= Q(child__isnull=True, county_code=county_code)
    return scope


@dataclass(frozen=True)
class LogFilters:
    child: str = ""
    user: str = ""
    action: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def access_log(user: AnyUser, filters: LogFilters) -> QuerySet[AccessLog]:
    """The access log entries a user may search, filtered, newest first."""
    scope = _log_scope(user)
    if scope is None:
        return AccessLog.objects.none()
    qs = AccessLog.objects.filter(scope)
    if filters.child:
        qs = qs.filter(child__name__contains=filters.child)
    if filters.user:
        qs = qs.filter(username__icontains=filters.user)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.since:
        qs = qs.filter(at__date__gte=filters.since)
    if filters.until:
        qs = qs.filter(at__date__lte=filters.until)
    return qs.select_related("child", "user").order_by("-at", "-pk")


def data_requests(user: AnyUser, status: str = "") -> QuerySet[DataRequest]:
    scope = _scope(user)
    if scope is None:
        return DataRequest.objects.none()
    qs = DataRequest.objects.filter(scope)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("child", "handled_by").order_by("-received_on", "-pk")
