"""Drill-down of the indicators: the children behind a figure, and the figures of the
orgs one level down.

Both use the definitions of ``indicators.selectors`` — the base ``children_in_care``, the
Q builders (``file_complete``, ``school_age``, ``mentored``) and, for the task-completion
keys, ``tasks_for`` over ``counted_children`` (the children of their unit's plan's care
groups, not only the left-behind) — so that a list holds exactly the children its figure counts, and
the rows of a table add up to the figures of their org.

Each child not counted has its reasons (``not_counted_reasons``): for 建档率 the items of
a complete file missing, from the rule the count uses (``filing_items``).

``children`` restricts the base as in ``indicators_for``: pages pass
``visible_children(user, Action.VIEW)``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from carenet.care.models import CareKind
from carenet.care.selectors import Task, plan_in_force, plans_in_force, tasks_for
from carenet.children.models import Child, ChildStatus, Immunization
from carenet.indicators.selectors import (
    KEYS,
    LABELS,
    TASK_KINDS,
    Indicator,
    children_in_care,
    counted_children,
    enrolled,
    file_complete,
    filing_gaps,
    indicators_by_school,
    indicators_from,
    mentored,
    retained,
    school_age,
)
from carenet.orgs.models import Org, OrgKind
from carenet.support.selectors import (
    guardian_attended,
    has_guardian,
    legal_aid_eligible,
    legal_aid_given,
)

# The order of a drill-down list: by school, class, name.
LIST_ORDER = ("school__path", "school_class__path", "name_pinyin", "pk")


@dataclass(frozen=True)
class Fraction:
    """An indicator computed by filters on the children in care: ``numerator`` keeps the
    children counted (it implies ``denominator``), ``denominator`` those it is taken of
    (None: every child in care)."""

    numerator: Q
    denominator: Q | None = None


def fractions(as_of: dt.date) -> dict[str, Fraction]:
    """Each indicator that is a filter on the children in care, as in ``indicators_for``.

    The task-completion keys (``TASK_KINDS``) are not filters: they come from
    ``tasks_for``.
    """
    age = school_age(as_of)
    return {
        "filing_rate": Fraction(file_complete(as_of)),
        "enrollment_rate": Fraction(age & enrolled(as_of), age),
        "retention_rate": Fraction(retained()),
        "immunization_rate": Fraction(Q(immunization=Immunization.COMPLETE)),
        "legal_aid_rate": Fraction(legal_aid_given(as_of), legal_aid_eligible(as_of)),
        "parent_education_rate": Fraction(guardian_attended(as_of), has_guardian()),
        "mentor_coverage": Fraction(mentored(as_of)),
    }


def task_children(tasks: list[Task], kind: str) -> tuple[set[int], set[int]]:
    """The children with a task of ``kind`` (scheduled), and those whose task is not
    overdue (done on time), as ``indicators_for`` counts them."""
    scheduled: set[int] = set()
    on_time: set[int] = set()
    for task in tasks:
        if task.kind == kind:
            scheduled.add(task.child.pk)
            if not task.overdue:
                on_time.add(task.child.pk)
    return scheduled, on_time


# --- the children behind one figure ---------------------------------------------------


@dataclass(frozen=True)
class DrillDown:
    """The children of one indicator of an org: ``counted`` (the numerator) and
    ``not_counted`` (in the denominator, not in the numerator), as ids in list order."""

    key: str
    counted: list[int]
    not_counted: list[int]

    @property
    def numerator(self) -> int:
        return len(self.counted)

    @property
    def denominator(self) -> int:
        return len(self.counted) + len(self.not_counted)


def drill_down(
    org: Org, key: str, *, as_of: dt.date, children: QuerySet[Child] | None = None
) -> DrillDown:
    """The children counted and not counted by indicator ``key`` of ``org`` on ``as_of``.

    Ids, not querysets: a task-completion list comes from ``tasks_for`` (Python), and a
    county's list is longer than SQLite takes in one ``IN (…)``; a page fetches its own
    ids (``children_page``). Raises KeyError for an unknown key."""
    if key not in LABELS:
        raise KeyError(key)
    if key in TASK_KINDS:
        base = counted_children(org, as_of=as_of, children=children)
        scheduled, on_time = task_children(tasks_for(base, as_of=as_of), TASK_KINDS[key])
        ordered = [pk for pk in _ordered_ids(base) if pk in scheduled]
        numerator = on_time
    else:
        base = children_in_care(org, as_of=as_of, children=children)
        fraction = fractions(as_of)[key]
        denominator = base if fraction.denominator is None else base.filter(fraction.denominator)
        ordered = _ordered_ids(denominator)
        numerator = set(base.filter(fraction.numerator).values_list("pk", flat=True))
    return DrillDown(
        key,
        counted=[pk for pk in ordered if pk in numerator],
        not_counted=[pk for pk in ordered if pk not in numerator],
    )


def _ordered_ids(children: QuerySet[Child]) -> list[int]:
    return list(children.order_by(*LIST_ORDER).values_list("pk", flat=True))


def _schooling(label: str) -> Callable[[Child], str]:
    return lambda child: label % {"value": child.get_schooling_display()}


def _constant(label: str) -> Callable[[Child], str]:
    return lambda child: label


def _reasons() -> dict[str, Callable[[Child], str]]:
    """For each indicator but 建档率, why a child of its denominator is not in its
    numerator: the negation of its one condition (with the child's value where it says
    more). 建档率 names the items missing (``filing_gaps``)."""
    return {
        "enrollment_rate": _schooling(_("未在校（%(value)s）")),
        "retention_rate": _schooling(_("就学情况为%(value)s")),
        "immunization_rate": lambda child: (
            _("计划免疫接种：%(value)s") % {"value": child.get_immunization_display()}
        ),
        "legal_aid_rate": _constant(_("符合条件的案件尚未获得法律援助")),
        "parent_education_rate": _constant(_("委托监护人本学年未参加家长学校")),
        "mentor_coverage": _constant(_("统计日没有在结对的代理家长")),
        **{
            key: _constant(_("%(kind)s已逾期") % {"kind": CareKind(kind).label})
            for key, kind in TASK_KINDS.items()
        },
    }


def not_counted_reasons(key: str, children: list[Child], *, as_of: dt.date) -> dict[int, list[str]]:
    """Why each child of ``children`` (a page of ``drill_down(…).not_counted``) is not
    counted by indicator ``key`` on ``as_of``, in Chinese: for 建档率 the items of a
    complete file the child misses (``filing_gaps``, the rule ``file_complete`` counts
    by), for the others the condition not met."""
    if key == "filing_rate":
        return filing_gaps(Child.objects.filter(pk__in=[c.pk for c in children]), as_of)
    reason = _reasons()[key]
    return {child.pk: [reason(child)] for child in children}


def children_page(ids: list[int]) -> list[Child]:
    """The children of a page of ids (at most a page long), with school and class, in
    the order of ``ids``."""
    found = Child.objects.select_related("school", "school_class").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


# --- the figures of the orgs one level down ---------------------------------------------


@dataclass
class OrgIndicators:
    """The indicators of one org of a drill-down table."""

    org: Org
    indicators: list[Indicator] = field(default_factory=list)

    def get(self, key: str) -> Indicator:
        return next(i for i in self.indicators if i.key == key)


def sub_orgs(org: Org, level: str | None = None) -> tuple[list[Org], str | None]:
    """The orgs one level down whose figures add up to ``org``'s, and the Child field
    that places a child in one of them: townships and schools under a county, schools
    under a township (by the child's school), classes under a school or grade (by the
    child's class). Villages and classes have none (villages count children by
    residence, not by school). ``level`` ``school`` (under a county or township) or
    ``class`` (under a school or grade) asks for every org of that kind instead."""
    # The villages with children not at a school (whose unit they are) count as schools.
    filed = Child.objects.filter(school__isnull=True, status=ChildStatus.ACTIVE)
    villages = Q(kind=OrgKind.VILLAGE, pk__in=filed.values("village_id"))
    if level == OrgKind.SCHOOL and org.kind in (OrgKind.COUNTY, OrgKind.TOWNSHIP):
        schools = Org.objects.filter(path__startswith=org.path).filter(
            Q(kind=OrgKind.SCHOOL) | villages
        )
        return list(schools.order_by("path")), "school"
    if org.kind in (OrgKind.COUNTY, OrgKind.TOWNSHIP):
        below = Org.objects.filter(path__startswith=org.path, depth=org.depth + 1).filter(
            Q(kind__in=(OrgKind.TOWNSHIP, OrgKind.SCHOOL)) | villages
        )
        return list(below.order_by("path")), "school"
    if org.kind in (OrgKind.SCHOOL, OrgKind.GRADE):
        classes = Org.objects.filter(path__startswith=org.path, kind=OrgKind.CLASS)
        return list(classes.order_by("path")), "school_class"
    return [], None


def _counts(as_of: dt.date) -> dict[str, Count]:
    """The aggregates of ``fractions``: ``n_<key>`` numerators, ``d_<key>`` denominators
    (only where it is not every child in care)."""
    counts: dict[str, Count] = {"in_care": Count("pk")}
    for key, fraction in fractions(as_of).items():
        counts[f"n_{key}"] = Count("pk", filter=fraction.numerator)
        if fraction.denominator is not None:
            counts[f"d_{key}"] = Count("pk", filter=fraction.denominator)
    return counts


def sub_org_indicators(
    org: Org,
    *,
    as_of: dt.date,
    children: QuerySet[Child] | None = None,
    tasks: list[Task] | None = None,
    level: str | None = None,
) -> list[OrgIndicators]:
    """The indicators of each org one level down (``sub_orgs``; ``level`` as there), in
    one pass; their numerators and denominators sum to ``indicators_for(org)``.

    Under a county or township: from ``indicators_by_school`` (the same per-school counts
    as ``indicators_for``), summed per township. Under a school or grade: one aggregate
    grouped by class and one ``tasks_for`` over the school's counted children (or
    ``tasks`` given, computed by the caller over ``counted_children(org, …)``)."""
    below, child_field = sub_orgs(org, level)
    if not below or child_field is None:
        return []
    by_path = {o.path: o for o in below}
    step = Org.steplen

    def row_of(place: Org | None) -> Org | None:
        if place is None:
            return None
        return by_path.get(place.path[: len(org.path) + step]) or by_path.get(place.path)

    figures: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    if child_field == "school":
        per_school = indicators_by_school(org, as_of=as_of, children=children)
        schools = Org.objects.only("path").in_bulk(list(per_school))
        for school_id, indicators in per_school.items():
            target = row_of(schools.get(school_id))
            if target is None:
                continue
            for indicator in indicators:
                pair = figures[target.pk][indicator.key]
                pair[0] += indicator.numerator
                pair[1] += indicator.denominator
    else:
        _class_figures(
            org, as_of=as_of, children=children, tasks=tasks, row_of=row_of, into=figures
        )
    plans = plans_in_force(below, as_of)
    return [
        OrgIndicators(sub, indicators_from(figures[sub.pk], plans[sub.pk].targets or {}))
        for sub in below
    ]


def _class_figures(
    org: Org,
    *,
    as_of: dt.date,
    children: QuerySet[Child] | None,
    tasks: list[Task] | None,
    row_of: Callable[[Org | None], Org | None],
    into: dict[int, dict[str, list[int]]],
) -> None:
    """Add the figures of ``org``'s children in care per class (``row_of`` maps a class
    to its row) into ``into``: the filters of ``fractions`` in one grouped aggregate,
    task completion from ``tasks_for``."""
    base = children_in_care(org, as_of=as_of, children=children)
    grouped = list(base.values("school_class").annotate(**_counts(as_of)).order_by())
    classes = Org.objects.only("path").in_bulk([row["school_class"] for row in grouped])
    defined = fractions(as_of)
    for row in grouped:
        target = row_of(classes.get(row["school_class"]))
        if target is None:
            continue
        for key, fraction in defined.items():
            if fraction is None:
                continue
            denominator = "in_care" if fraction.denominator is None else f"d_{key}"
            pair = into[target.pk][key]
            pair[0] += row[f"n_{key}"]  # type: ignore[literal-required]  # **the counts
            pair[1] += row[denominator]  # type: ignore[literal-required]
    if tasks is None:
        tasks = tasks_for(counted_children(org, as_of=as_of, children=children), as_of=as_of)
    keys: dict[str, str] = {kind: key for key, kind in TASK_KINDS.items()}
    for task in tasks:
        target = row_of(task.child.school_class)
        key = keys.get(task.kind)
        if target is None or key is None:
            continue
        pair = into[target.pk][key]
        pair[0] += not task.overdue
        pair[1] += 1


def summed(org: Org, rows: list[OrgIndicators], *, as_of: dt.date) -> list[Indicator]:
    """The indicators of ``org`` as the sum of rows that add up to it (``sub_org_indicators``
    with ``level="school"`` under a county or township), with ``org``'s targets: the
    figures of ``indicators_for(org)`` without counting them a second time."""
    figures = {
        key: [
            sum(row.get(key).numerator for row in rows),
            sum(row.get(key).denominator for row in rows),
        ]
        for key in KEYS
    }
    return indicators_from(figures, plan_in_force(org, as_of).targets or {})
