"""Who may search the access log and handle data requests, and over which children.

Principals and school admins audit their school's children, county admins their county.
The scope follows the org tree (not ``visible_children``) so that archived and anonymised
files stay auditable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from carenet.audit.models import AccessLog, DataRequest
from carenet.children.models import Child
from carenet.orgs.models import Role
from carenet.orgs.selectors import AnyUser, user_memberships

SCHOOL_AUDITORS = (Role.PRINCIPAL, Role.SCHOOL_ADMIN)


def _scope(user: AnyUser, prefix: str) -> Q | None:
    """The filter (on Child through ``prefix``) of the children a user audits; None: none."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Q()
    scope = None
    for membership in user_memberships(user):
        if membership.role in SCHOOL_AUDITORS:
            part = Q(**{f"{prefix}school__path__startswith": membership.org.path})
        elif membership.role == Role.COUNTY_ADMIN:
            part = Q(**{f"{prefix}county_code": membership.org.county_code})
        else:
            continue
        scope = part if scope is None else scope | part
    return scope


def may_audit(user: AnyUser) -> bool:
    return _scope(user, "") is not None


def audited_children(user: AnyUser) -> QuerySet[Child]:
    """Children whose log entries and requests a user may see, archived ones included."""
    scope = _scope(user, "")
    return Child.objects.none() if scope is None else Child.objects.filter(scope)


def _log_scope(user: AnyUser) -> Q | None:
    scope = _scope(user, "child__")
    if scope is None or user.is_superuser:
        return scope
    # County admins also see entries without a child (exports of their county).
    for membership in user_memberships(user):
        if membership.role == Role.COUNTY_ADMIN:
            scope |= Q(child__isnull=True, county_code=membership.org.county_code)
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
    scope = _scope(user, "child__")
    if scope is None:
        return DataRequest.objects.none()
    qs = DataRequest.objects.filter(scope)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("child", "handled_by").order_by("-received_on", "-pk")
