"""The dashboard pages: parse the query, ask a selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from carenet.children.access import Permission, visible_children
from carenet.children.selectors import (
    POPULATION_DEFINITIONS,
    POPULATION_LABELS,
    Population,
    children_page,
)
from carenet.dashboards import selectors
from carenet.dashboards.forms import DashboardQuery
from carenet.indicators.drill import (
    drill_down,
    not_counted_reasons,
    sub_org_indicators,
)
from carenet.indicators.selectors import DEFINITIONS, LABELS, indicators_for
from carenet.orgs.models import Org

LIST_PAGE_SIZE = 50


def _query(request: HttpRequest) -> tuple[Org | None, DashboardQuery, dict]:
    """The org (None: the user has none), the form and the common context. An org code
    the user may not see answers 404, as if it did not exist."""
    form = DashboardQuery(request.GET)
    code, as_of, counted, notices = form.values()
    org = selectors.dashboard_org(request.user, code)
    if org is None and code:
        raise Http404
    context = {
        "form": form,
        "as_of": as_of,
        "counted": counted,
        "notices": notices,
        "org": org,
        # The indicators and the dashboards count the org's children by school.
        "population_label": POPULATION_LABELS[Population.SCHOOLS],
        "population_definition": POPULATION_DEFINITIONS[Population.SCHOOLS],
    }
    if org is not None:
        context["picker"] = selectors.picker_orgs(request.user, org)
    return org, form, context


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    org, _form, context = _query(request)
    if org is not None:
        board = selectors.dashboard(request.user, org, as_of=context["as_of"])
        context.update(board=board, charts=selectors.chart_data(board))
    return render(request, "dashboards/dashboard.html", context)


@login_required
def indicators(request: HttpRequest) -> HttpResponse:
    org, _form, context = _query(request)
    if org is not None:
        children = visible_children(request.user, Permission.VIEW_CHILDREN)
        as_of = context["as_of"]
        context.update(
            indicators=indicators_for(org, as_of=as_of, children=children),
            rows=sub_org_indicators(org, as_of=as_of, children=children),
            parents=selectors.org_ancestors(request.user, org),
        )
    return render(request, "dashboards/indicators.html", context)


@login_required
def indicator_list(request: HttpRequest, key: str) -> HttpResponse:
    if key not in LABELS:
        raise Http404
    org, _form, context = _query(request)
    if org is None:
        raise Http404
    children = visible_children(request.user, Permission.VIEW_CHILDREN)
    drill = drill_down(org, key, as_of=context["as_of"], children=children)
    ids = drill.counted if context["counted"] else drill.not_counted
    page = Paginator(ids, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    shown = children_page(list(page.object_list))
    reasons = {} if context["counted"] else not_counted_reasons(key, shown, as_of=context["as_of"])
    context.update(
        key=key,
        label=LABELS[key],
        definition=DEFINITIONS[key],
        drill=drill,
        page=page,
        children=shown,
        rows=[(child, reasons.get(child.pk, [])) for child in shown],
    )
    return render(request, "dashboards/indicator_list.html", context)
