"""Reads behind the dashboards (工作看板) and the indicator pages.

Every figure is over the children a user may see (``visible_children``) under one org,
counted with aggregate queries (GROUP BY); the care tasks of the org's children are
computed once (``tasks_for``) and shared by the per-school table and the overdue chart.
The org's own indicators are one call of ``indicators_for``, the same call as
``GET /api/v1/kpis``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from carenet.care.models import CareKind
from carenet.care.selectors import Task, mentor_rows, tasks_for
from carenet.children.access import Permission, sees_whole, visible_children
from carenet.children.models import (
    GuardianshipQuality,
    LeftBehindType,
)
from carenet.dashboards.bands import GUARDIAN_AGE_BANDS
from carenet.dashboards.counts import Counts, chart_counts, months
from carenet.indicators.drill import OrgIndicators, sub_org_indicators, summed
from carenet.indicators.selectors import (
    KEYS,
    LABELS,
    TASK_KINDS,
    Indicator,
    counted_children,
    indicators_for,
)
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import AnyUser, primary_membership, user_memberships, visible_orgs

# The teachers shown in the overdue chart (most overdue first).
OVERDUE_TEACHERS = 15
# The provinces shown in the work-province chart (most parents first).
PROVINCES = 15
# Orgs a dashboard can be about (the picker).
PICKER_KINDS = (OrgKind.COUNTY, OrgKind.TOWNSHIP, OrgKind.SCHOOL)


# --- which org ------------------------------------------------------------------------


def dashboard_org(user: AnyUser, code: str | None) -> Org | None:
    """The org asked for if the user may see it, else None; without a code, the org of
    the user's primary membership (a superuser's: the first county)."""
    orgs = visible_orgs(user)
    if code:
        return orgs.filter(code=code).first()
    membership = primary_membership(user)
    if membership is not None:
        return membership.org
    return orgs.first() if user.is_authenticated and user.is_superuser else None


def picker_orgs(user: AnyUser, current: Org) -> list[Org]:
    """The orgs of the picker: the counties, townships and schools the user may see,
    their own orgs (a class, a village) and the current one, in tree order."""
    own = [m.org.pk for m in user_memberships(user)] + [current.pk]
    orgs = visible_orgs(user).filter(Q(kind__in=PICKER_KINDS) | Q(pk__in=own))
    return list(orgs.only("code", "name", "kind", "path", "depth")[:500])


# --- the charts -----------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar or slice of a chart, with the list behind it."""

    label: str
    value: int
    url: str


@dataclass(frozen=True)
class Trend:
    """Care records per month (``months`` as YYYY-MM) for each kind."""

    months: list[str]
    series: list[tuple[str, str, list[int]]]  # (kind, label, counts per month)
    urls: dict[str, list[str]]  # kind → the child list behind each month

    @property
    def totals(self) -> list[int]:
        return [sum(column) for column in zip(*(s[2] for s in self.series), strict=True)] or [
            0 for _ in self.months
        ]

    @property
    def table(self) -> list[tuple[str, list[int], int]]:
        """(month, counts in the order of ``series``, total) rows for the plain table."""
        return [
            (month, [s[2][i] for s in self.series], self.totals[i])
            for i, month in enumerate(self.months)
        ]


@dataclass(frozen=True)
class TeacherRow:
    """Care tasks of a teacher's mentees (代理家长) or of the children without one; or,
    under a county or township, of a school."""

    label: str
    mentor_id: int | None
    tasks: int  # under a mentor: 待办 (已逾期 + 本周到期); under a school: 应做 (人次)
    overdue: int
    url: str

    @property
    def due_this_week(self) -> int:
        """Under a mentor: 本周到期 (``care.selectors.task_counts``)."""
        return self.tasks - self.overdue


@dataclass
class Dashboard:
    org: Org
    as_of: dt.date
    indicators: list[Indicator]
    rows: list[OrgIndicators]
    row_kind: str  # the kind of org of ``rows``
    trend: Trend
    teachers: list[TeacherRow]  # overdue work per mentor, or per school (``overdue_by``)
    overdue_by: str
    left_behind: list[Bar]
    guardian_ages: list[Bar]
    guardian_capacity: list[Bar]
    provinces: list[Bar]
    teachers_total: int = 0  # rows before the cut to ``OVERDUE_TEACHERS``
    provinces_total: int = 0  # provinces before the cut to ``PROVINCES``


def child_list_url(org: Org, **filters: str) -> str:
    """The child list (``/children/``) of an org's children narrowed by ``filters``."""
    query = {"org": org.code, **{k: v for k, v in filters.items() if v}}
    return f"{reverse('child_list')}?{urlencode(query)}"


def indicators_url(org: Org, as_of: dt.date) -> str:
    return f"{reverse('dashboard_indicators')}?{urlencode({'org': org.code, 'as_of': as_of})}"


def drill_url(org: Org, key: str, as_of: dt.date, *, counted: bool = True) -> str:
    query = urlencode({"org": org.code, "as_of": as_of, "counted": int(counted)})
    return f"{reverse('dashboard_indicator_list', args=[key])}?{query}"


def care_trend(org: Org, counts: Counts, *, as_of: dt.date) -> Trend:
    """Care records of the org's children on the roll per month and kind, for the 12
    months up to ``as_of`` (the current month up to ``as_of``), from ``chart_counts``."""
    first_days = months(as_of)
    labels = [m.strftime("%Y-%m") for m in first_days]
    series = []
    urls: dict[str, list[str]] = {}
    for kind in CareKind:
        values = [counts[f"trend:{kind.value}:{month}"] for month in labels]
        if not any(values):
            continue
        series.append((kind.value, str(kind.label), values))
        urls[kind.value] = [child_list_url(org, record=kind.value, month=m) for m in labels]
    return Trend(labels, series, urls)


def overdue_per_teacher(org: Org, tasks: list[Task], as_of: dt.date) -> list[TeacherRow]:
    """The 待办 per mentor (代理家长) of the children, 已逾期 and 本周到期
    (``care.selectors.mentor_rows``, the table of 我的待办's school view), most overdue
    first; children without a mentor in one row. All of them: the page shows the first
    ``OVERDUE_TEACHERS`` and says so."""
    return [
        TeacherRow(
            label=row.label,
            mentor_id=row.mentor_id,
            tasks=row.tasks,
            overdue=row.overdue,
            url=child_list_url(
                org, mentor=str(row.mentor_id) if row.mentor_id else "none", left_behind="any"
            ),
        )
        for row in mentor_rows(tasks, as_of)
    ]


def left_behind_types(org: Org, counts: Counts) -> list[Bar]:
    """The org's children on the roll by left-behind type (学籍口径)."""
    values = {
        LeftBehindType.BOTH_PARENTS: counts["lb:both"],
        LeftBehindType.ONE_PARENT: counts["lb:either"] - counts["lb:both"],
        LeftBehindType.NONE: counts["lb:total"] - counts["lb:either"],
    }
    return [
        Bar(str(kind.label), values[kind], child_list_url(org, left_behind=kind.value))
        for kind in LeftBehindType
    ]


def guardian_figures(org: Org, counts: Counts) -> tuple[list[Bar], list[Bar]]:
    """The entrusted guardians (委托监护人) of the children in care: by age band and by
    guardianship capacity (监护状况)."""
    ages = [
        Bar(
            str(label),
            counts[f"age:{value}"],
            child_list_url(org, left_behind="any", guardian_age=value),
        )
        for value, label, _low, _high in GUARDIAN_AGE_BANDS
    ]
    quality = [
        Bar(
            str(label),
            counts[f"quality:{value}"],
            child_list_url(org, left_behind="any", guardianship=value),
        )
        for value, label in GuardianshipQuality.choices
    ]
    quality.append(
        Bar(
            _("未填写"),
            counts["quality:"],
            child_list_url(org, left_behind="any", guardianship="unset"),
        )
    )
    return ages, quality


def work_provinces(org: Org, counts: Counts) -> list[Bar]:
    """The provinces where the parents of the children in care work, most parents first
    (all of them: the page shows the first ``PROVINCES`` and says so)."""
    provinces = sorted(
        ((name.split(":", 1)[1], n) for name, n in counts.items() if name.startswith("province:")),
        key=lambda item: (-item[1], item[0]),
    )
    return [
        Bar(name, n, child_list_url(org, left_behind="any", work_province=name))
        for name, n in provinces
    ]


def overdue_per_school(org: Org, rows: list[OrgIndicators], as_of: dt.date) -> list[TeacherRow]:
    """Under a county or township: per school, the children due a talk, a home visit or
    a parent call (the task-completion indicators) and those overdue, most overdue
    first; each links to the school's own dashboard (overdue per teacher)."""
    found = []
    for row in rows:
        due = sum(row.get(key).denominator for key in TASK_KINDS)
        done = sum(row.get(key).numerator for key in TASK_KINDS)
        if due:
            found.append(
                TeacherRow(row.org.name, None, due, due - done, dashboard_url(row.org, as_of))
            )
    found.sort(key=lambda r: (-r.overdue, r.label))
    return found


def dashboard_url(org: Org, as_of: dt.date) -> str:
    return f"{reverse('dashboard')}?{urlencode({'org': org.code, 'as_of': as_of})}"


def dashboard(user: AnyUser, org: Org, *, as_of: dt.date) -> Dashboard:
    """Everything a dashboard shows about ``org`` on ``as_of``, over what ``user`` sees.

    Under a county or township: the indicators of each school (``indicators_by_school``,
    the counts of ``indicators_for``, kept between requests) and their sum as the org's,
    and overdue work per school — no child's tasks are built. Under a school, a class or
    a village: ``indicators_for`` (as the API), and the care tasks computed once
    (``tasks_for``) for the table per class and the overdue work per teacher (mentor).
    The charts' counts come from ``chart_counts`` (kept per school for an org seen
    whole)."""
    children = visible_children(user, Permission.VIEW_CHILDREN)
    if org.kind in (OrgKind.COUNTY, OrgKind.TOWNSHIP):
        rows = sub_org_indicators(org, as_of=as_of, children=children, level=OrgKind.SCHOOL)
        # Every school under the org, from the counts of indicators_for: their sum is it.
        indicators = summed(org, rows, as_of=as_of)
        row_kind, overdue_by = OrgKind.SCHOOL, OrgKind.SCHOOL
        overdue = overdue_per_school(org, rows, as_of)
    else:
        indicators = indicators_for(org, as_of=as_of, children=children)
        tasks = tasks_for(counted_children(org, as_of=as_of, children=children), as_of=as_of)
        row_kind = OrgKind.CLASS if org.kind in (OrgKind.SCHOOL, OrgKind.GRADE) else ""
        rows = (
            sub_org_indicators(org, as_of=as_of, children=children, tasks=tasks, level=row_kind)
            if row_kind
            else []
        )
        overdue_by = "mentor"
        overdue = overdue_per_teacher(org, tasks, as_of)
    counts = chart_counts(org, as_of=as_of, children=children, whole=sees_whole(user, org))
    ages, capacity = guardian_figures(org, counts)
    provinces = work_provinces(org, counts)
    return Dashboard(
        org=org,
        as_of=as_of,
        indicators=indicators,
        rows=rows,
        row_kind=row_kind,
        trend=care_trend(org, counts, as_of=as_of),
        teachers=overdue[:OVERDUE_TEACHERS],
        overdue_by=overdue_by,
        teachers_total=len(overdue),
        provinces_total=len(provinces),
        left_behind=left_behind_types(org, counts),
        guardian_ages=ages,
        guardian_capacity=capacity,
        provinces=provinces[:PROVINCES],
    )


def _indicator_json(indicator: Indicator) -> dict[str, Any]:
    return {
        "key": indicator.key,
        "label": str(indicator.label),
        "value": indicator.value,
        "target": indicator.target,
        "numerator": indicator.numerator,
        "denominator": indicator.denominator,
    }


def _bars_json(bars: list[Bar]) -> dict[str, list]:
    return {
        "labels": [b.label for b in bars],
        "values": [b.value for b in bars],
        "urls": [b.url for b in bars],
    }


def chart_data(board: Dashboard) -> dict[str, Any]:
    """The data of the charts, for ``json_script`` (drawn by dashboards/dashboard.js)."""
    as_of = board.as_of
    return {
        "targets": {
            "keys": [{"key": key, "label": str(LABELS[key])} for key in KEYS],
            "orgs": [r.org.name for r in board.rows],
            "urls": [indicators_url(r.org, as_of) for r in board.rows],
            "drill": {
                key: [drill_url(r.org, key, as_of, counted=False) for r in board.rows]
                for key in KEYS
            },
            "values": {key: [r.get(key).value for r in board.rows] for key in KEYS},
            "targets": {key: [r.get(key).target for r in board.rows] for key in KEYS},
            "org": [_indicator_json(i) for i in board.indicators],
            "names": {"actual": _("实际"), "target": _("目标")},
        },
        "trend": {
            "months": board.trend.months,
            "series": [
                {"kind": kind, "label": label, "values": values}
                for kind, label, values in board.trend.series
            ],
            "urls": board.trend.urls,
        },
        "teachers": {
            "labels": [t.label for t in board.teachers],
            "overdue": [t.overdue for t in board.teachers],
            "tasks": [
                t.tasks if board.overdue_by == OrgKind.SCHOOL else t.due_this_week
                for t in board.teachers
            ],
            "urls": [t.url for t in board.teachers],
            "names": {
                "overdue": _("已逾期"),
                "tasks": _("应做") if board.overdue_by == OrgKind.SCHOOL else _("本周到期"),
            },
        },
        "left_behind": _bars_json(board.left_behind),
        "guardian_ages": _bars_json(board.guardian_ages),
        "guardian_capacity": _bars_json(board.guardian_capacity),
        "provinces": _bars_json(board.provinces),
    }


def org_ancestors(user: AnyUser, org: Org) -> list[Org]:
    """The orgs above ``org`` that the user may see, top first (the drill-down path)."""
    step = Org.steplen
    prefixes = [org.path[:i] for i in range(step, len(org.path), step)]
    return list(visible_orgs(user).filter(path__in=prefixes).order_by("path"))
