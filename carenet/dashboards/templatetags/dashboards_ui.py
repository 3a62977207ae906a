"""Template helpers of the dashboard pages."""

from __future__ import annotations

import datetime as dt

from django import template

from carenet.dashboards.selectors import drill_url as _drill_url
from carenet.dashboards.selectors import indicators_url as _indicators_url
from carenet.orgs.models import Org

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """72.5 → "72.5%"; None (nothing to count, or no target) → "—"."""
    return "—" if value is None else f"{value:g}%"


@register.simple_tag
def drill_url(org: Org, key: str, as_of: dt.date, counted: int = 1) -> str:
    return _drill_url(org, key, as_of, counted=bool(counted))


@register.simple_tag
def indicators_url(org: Org, as_of: dt.date) -> str:
    return _indicators_url(org, as_of)
