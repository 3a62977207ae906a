"""The counts behind the dashboard charts, per school, kept between requests while exact.

Each chart's counts are made per school in grouped queries (``counts_by_school``) and
summed for the org. A county's 2.5 million care records take seconds to count, so for an
org seen whole (every child under it visible) each school's counts are kept in
``SchoolChartCounts`` through the indicators' helper (``indicators.kept.read_through``):
a kept row is used only while the school's version — bumped by database triggers
whenever a row of one of the school's children changes — is the one it was counted at,
so the figures always equal a count from scratch (tests/test_dashboards.py). Everything
else — a class, a village, a partial view — is counted from scratch. The daily queue
job ``dashboards_daily`` (``tasks.py``) counts every county for the new day.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from dateutil.relativedelta import relativedelta
from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.functions import Cast, Substr

from carenet.children.models import (
    Child,
    ChildStatus,
    FamilyMember,
    GuardianshipQuality,
    Relation,
)
from carenet.children.selectors import left_behind_filter, with_left_behind
from carenet.dashboards.bands import GUARDIAN_AGE_BANDS, guardian_age_filter
from carenet.dashboards.models import SchoolChartCounts
from carenet.indicators.kept import purge, read_through
from carenet.indicators.selectors import org_filter
from carenet.orgs.models import Org, OrgKind, Role
from carenet.orgs.selectors import AnyUser, org_ids_under, user_memberships

# The months of the care-work trend.
TREND_MONTHS = 12
# Part of every kept row's stamp: bump it when what a count means changes, and the rows
# kept before are counted again.
CHART_COUNTING = "charts-2"

# Count names: "trend:<kind>:<YYYY-MM>", "lb:both|either|total", "age:<band>",
# "quality:<value or ''>", "province:<name>".
Counts = Counter


def months(as_of: dt.date) -> list[dt.date]:
    """The first days of the 12 months up to ``as_of``'s, oldest first."""
    first = as_of.replace(day=1)
    return [first - relativedelta(months=n) for n in range(TREND_MONTHS - 1, -1, -1)]


def counts_by_school(children: QuerySet[Child], *, as_of: dt.date) -> dict[int, Counts]:
    """The chart counts of ``children`` per school, from scratch: four grouped queries.

    - ``trend``: care records of the children on the roll, per kind and month, for the
      12 months up to ``as_of`` (joined from the children: the (child, kind, date)
      index covers it; a month is the date's first 7 characters, no function per row);
    - ``lb``: children on the roll, those with both parents away on ``as_of``, with
      either (学籍口径);
    - ``age`` and ``quality``: the guardians (委托监护人) of the children in care (on the
      roll and left-behind on ``as_of``), by age band and guardianship capacity;
    - ``province``: the parents of the children in care, by work province.
    """
    found: dict[int, Counts] = {}

    def add(school: int, name: str, value: int) -> None:
        if value:
            found.setdefault(school, Counter())[name] += value

    active = children.filter(status=ChildStatus.ACTIVE)
    start = months(as_of)[0]
    records = (
        active.filter(care_records__date__gte=start, care_records__date__lte=as_of)
        .annotate(month=Substr(Cast("care_records__date", CharField()), 1, 7))
        .values_list("school", "care_records__kind", "month")
        .annotate(n=Count("care_records"))
        .order_by()
    )
    for school, kind, month, n in records:
        add(school, f"trend:{kind}:{month}", n)
    for row in (
        with_left_behind(active, as_of)
        .values("school")
        .annotate(
            both=Count("pk", filter=Q(father_away=True, mother_away=True)),
            either=Count("pk", filter=Q(father_away=True) | Q(mother_away=True)),
            total=Count("pk"),
        )
        .order_by()
    ):
        for name in ("both", "either", "total"):
            add(row["school"], f"lb:{name}", row[name])
    in_care = active.filter(left_behind_filter(as_of)).values("pk")
    aggregates = {
        f"age:{value}": Count("pk", filter=guardian_age_filter(value))
        for value, _label, _low, _high in GUARDIAN_AGE_BANDS
    }
    for value in [*GuardianshipQuality.values, ""]:
        aggregates[f"quality:{value}"] = Count("pk", filter=Q(guardianship_quality=value))
    for row in (
        FamilyMember.objects.filter(relation=Relation.GUARDIAN, child__in=in_care)
        .values("child__school")
        .annotate(**aggregates)
        .order_by()
    ):
        for name in aggregates:
            add(row["child__school"], name, row[name])  # type: ignore[literal-required]  # **aggregates
    for school, province, n in (
        FamilyMember.objects.filter(
            relation__in=(Relation.FATHER, Relation.MOTHER), child__in=in_care
        )
        .exclude(work_province="")
        .values_list("child__school", "work_province")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        add(school, f"province:{province}", n)
    return found


# Roles whose scope (``children_scope``) holds every child of every school under their
# org: they see a county, township or school under it whole.
WHOLE_SCHOOL_ROLES = (
    Role.COUNTY_ADMIN,
    Role.TOWNSHIP_SUPERVISOR,
    Role.PRINCIPAL,
    Role.SCHOOL_ADMIN,
    Role.COUNSELOR,
)


def sees_whole(user: AnyUser, org: Org) -> bool:
    """Whether ``visible_children(user)`` holds every child on the roll under ``org``, a
    county, township or school (children counted by school), from the memberships alone
    (tests/test_dashboards.py checks it against counting the children)."""
    if org.kind not in (OrgKind.COUNTY, OrgKind.TOWNSHIP, OrgKind.SCHOOL):
        return False
    if user.is_authenticated and user.is_superuser:
        return True
    return any(
        m.role in WHOLE_SCHOOL_ROLES and org.path.startswith(m.org.path)
        for m in user_memberships(user)
    )


def _children_not_at_school(org: Org) -> bool:
    """Whether any child on the roll under ``org`` is filed under a village, not a school."""
    villages = org_ids_under(org.path, OrgKind.VILLAGE)
    return Child.objects.filter(
        school__isnull=True, village__in=villages, status=ChildStatus.ACTIVE
    ).exists()


def keeps(org: Org) -> bool:
    """Whether the chart counts under ``org`` (seen whole) are kept per school: not when
    a child on the roll under it is filed under a village (counted afresh)."""
    return org.kind == OrgKind.SCHOOL or not _children_not_at_school(org)


def chart_counts(
    org: Org, *, as_of: dt.date, children: QuerySet[Child], whole: bool = False
) -> Counts:
    """The chart counts of the children under ``org`` that ``children`` holds, summed
    over their schools. ``whole``: ``children`` holds every child under ``org`` (see
    ``sees_whole``); then each school's counts are kept while exact."""
    under = children.filter(org_filter(org))
    if whole and org.kind in (OrgKind.COUNTY, OrgKind.TOWNSHIP, OrgKind.SCHOOL) and keeps(org):
        schools = org_ids_under(org.path, OrgKind.SCHOOL)

        def count(stale: list[int]) -> dict[int, Counts]:
            counted = counts_by_school(under.filter(school__in=stale), as_of=as_of)
            return {school: counted.get(school, Counter()) for school in stale}

        rules = dict.fromkeys(schools, CHART_COUNTING)
        kept = read_through(SchoolChartCounts, schools, as_of=as_of, rules=rules, count=count)
        per_school: dict[int, Counts] = {school: Counter(counts) for school, counts in kept.items()}
    else:
        per_school = counts_by_school(under, as_of=as_of)
    total: Counts = Counter()
    for one in per_school.values():
        total.update(one)
    return total


def keep_all(as_of: dt.date) -> int:
    """Count and keep every county's schools for ``as_of``; returns the schools kept."""
    total = 0
    for county in Org.objects.filter(kind=OrgKind.COUNTY):
        if keeps(county):
            total += len(org_ids_under(county.path, OrgKind.SCHOOL))
            chart_counts(county, as_of=as_of, children=Child.objects.all(), whole=True)
    return total


def purge_kept(as_of: dt.date) -> int:
    """Delete the kept counts of past days (``indicators.kept.purge``)."""
    return purge(SchoolChartCounts, as_of)
