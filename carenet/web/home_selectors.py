"""The first screen's reads: the day's work of each kind of user (issue 17).

Nothing here defines what is due: the working list is ``care.selectors`` (``my_tasks``,
``tasks_for`` up to ``worklist_until``, ``task_counts``, ``mentor_rows``, ``class_rows``),
a complete file is ``indicators.selectors.file_complete``, the figures per school are the
dashboards' (``sub_org_indicators``, ``overdue_per_school``). Every read goes through the
user's scope (``visible_children``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet

from carenet.alerts.selectors import inbox_counts, may_handle_alerts
from carenet.care.models import CareKind
from carenet.care.selectors import (
    SCHOOL,
    VILLAGE,
    GroupRow,
    Task,
    TaskCounts,
    class_rows,
    mentor_rows,
    my_children,
    my_tasks,
    task_counts,
    tasks_for,
    worklist_until,
)
from carenet.childplans.models import IndividualPlan
from carenet.childplans.selectors import open_individual_plans
from carenet.children.access import Permission, grants, visible_children
from carenet.children.models import (
    OUT_OF_SCHOOL_STATES,
    Child,
    ChildStatus,
    FamilyMember,
    GuardianshipQuality,
    Relation,
    RiskLevel,
)
from carenet.children.selectors import CareBy, care_by_filters, schooled_under
from carenet.dashboards.selectors import (
    TeacherRow,
    drill_url,
    indicators_url,
    overdue_per_school,
)
from carenet.indicators.drill import OrgIndicators, sub_org_indicators, summed
from carenet.indicators.selectors import Indicator, children_in_care, file_complete
from carenet.orgs.models import Membership, Org, OrgKind
from carenet.orgs.selectors import AnyUser, org_ids_under

# How many lines each list of the first screen shows before "all N" (the page stays short).
LIST_LENGTH = 10
# The schools shown as behind on a county's first screen.
SCHOOLS_BEHIND = 10

# Guardians recorded as unable to care (监护状况 差 or 无人监护).
UNABLE_GUARDIANSHIP = (GuardianshipQuality.POOR, GuardianshipQuality.NONE)


# --- everyone with a working list: 待办 ----------------------------------------------


@dataclass(frozen=True)
class MyWork:
    """A user's 待办 (我的待办's list and counts), overdue first."""

    tasks: list[Task]
    counts: TaskCounts
    until: dt.date

    @property
    def shown(self) -> list[Task]:
        return self.tasks[:LIST_LENGTH]


def my_work(user: AnyUser, as_of: dt.date) -> MyWork:
    """The user's 待办 on ``as_of``: the same list as 我的待办 (``my_tasks`` up to
    ``worklist_until``)."""
    until = worklist_until(as_of)
    tasks = my_tasks(user, as_of=as_of, until=until)
    return MyWork(tasks, task_counts(tasks, as_of), until)


def recordable_children(user: AnyUser, as_of: dt.date) -> QuerySet[Child]:
    """The children the user records care for (the 记录 tab): their class, mentees and, as
    a village director, the children they care for (``my_children``), on the roll."""
    return (
        my_children(user, as_of)
        .filter(status=ChildStatus.ACTIVE)
        .select_related("school", "school_class", "village")
        .order_by("school_class__path", "name_pinyin", "pk")
    )


# --- a school's leaders: 校长, 德育主任 -------------------------------------------------


@dataclass(frozen=True)
class SchoolWork:
    """A school's overdue work per mentor and per class, its incomplete files and its
    open individual plans."""

    school: Org
    counts: TaskCounts
    by_mentor: list[GroupRow]
    by_class: list[GroupRow]
    files_incomplete: int
    files_in_care: int
    files_url: str
    open_plans: list[IndividualPlan]
    open_plans_count: int


def leads_school(user: AnyUser, membership: Membership | None) -> bool:
    """Whether the first screen is a school's (the membership's row leads school care)."""
    return membership is not None and any(
        m.pk == membership.pk for m, _reach in grants(user, Permission.LEAD_SCHOOL_CARE)
    )


def school_work(user: AnyUser, school: Org, as_of: dt.date) -> SchoolWork:
    """The school's 待办 (the school side, as 我的待办's school view) grouped per mentor
    and class; files of the children in care not complete (建档率's rule); open
    individual plans (个别教育管理方案)."""
    children = visible_children(user)
    tasks = tasks_for(
        children.filter(schooled_under(school)),
        as_of=as_of,
        until=worklist_until(as_of),
        side=SCHOOL,
    )
    in_care = children_in_care(school, as_of=as_of, children=children)
    plans = open_individual_plans(children.filter(schooled_under(school)))
    return SchoolWork(
        school=school,
        counts=task_counts(tasks, as_of),
        by_mentor=mentor_rows(tasks, as_of),
        by_class=class_rows(tasks, as_of),
        files_incomplete=in_care.exclude(file_complete(as_of)).count(),
        files_in_care=in_care.count(),
        files_url=drill_url(school, "filing_rate", as_of, counted=False),
        open_plans=list(plans[:LIST_LENGTH]),
        open_plans_count=plans.count(),
    )


# --- a village director: 村儿童主任 ----------------------------------------------------


def no_able_carer(as_of: dt.date) -> Q:
    """The filter on Child of the children nobody able looks after: nobody responsible for
    daily care (``CareBy.NOBODY``: both parents away with no guardian on file, or the
    parent at home unable), or an entrusted guardian recorded as 差 or 无人监护."""
    unable = FamilyMember.objects.filter(
        child=OuterRef("pk"),
        relation=Relation.GUARDIAN,
        guardianship_quality__in=UNABLE_GUARDIANSHIP,
    )
    return care_by_filters(as_of)[CareBy.NOBODY] | Q(Exists(unable))


@dataclass(frozen=True)
class ChildList:
    """Some children of a first screen's section: the first ``LIST_LENGTH`` and how many."""

    children: list[Child]
    total: int


def _child_list(children: QuerySet[Child]) -> ChildList:
    ordered = children.select_related("school", "school_class", "village").order_by(
        "name_pinyin", "pk"
    )
    return ChildList(list(ordered[:LIST_LENGTH]), children.count())


@dataclass(frozen=True)
class VillageWork:
    village: Org
    without_carer: ChildList
    high_risk: ChildList
    out_of_school: ChildList
    home_visits: list[Task]
    home_visit_counts: TaskCounts


def village_children(user: AnyUser, village: Org) -> QuerySet[Child]:
    """The children on the roll living in the village (or its villages) that the user sees."""
    return visible_children(user).filter(_living_in(village), status=ChildStatus.ACTIVE)


def _living_in(org: Org) -> Q:
    return Q(village__in=org_ids_under(org.path, OrgKind.VILLAGE))


def village_work(
    user: AnyUser, village: Org, as_of: dt.date, mine: MyWork | None = None
) -> VillageWork:
    """The village's children without an able carer, at high risk, out of school, and the
    home visits (家访) of its children that are 待办, whoever does them (the school
    during term, the village director for children not at a school), but for those
    already in the user's own 待办 (``mine``)."""
    children = village_children(user, village)
    done = {(t.child.pk, t.kind) for t in mine.tasks} if mine else set()
    visits = [
        t
        for t in tasks_for(children, as_of=as_of, until=worklist_until(as_of))
        if t.kind == CareKind.HOME_VISIT and (t.child.pk, t.kind) not in done
    ]
    return VillageWork(
        village=village,
        without_carer=_child_list(children.filter(no_able_carer(as_of))),
        high_risk=_child_list(children.filter(risk_level=RiskLevel.HIGH)),
        out_of_school=_child_list(children.filter(schooling__in=OUT_OF_SCHOOL_STATES)),
        home_visits=visits[:LIST_LENGTH],
        home_visit_counts=task_counts(visits, as_of),
    )


# --- a township supervisor: 乡镇儿童督导员 ---------------------------------------------


@dataclass
class VisitRow:
    """The village directors' home visits (家访) 待办 in one village."""

    village: Org
    overdue: int = 0
    due_this_week: int = 0


@dataclass(frozen=True)
class TownshipWork:
    township: Org
    overdue_by_school: list[TeacherRow]
    visits: list[VisitRow]
    rows: list[OrgIndicators] = field(default_factory=list)


def township_work(user: AnyUser, township: Org, as_of: dt.date) -> TownshipWork:
    """Overdue work per school of the township (the dashboard's ``overdue_per_school``,
    from the kept figures: no child's tasks built) and the village directors' home visits
    per village (the village side of ``tasks_for``)."""
    children = visible_children(user)
    rows = sub_org_indicators(township, as_of=as_of, children=children, level=OrgKind.SCHOOL)
    villages = Org.objects.filter(
        pk__in=org_ids_under(township.path, OrgKind.VILLAGE), kind=OrgKind.VILLAGE
    ).order_by("path")
    visits = {v.pk: VisitRow(v) for v in villages}
    tasks = tasks_for(
        children.filter(_living_in(township)),
        as_of=as_of,
        until=worklist_until(as_of),
        side=VILLAGE,
    )
    for task in tasks:
        row = visits.get(task.child.village_id or 0)
        if task.kind != CareKind.HOME_VISIT or row is None:
            continue
        counts = task_counts([task], as_of)
        row.overdue += counts.overdue
        row.due_this_week += counts.due_this_week
    return TownshipWork(
        township=township,
        overdue_by_school=overdue_per_school(township, rows, as_of),
        visits=sorted(visits.values(), key=lambda r: (-r.overdue, -r.due_this_week)),
        rows=rows,
    )


def split_by_township(rows: list, township: Org) -> tuple[list, list]:
    """The home page's rows per school (``org_breakdown``) of a township: its own schools
    first, then the schools elsewhere that children living in the township attend."""
    own = [r for r in rows if r.org.path.startswith(township.path)]
    return own, [r for r in rows if not r.org.path.startswith(township.path)]


# --- a county: 县级管理员 ---------------------------------------------------------------


@dataclass(frozen=True)
class SchoolBehind:
    """A school's indicators under their targets, the furthest behind first."""

    org: Org
    shortfall: float  # the sum of (target − actual) over the indicators under target
    behind: list[Indicator]
    url: str


@dataclass(frozen=True)
class CountyWork:
    county: Org
    indicators: list[Indicator]
    schools_behind: list[SchoolBehind]
    schools_behind_total: int


def _under_target(indicator: Indicator) -> bool:
    return (
        indicator.target is not None
        and indicator.value is not None
        and indicator.value < indicator.target
    )


def schools_behind(rows: list[OrgIndicators], as_of: dt.date) -> list[SchoolBehind]:
    """The schools with an indicator under its target, the largest total shortfall first."""
    found = []
    for row in rows:
        behind = [i for i in row.indicators if _under_target(i)]
        if behind:
            gap = sum((i.target or 0) - (i.value or 0) for i in behind)
            behind.sort(key=lambda i: (i.value or 0) - (i.target or 0))
            found.append(
                SchoolBehind(row.org, round(gap, 1), behind, indicators_url(row.org, as_of))
            )
    found.sort(key=lambda s: (-s.shortfall, s.org.path))
    return found


def county_work(user: AnyUser, county: Org, as_of: dt.date) -> CountyWork:
    """The county's indicators against their targets (the dashboard's figures: the sum of
    the schools') and the schools behind, furthest first."""
    children = visible_children(user)
    rows = sub_org_indicators(county, as_of=as_of, children=children, level=OrgKind.SCHOOL)
    behind = schools_behind(rows, as_of)
    return CountyWork(
        county=county,
        indicators=summed(county, rows, as_of=as_of),
        schools_behind=behind[:SCHOOLS_BEHIND],
        schools_behind_total=len(behind),
    )


# --- whoever handles alerts: 预警待处理 ---------------------------------------------------


@dataclass(frozen=True)
class AlertWork:
    """How many alerts wait in the user's inbox (``alerts.selectors.inbox``), how many
    of them severe."""

    waiting: int
    severe: int


def alert_work(user: AnyUser) -> AlertWork | None:
    """The 预警待处理 card of the first screen; None for users who handle no alerts."""
    if not may_handle_alerts(user):
        return None
    waiting, severe = inbox_counts(user)
    return AlertWork(waiting, severe)
