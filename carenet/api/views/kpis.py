"""Indicators (CONTRACT.md): ``GET /kpis?org=CODE&as_of=DATE``."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from carenet.api.schemas import ApiDate, ErrorOut, In, ValidationErrorOut
from carenet.children.access import visible_children
from carenet.indicators.selectors import indicators_for
from carenet.orgs.models import Org
from carenet.orgs.selectors import primary_membership, visible_orgs

router = Router()


class KpiFilters(In):
    org: str | None = Field(
        None,
        max_length=32,
        description="the org's code; default the org of the caller's widest membership",
    )
    as_of: ApiDate | None = Field(None, description="the day to compute for; default today")


class IndicatorOut(Schema):
    key: str
    label: str
    definition: str = Field(description="what the indicator counts over what (中文)")
    value: float | None
    numerator: int
    denominator: int
    target: float | None


class KpiOut(Schema):
    org: str
    as_of: dt.date
    indicators: list[IndicatorOut]


def _org(request: HttpRequest, code: str | None) -> Org:
    """The org asked for, if the caller may see it (else 404, as if it did not exist)."""
    orgs = visible_orgs(request.user)
    if code is None:
        membership = primary_membership(request.user)
        org = membership.org if membership else orgs.first()
    else:
        org = orgs.filter(code=code).first()
    if org is None:
        raise Http404
    return org


@router.get(
    "/kpis",
    response={200: KpiOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Indicators of an org",
    tags=["kpis"],
)
def kpis(request: HttpRequest, filters: Query[KpiFilters]) -> dict:
    """The indicators of an org on a day, over the children the caller may see:
    numerator, denominator, value (percent, None when nothing is counted) and the
    plan's target."""
    org = _org(request, filters.org)
    as_of = filters.as_of or timezone.localdate()
    indicators = indicators_for(org, as_of=as_of, children=visible_children(request.user))
    return {
        "org": org.code,
        "as_of": as_of,
        "indicators": [
            {
                "key": i.key,
                "label": str(i.label),
                "definition": str(i.definition),
                "value": i.value,
                "numerator": i.numerator,
                "denominator": i.denominator,
                "target": i.target,
            }
            for i in indicators
        ],
    }
