"""Refusals of an ID number on file that the user may not see, logged and rate-limited.

A form, the API or a register import that meets an ID number already on file outside the
user's scope says only that it cannot be used here (``children.forms.ID_REFUSED``), never
that it exists elsewhere. Each refusal writes an ``id_refused`` access-log entry — the
user, the time, where; never the ID number — and those entries are the user's budget:
after ``REFUSALS_PER_HOUR`` of them in the last hour every new ID-number check is refused
(``children.forms.ID_THROTTLED``), so the checks cannot be used to probe which ID numbers
are on file. Counted in the database, the budget holds across server processes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from carenet.audit.models import AccessAction, AccessLog
from carenet.audit.services import audit_log_entries
from carenet.orgs.selectors import primary_membership

REFUSALS_PER_HOUR = 10
WINDOW = dt.timedelta(hours=1)


def _counted(user: Any) -> bool:
    """Whether the user has a budget (the command-line operator, no user, has none)."""
    return user is not None and getattr(user, "is_authenticated", False)


def id_refusals_left(*, user: Any) -> int:
    """How many more refusals the user may meet in this hour."""
    if not _counted(user):
        return REFUSALS_PER_HOUR
    spent = AccessLog.objects.filter(
        user=user, action=AccessAction.ID_REFUSED, at__gte=timezone.now() - WINDOW
    ).count()
    return max(0, REFUSALS_PER_HOUR - spent)


def id_checks_allowed(*, user: Any) -> bool:
    """Whether a new ID number may still be checked against the files for the user."""
    return id_refusals_left(user=user) > 0


def id_refusal_record(
    *,
    request: HttpRequest | None,
    user: Any,
    details: list[str],
    county_code: str | None = None,
) -> int:
    """Log one ``id_refused`` entry per detail (fixed words, never the ID number); each
    counts against the user's budget. The number of entries written."""
    if county_code is None:
        membership = primary_membership(user) if _counted(user) else None
        county_code = membership.org.county_code if membership else ""
    return audit_log_entries(
        request=request,
        user=user,
        action=AccessAction.ID_REFUSED,
        details=details,
        county_code=county_code,
    )
