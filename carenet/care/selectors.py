"""Reads of care work: the plan in force, the records a user may read, due tasks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from dateutil.relativedelta import relativedelta
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from carenet.care import calendar
from carenet.care.models import (
    SCHEDULED_KINDS,
    SCHOOL_SIDE_KINDS,
    CareKind,
    CarePlan,
    CareRecord,
    Frequency,
)
from carenet.care.presets import DEFAULT_PRESET, preset_plan
from carenet.children.models import (
    Child,
    Pairing,
    PairingKind,
    RiskLevel,
    Schooling,
    SchoolingChange,
)
from carenet.children.selectors import (
    left_behind_filter,
    mentee_ids,
    on_roll,
    visible_children,
)
from carenet.orgs.models import Org, OrgKind, Role
from carenet.orgs.selectors import AnyUser, org_ids_under, user_memberships

RISK_ORDER = {RiskLevel.HIGH: 0, RiskLevel.MEDIUM: 1, RiskLevel.LOW: 2}
# Who leads a school's care work (the school view of the working list).
SCHOOL_LEADERS = (Role.PRINCIPAL, Role.SCHOOL_ADMIN)
# Who besides its author may read a confidential record: the school's leadership and its
# counselor (心理辅导教师).
CONFIDENTIAL_READERS = (*SCHOOL_LEADERS, Role.COUNSELOR)


# --- plans ----------------------------------------------------------------------------


def _path_prefixes(path: str) -> list[str]:
    step = Org.steplen
    return [path[:i] for i in range(step, len(path) + 1, step)]


def _default_plan(org: Org, school_year: int) -> CarePlan:
    county = Org(path=org.path[: Org.steplen], code=org.county_code, kind=OrgKind.COUNTY)
    return preset_plan(DEFAULT_PRESET, org=county, school_year=school_year)


def plans_in_force(orgs: Iterable[Org], on: dt.date) -> dict[int, CarePlan]:
    """For each org, the nearest plan up its tree for the school year of ``on`` (else the
    default preset, unsaved). One query whatever the number of orgs."""
    orgs = list(orgs)
    school_year = calendar.school_year_of(on)
    prefixes = {p for org in orgs for p in _path_prefixes(org.path)}
    plans = {
        plan.org.path: plan
        for plan in CarePlan.objects.filter(
            school_year=school_year, org__path__in=prefixes
        ).select_related("org")
    }
    found: dict[int, CarePlan] = {}
    for org in orgs:
        nearest = next((plans[p] for p in reversed(_path_prefixes(org.path)) if p in plans), None)
        found[org.pk] = nearest or _default_plan(org, school_year)
    return found


def plan_in_force(org: Org, on: dt.date) -> CarePlan:
    """The plan that rules an org on a day: the nearest one up the tree for that school
    year, else the county default preset (so the system works with no plan configured)."""
    return plans_in_force([org], on)[org.pk]


# --- due dates ------------------------------------------------------------------------


def _checkpoints(term: tuple[dt.date, dt.date]) -> list[dt.date]:
    """期初、期中、期末: two weeks into the term, its middle, its last day."""
    start, end = term
    return [start + dt.timedelta(days=14), start + (end - start) // 2, end]


def raw_due(frequency: str, last: dt.date | None, as_of: dt.date) -> dt.date | None:
    """The deadline of the next piece of work of a frequency, before any adjustment.

    From the last record, or without one from the start of the term of ``as_of``
    (or the next term's, in a break)."""
    term = calendar.term_on_or_after(as_of)
    anchor = last or term[0]
    if frequency == Frequency.WEEKLY:
        return anchor + dt.timedelta(days=7)
    if frequency == Frequency.BIWEEKLY:
        return anchor + dt.timedelta(days=14)
    if frequency == Frequency.MONTHLY:
        return anchor + relativedelta(months=1)
    if frequency == Frequency.QUARTERLY:
        return anchor + relativedelta(months=3)
    if frequency == Frequency.TERMLY:
        # Once in every term: by the end of the term after the last one (or of this term).
        if last is None:
            return term[1]
        return calendar.next_term(calendar.term_on_or_after(last)[1])[1]
    if frequency == Frequency.TERM_START_MIDDLE_END:
        # A record counts for the checkpoint nearest to it; the one after is due.
        if last is None:
            return _checkpoints(term)[0]
        current = calendar.term_on_or_after(last)
        points = _checkpoints(current) + _checkpoints(calendar.next_term(current[1]))
        done = min(range(len(points) - 1), key=lambda i: abs(points[i] - last))
        return points[done + 1]
    return None


def adjust(due: dt.date, kind: str) -> dt.date:
    """Never due on a holiday or weekend; school-side duties wait for the term."""
    if kind in SCHOOL_SIDE_KINDS:
        return calendar.school_day_on_or_after(due)
    return calendar.next_workday(due)


@lru_cache(maxsize=65536)
def next_due(kind: str, frequency: str, last: dt.date | None, as_of: dt.date) -> dt.date | None:
    # Cached: a pure function of its arguments, called for every child and kind of a
    # school's working list, with few distinct arguments (bench/care_bench.py).
    due = raw_due(frequency, last, as_of)
    return None if due is None else adjust(due, kind)


# How far back ``on_time_from`` looks: beyond every frequency's period (a term and a
# break, at most).
ON_TIME_SEARCH_DAYS = 5 * 366


@lru_cache(maxsize=4096)
def on_time_from(kind: str, frequency: str, as_of: dt.date) -> tuple[dt.date, bool] | None:
    """When a child's task of ``kind`` is not overdue on ``as_of``, as one date: None if
    the frequency schedules nothing, else ``(first, never)``: on time when the child's
    last record of the kind is on or after ``first``, or, with no record of the kind at
    all, when ``never`` is true.

    Exactly ``next_due(kind, frequency, last, as_of) >= as_of``: ``next_due`` does not
    decrease as ``last`` grows (tests/test_indicators_speed.py), so one date splits the
    overdue from the on time, found by bisection. It lets the indicators count on-time
    children with an indexed ``EXISTS`` instead of building every task."""
    without_record = next_due(kind, frequency, None, as_of)
    if without_record is None:
        return None

    def on_time(last: dt.date) -> bool:
        due = next_due(kind, frequency, last, as_of)
        return due is not None and due >= as_of

    low, high = as_of - dt.timedelta(days=ON_TIME_SEARCH_DAYS), as_of
    if on_time(low):
        first = dt.date.min
    else:  # overdue at ``low``, on time at ``high`` (due after the record): bisect
        while high - low > dt.timedelta(days=1):
            middle = low + (high - low) // 2
            if on_time(middle):
                high = middle
            else:
                low = middle
        first = high
    return first, without_record >= as_of


@dataclass(frozen=True)
class Task:
    child: Child
    kind: str
    due_date: dt.date
    overdue: bool

    @property
    def kind_label(self) -> str:
        return str(CareKind(self.kind).label)


def week_end(day: dt.date) -> dt.date:
    """The Sunday of the week of ``day``."""
    return day + dt.timedelta(days=6 - day.weekday())


# The fields of a task's child the working list, the school view, the API and the
# reminders use; any other is loaded on first use. Schools and classes are attached from
# one shared lookup (``_attach_orgs``), not built again for every child.
TASK_CHILD_FIELDS = ("name", "county_code", "risk_level", "status", "school", "school_class")


def care_children(children: QuerySet[Child], as_of: dt.date) -> QuerySet[Child]:
    """The children of a queryset who get care tasks: on the roll and left-behind."""
    # One semi-join on the away periods, not ``with_left_behind``'s four EXISTS and its
    # CASE in WHERE (evaluated for every child of the county before the scope; seconds on
    # PostgreSQL). Only what a task shows: whole files took most of a school's working
    # list (bench/care_bench.py).
    return children.filter(left_behind_filter(as_of), on_roll(as_of)).only(*TASK_CHILD_FIELDS)


def _attach_orgs(kids: list[Child]) -> None:
    """Set each child's school and class from one query, sharing the Org objects."""
    ids = {k.school_id for k in kids} | {k.school_class_id for k in kids}
    orgs = Org.objects.only("name", "code", "path", "kind", "county_code").in_bulk(ids)
    # Cached as ``select_related`` caches them: assigning through the descriptors
    # checked and set the ids again for every child (a tenth of a school's list).
    school, school_class = Child.school.field, Child.school_class.field
    for kid in kids:
        school.set_cached_value(kid, orgs[kid.school_id])
        school_class.set_cached_value(kid, orgs[kid.school_class_id])


def _last_record(kind: str) -> Subquery:
    """The date of the child's last record of ``kind``: one step down the (child, kind,
    date) index, where grouping all of a school's records read every index entry
    (half the time of a school's list: bench/care_bench.py)."""
    records = CareRecord.objects.filter(child=OuterRef("pk"), kind=kind).order_by("-date")
    return Subquery(records.values("date")[:1])


LAST = {kind: f"carenet_last_{kind}" for kind in SCHEDULED_KINDS}


def tasks_for(
    children: QuerySet[Child], *, as_of: dt.date, until: dt.date | None = None
) -> list[Task]:
    """Each care child's next task of each kind the plan at their school schedules.

    ``until`` keeps only tasks due on or before that day. Sorted overdue first, then by
    risk (high first), then by due date. Three queries: the children with the date of
    their last record of each kind, their schools and classes, the plans."""
    kids = care_children(children, as_of).annotate(
        **{LAST[kind]: _last_record(kind) for kind in SCHEDULED_KINDS}
    )
    kids = list(kids)
    # 劝返 duties of the children who dropped out (on the roll, left-behind or not).
    persuade = persuade_back_tasks(children, as_of=as_of, until=until)
    if not kids:
        return _task_order(persuade)
    _attach_orgs(kids)
    schools = {k.school_id: k.school for k in kids}
    plans = plans_in_force(schools.values(), as_of)
    frequencies = {
        school: [(str(kind), plan.frequency(kind), LAST[kind]) for kind in SCHEDULED_KINDS]
        for school, plan in plans.items()
    }
    tasks: list[Task] = []
    append = tasks.append
    for child in kids:
        for kind, frequency, last in frequencies[child.school_id]:
            due = next_due(kind, frequency, getattr(child, last), as_of)
            if due is None or (until is not None and due > until):
                continue
            append(Task(child=child, kind=kind, due_date=due, overdue=due < as_of))
    return _task_order(tasks + persuade)


def _task_order(tasks: list[Task]) -> list[Task]:
    tasks.sort(key=lambda t: (not t.overdue, RISK_ORDER.get(t.child.risk_level, 3), t.due_date))
    return tasks


# --- 劝返 (persuade back): the duty of a child who dropped out -------------------------

# A 劝返 contact is due at once (on the day of the dropout) and then a week after each
# contact, until the child is back (控辍保学: the class teacher, the mentor and the village
# director keep in touch every week). A constant, not a plan frequency: no plan may turn
# it off, and it is not a care kind a plan schedules.
PERSUADE_BACK_EVERY = dt.timedelta(days=7)


def persuade_back_tasks(
    children: QuerySet[Child], *, as_of: dt.date, until: dt.date | None = None
) -> list[Task]:
    """The 劝返 task of each child of ``children`` on the roll who dropped out.

    Due on the day of the latest recorded dropout (``SchoolingChange``; without one, on
    ``as_of``), then ``PERSUADE_BACK_EVERY`` after the latest 劝返 record since, never on
    a holiday. Two queries; none when nobody dropped out."""
    kind = CareKind.PERSUADE_BACK
    dropped = SchoolingChange.objects.filter(
        child=OuterRef("pk"), schooling_to=Schooling.DROPPED_OUT
    ).order_by("-on", "-pk")
    kids = list(
        children.filter(on_roll(as_of), schooling=Schooling.DROPPED_OUT)
        .only(*TASK_CHILD_FIELDS)
        .annotate(
            carenet_dropped_on=Subquery(dropped.values("on")[:1]),
            carenet_last_persuade=_last_record(kind),
        )
    )
    if not kids:
        return []
    _attach_orgs(kids)
    tasks = []
    for child in kids:
        since, last = child.carenet_dropped_on, child.carenet_last_persuade
        if last is not None and (since is None or last >= since):
            due = adjust(last + PERSUADE_BACK_EVERY, kind)
        else:
            due = since or as_of
        if until is not None and due > until:
            continue
        tasks.append(Task(child=child, kind=kind, due_date=due, overdue=due < as_of))
    return tasks


def my_children(user: AnyUser) -> QuerySet[Child]:
    """The visible children a user is class teacher (班主任) or active mentor of, and for a
    village director the children of their villages who dropped out (their 劝返 work)."""
    scope = Q(pk__in=[])
    for membership in user_memberships(user):
        if membership.role == Role.TEACHER and membership.org.kind in (
            OrgKind.CLASS,
            OrgKind.GRADE,
        ):
            scope |= Q(school_class__in=org_ids_under(membership.org.path, OrgKind.CLASS))
        elif membership.role == Role.VILLAGE_DIRECTOR:
            # The village's children who dropped out: the director's 劝返 work.
            villages = org_ids_under(membership.org.path, OrgKind.VILLAGE)
            scope |= Q(village__in=villages, schooling=Schooling.DROPPED_OUT)
    return visible_children(user).filter(scope | Q(pk__in=mentee_ids(user)))


def leads_schools(user: AnyUser) -> bool:
    """A principal or school admin: the working list shows their school per teacher/class."""
    return any(m.role in SCHOOL_LEADERS for m in user_memberships(user))


@dataclass
class GroupRow:
    label: str
    tasks: int = 0
    overdue: int = 0


def group_tasks(tasks: list[Task]) -> tuple[list[GroupRow], list[GroupRow]]:
    """Tasks counted per class and per mentor (代理家长), most overdue first. One query."""
    per_child: dict[int, list] = {}  # child id → [child, tasks, overdue]
    for task in tasks:
        counted = per_child.get(task.child.pk)
        if counted is None:
            counted = per_child[task.child.pk] = [task.child, 0, 0]
        counted[1] += 1
        counted[2] += task.overdue
    # The mentors of the tasks' schools (no list of thousands of child ids to send).
    schools = {child.school_id for child, _tasks, _overdue in per_child.values()}
    mentors = {
        child_id: (f"{first_name} {last_name}".strip() or username)
        for child_id, first_name, last_name, username in Pairing.objects.filter(
            child__school__in=schools,
            kind=PairingKind.MENTOR,
            ended_on__isnull=True,
        ).values_list("child_id", "mentor__first_name", "mentor__last_name", "mentor__username")
    }
    by_class: dict[str, GroupRow] = {}
    by_mentor: dict[str, GroupRow] = {}
    class_labels: dict[tuple[int, int], str] = {}
    unpaired = _("（未结对）")
    for pk, (child, count, overdue) in per_child.items():
        where = (child.school_id, child.school_class_id)
        klass = class_labels.get(where)
        if klass is None:
            klass = class_labels[where] = f"{child.school.name} {child.school_class.name}"
        for groups, key in ((by_class, klass), (by_mentor, mentors.get(pk, unpaired))):
            row = groups.get(key)
            if row is None:
                row = groups[key] = GroupRow(key)
            row.tasks += count
            row.overdue += overdue

    def ordered(groups: dict[str, GroupRow]) -> list[GroupRow]:
        return sorted(groups.values(), key=lambda r: (-r.overdue, r.label))

    return ordered(by_class), ordered(by_mentor)


# --- records --------------------------------------------------------------------------


def may_read_confidential(user: AnyUser, child: Child) -> bool:
    """The school's principal, school admin or counselor (besides each record's author)."""
    school_path = child.school.path
    return any(
        m.role in CONFIDENTIAL_READERS and school_path.startswith(m.org.path)
        for m in user_memberships(user)
    )


def visible_records(user: AnyUser, child: Child) -> QuerySet[CareRecord]:
    """A child's records a user may read, newest first: the child must be visible to
    them, and confidential records (counseling always is) only for their author and the
    school's leadership."""
    if not visible_children(user).filter(pk=child.pk).exists():
        return CareRecord.objects.none()
    records = CareRecord.objects.filter(child=child).select_related("author")
    if not may_read_confidential(user, child):
        records = records.filter(Q(confidential=False) | Q(author_id=user.pk))
    return records.order_by("-date", "-created_at")


# --- who manages and reads plans ------------------------------------------------------

# Roles that configure care plans: the county for the county and its townships and
# schools, a school's leadership for the school.
PLAN_MANAGERS = (Role.COUNTY_ADMIN, *SCHOOL_LEADERS)


def plan_orgs(user: AnyUser) -> QuerySet[Org]:
    """The orgs whose care plan a user may configure (counties, townships, schools)."""
    kinds = (OrgKind.COUNTY, OrgKind.TOWNSHIP, OrgKind.SCHOOL)
    if user.is_authenticated and user.is_superuser:
        return Org.objects.filter(kind__in=kinds).order_by("path")
    scope = Q(pk__in=[])
    for membership in user_memberships(user):
        if membership.role in PLAN_MANAGERS:
            scope |= Q(path__startswith=membership.org.path)
    return Org.objects.filter(scope, kind__in=kinds).order_by("path")


def visible_plans(user: AnyUser) -> QuerySet[CarePlan]:
    """Plans a user may read: those of the orgs they work in, above them (inherited) and
    below them."""
    if user.is_authenticated and user.is_superuser:
        return CarePlan.objects.select_related("org")
    scope = Q(pk__in=[])
    for membership in user_memberships(user):
        path = membership.org.path
        scope |= Q(org__path__startswith=path) | Q(org__path__in=_path_prefixes(path))
    return CarePlan.objects.filter(scope).select_related("org")
