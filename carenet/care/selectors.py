"""Reads of care work: the plan in force, the records a user may read, due tasks."""

from __future__ import annotations

import datetime as dt
import operator
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, reduce

from dateutil.relativedelta import relativedelta
from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from carenet.care import calendar
from carenet.care.models import (
    SCHEDULED_KINDS,
    SCHOOL_SIDE_KINDS,
    VILLAGE_SIDE_KINDS,
    CareGroup,
    CareKind,
    CarePlan,
    CareRecord,
    Frequency,
)
from carenet.care.presets import DEFAULT_PRESET, preset_plan
from carenet.children.access import (
    cared_villages,
    cares_for_villages,
    class_teacher_scope,
    may_read_confidential,
    mentee_ids,
    visible_children,
)
from carenet.children.models import (
    Child,
    Pairing,
    PairingKind,
    RiskLevel,
    Schooling,
    SchoolingChange,
)
from carenet.children.selectors import (
    civil_left_behind_filter,
    left_behind_filter,
    on_roll,
    pairing_in_force,
)
from carenet.lib.names import person_name
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import AnyUser, user_memberships

RISK_ORDER: dict[str, int] = {RiskLevel.HIGH: 0, RiskLevel.MEDIUM: 1, RiskLevel.LOW: 2}


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
    defaults: dict[str, CarePlan] = {}  # one default per county, shared as a saved plan is
    for org in orgs:
        nearest = next((plans[p] for p in reversed(_path_prefixes(org.path)) if p in plans), None)
        if nearest is None:
            county = org.path[: Org.steplen]
            nearest = defaults.get(county)
            if nearest is None:
                nearest = defaults[county] = _default_plan(org, school_year)
        found[org.pk] = nearest
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


def adjust(due: dt.date, kind: str, at_school: bool = True) -> dt.date:
    """Never due on a holiday or weekend; school-side duties wait for the term (not when
    the village director does them: ``at_school`` false)."""
    if at_school and kind in SCHOOL_SIDE_KINDS:
        return calendar.school_day_on_or_after(due)
    return calendar.next_workday(due)


@lru_cache(maxsize=65536)
def next_due(
    kind: str, frequency: str, last: dt.date | None, as_of: dt.date, at_school: bool = True
) -> dt.date | None:
    # Cached: a pure function of its arguments, called for every child and kind of a
    # school's working list, with few distinct arguments (bench/care_bench.py).
    due = raw_due(frequency, last, as_of)
    return None if due is None else adjust(due, kind, at_school)


# How far back ``on_time_from`` looks: beyond every frequency's period (a term and a
# break, at most).
ON_TIME_SEARCH_DAYS = 5 * 366


@lru_cache(maxsize=4096)
def on_time_from(
    kind: str, frequency: str, as_of: dt.date, at_school: bool = True
) -> tuple[dt.date, bool] | None:
    """When a child's task of ``kind`` is not overdue on ``as_of``, as one date: None if
    the frequency schedules nothing, else ``(first, never)``: on time when the child's
    last record of the kind is on or after ``first``, or, with no record of the kind at
    all, when ``never`` is true.

    Exactly ``next_due(kind, frequency, last, as_of) >= as_of``: ``next_due`` does not
    decrease as ``last`` grows (tests/test_indicators_speed.py), so one date splits the
    overdue from the on time, found by bisection. It lets the indicators count on-time
    children with an indexed ``EXISTS`` instead of building every task."""
    without_record = next_due(kind, frequency, None, as_of, at_school)
    if without_record is None:
        return None

    def on_time(last: dt.date) -> bool:
        due = next_due(kind, frequency, last, as_of, at_school)
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


# Who does a task: the school (class teacher, mentor) or the village director.
SCHOOL, VILLAGE = "school", "village"


@dataclass(frozen=True)
class Task:
    child: Child
    kind: str
    due_date: dt.date
    overdue: bool
    side: str = SCHOOL

    @property
    def kind_label(self) -> str:
        return str(CareKind(self.kind).label)


def week_end(day: dt.date) -> dt.date:
    """The Sunday of the week of ``day``."""
    return day + dt.timedelta(days=6 - day.weekday())


# --- 待办: 已逾期 and 本周到期 ----------------------------------------------------------
#
# The one definition of a user's work on a day (``as_of``), for 我的待办, the dashboards'
# per-mentor tables, the reminders and ``GET /api/v1/tasks/due``:
#
# - 已逾期 (overdue): a task due before ``as_of`` (``Task.overdue``);
# - 本周到期 (due this week): due from ``as_of`` to the Sunday of its week
#   (``worklist_until``);
# - 待办 (to do): the two together. A task due after that Sunday is not yet work.

OVERDUE_LABEL = _lazy("已逾期")
DUE_THIS_WEEK_LABEL = _lazy("本周到期")


def worklist_until(as_of: dt.date) -> dt.date:
    """The last due date of 待办 on ``as_of``: the Sunday of its week."""
    return week_end(as_of)


def in_worklist(task: Task, as_of: dt.date) -> bool:
    """Whether a task is 待办 on ``as_of``: overdue or due this week."""
    return task.due_date <= worklist_until(as_of)


@dataclass(frozen=True)
class TaskCounts:
    """The 待办 of some tasks, as 已逾期 and 本周到期."""

    overdue: int
    due_this_week: int

    @property
    def total(self) -> int:
        return self.overdue + self.due_this_week


def task_counts(tasks: Iterable[Task], as_of: dt.date) -> TaskCounts:
    """Count the 待办 among ``tasks`` on ``as_of`` (a task due later is not counted)."""
    overdue = due = 0
    until = worklist_until(as_of)
    for task in tasks:
        if task.due_date < as_of:
            overdue += 1
        elif task.due_date <= until:
            due += 1
    return TaskCounts(overdue, due)


# The fields of a task's child the working list, the school view, the API and the
# reminders use; any other is loaded on first use. Schools, classes and villages are
# attached from one shared lookup (``_attach_orgs``), not built again for every child.
TASK_CHILD_FIELDS = (
    "name",
    "county_code",
    "risk_level",
    "status",
    "school",
    "school_class",
    "village",
)


def care_group_filter(group: str, as_of: dt.date) -> Q:
    """The filter on Child of one care group (``CareGroup``) on ``as_of``."""
    if group == CareGroup.LEFT_BEHIND:
        return left_behind_filter(as_of)
    if group == CareGroup.CIVIL_LEFT_BEHIND:
        return civil_left_behind_filter(as_of)
    return Q(categories__contains=f",{group},")


def care_filter(groups: Iterable[str], as_of: dt.date) -> Q:
    """The children of any of ``groups`` on ``as_of``."""
    return reduce(operator.or_, (care_group_filter(g, as_of) for g in sorted(groups)))


def care_children(
    children: QuerySet[Child],
    as_of: dt.date,
    groups: Iterable[str] = (CareGroup.LEFT_BEHIND,),
) -> QuerySet[Child]:
    """The children of a queryset who may get care tasks: on the roll and in one of the
    care groups (by default left-behind)."""
    # Left-behind alone is one semi-join on the away periods, not ``with_left_behind``'s
    # four EXISTS and its CASE in WHERE (evaluated for every child of the county before
    # the scope; seconds on PostgreSQL). Only what a task shows: whole files took most of
    # a school's working list (bench/care_bench.py).
    return children.filter(care_filter(groups, as_of), on_roll(as_of)).only(*TASK_CHILD_FIELDS)


def _attach_orgs(kids: Sequence[Child]) -> None:
    """Set each child's school, class and village from one query, sharing the Org
    objects (a child not at a school has neither school nor class)."""
    ids = {k.school_id for k in kids} | {k.school_class_id for k in kids}
    ids |= {k.village_id for k in kids}
    ids.discard(None)
    orgs = Org.objects.only("name", "code", "path", "kind", "county_code").in_bulk(ids)
    # Cached as ``select_related`` caches them: assigning through the descriptors
    # checked and set the ids again for every child (a tenth of a school's list).
    fields = (Child.school.field, Child.school_class.field, Child.village.field)
    for kid in kids:
        for field in fields:
            pk = getattr(kid, field.attname)
            field.set_cached_value(kid, None if pk is None else orgs[pk])


def care_unit(child: Child) -> Org | None:
    """The org whose plan rules a child's care: the school, else (a child not at a school)
    the village."""
    return child.school if child.school_id is not None else child.village


def _last_record(kind: str) -> Subquery:
    """The date of the child's last record of ``kind``: one step down the (child, kind,
    date) index, where grouping all of a school's records read every index entry
    (half the time of a school's list: bench/care_bench.py)."""
    records = CareRecord.objects.filter(child=OuterRef("pk"), kind=kind).order_by("-date")
    return Subquery(records.values("date")[:1])


LAST = {kind: f"carenet_last_{kind}" for kind in SCHEDULED_KINDS}
GROUP_FLAG = {group: f"carenet_in_{group}" for group in CareGroup.values}


def duty_side(*, at_school: bool, in_village: bool, kind: str, plan: CarePlan, as_of: dt.date):
    """Who does a child's task of ``kind`` on ``as_of`` (``SCHOOL`` or ``VILLAGE``), or None
    when nobody is scheduled to.

    A child not at a school: the village director, for the village-side kinds only
    (``VILLAGE_SIDE_KINDS``). A school child living in a village: the village director
    for those kinds during the winter and summer breaks when the plan hands them over
    (``CarePlan.holiday_handover``), the school otherwise."""
    if not at_school:
        return VILLAGE if kind in VILLAGE_SIDE_KINDS else None
    if (
        in_village
        and kind in VILLAGE_SIDE_KINDS
        and plan.holiday_handover
        and calendar.term_of(as_of) is None
    ):
        return VILLAGE
    return SCHOOL


def plan_groups_in_use(as_of: dt.date) -> set[frozenset[str]]:
    """The distinct care groups of the plans of the school year of ``as_of`` (and the
    default, for orgs without a plan). One small query."""
    school_year = calendar.school_year_of(as_of)
    found = {frozenset(CarePlan().groups)}
    for groups in (
        CarePlan.objects.filter(school_year=school_year)
        .values_list("care_groups", flat=True)
        .distinct()
    ):
        found.add(frozenset(groups or CarePlan().groups))
    return found


def tasks_for(
    children: QuerySet[Child],
    *,
    as_of: dt.date,
    until: dt.date | None = None,
    side: str | None = None,
) -> list[Task]:
    """Each care child's next task of each kind the plan in force for them schedules:
    the plan at their school, or for a child not at a school at their village.

    A child is a care child when on the roll and in one of that plan's care groups
    (``CarePlan.care_groups``). ``side`` keeps only the tasks of the school or of the
    village director (``duty_side``); ``until`` keeps only tasks due on or before that
    day. Sorted by risk (high first), then overdue first, then by due date. Four
    queries: the plans' care groups, the children with the date of their last record of
    each kind, their orgs, the plans."""
    in_use = plan_groups_in_use(as_of)
    every = frozenset().union(*in_use)
    kids = care_children(children, as_of, every).annotate(
        **{LAST[kind]: _last_record(kind) for kind in SCHEDULED_KINDS}
    )
    if len(in_use) > 1:  # plans differ in whom they care for: each child's groups
        kids = kids.annotate(
            **{
                GROUP_FLAG[group]: ExpressionWrapper(
                    care_group_filter(group, as_of), output_field=BooleanField()
                )
                for group in sorted(every)
            }
        )
    kids = list(kids)
    # 劝返 duties of the children who dropped out (on the roll, left-behind or not).
    persuade = persuade_back_tasks(children, as_of=as_of, until=until)
    if side is not None:
        persuade = [replace(task, side=side) for task in persuade]
    if not kids:
        return _task_order(persuade)
    _attach_orgs(kids)
    units = {unit.pk: unit for unit in map(care_unit, kids) if unit is not None}
    plans = plans_in_force(units.values(), as_of)
    # (unit, at school, living in a village) → [(kind, frequency, last, side)]
    rules: dict[tuple[int, bool, bool], list[tuple[str, str, str, str]]] = {}
    tasks: list[Task] = []
    append = tasks.append
    for child in kids:
        unit = care_unit(child)
        if unit is None:
            continue
        plan = plans[unit.pk]
        if len(in_use) > 1 and not any(getattr(child, GROUP_FLAG[g]) for g in plan.groups):
            continue
        key = (unit.pk, child.school_id is not None, child.village_id is not None)
        kinds = rules.get(key)
        if kinds is None:
            kinds = rules[key] = []
            for kind in SCHEDULED_KINDS:
                owner = duty_side(
                    at_school=key[1], in_village=key[2], kind=kind, plan=plan, as_of=as_of
                )
                if owner is not None and (side is None or owner == side):
                    kinds.append((str(kind), plan.frequency(kind), LAST[kind], owner))
        for kind, frequency, last, owner in kinds:
            due = next_due(kind, frequency, getattr(child, last), as_of, owner == SCHOOL)
            if due is None or (until is not None and due > until):
                continue
            append(Task(child=child, kind=kind, due_date=due, overdue=due < as_of, side=owner))
    return _task_order(tasks + persuade)


def _task_order(tasks: list[Task]) -> list[Task]:
    """The working list's order: children at high risk first, then at medium risk (the
    derived ``Child.risk_level``), then overdue first, then by due date."""
    tasks.sort(key=lambda t: (RISK_ORDER.get(t.child.risk_level, 3), not t.overdue, t.due_date))
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


def _village_scope(user: AnyUser, on: dt.date) -> Q:
    """The children a village director cares for on ``on``: those of their village not at
    a school, and in the winter and summer breaks its school children too (whose
    village-side duties the plan may hand over: ``duty_side``)."""
    ids = cared_villages(user)
    if not ids:
        return Q(pk__in=[])
    villages = Q(village__in=ids)
    in_break = calendar.term_of(on) is None
    # The village's children who dropped out: the director's 劝返 work.
    return (villages if in_break else villages & Q(school__isnull=True)) | (
        villages & Q(schooling=Schooling.DROPPED_OUT)
    )


def my_children(user: AnyUser, on: dt.date | None = None) -> QuerySet[Child]:
    """The visible children a user is class teacher (班主任), active mentor or, as a
    village director, carer of on ``on`` (default today: ``_village_scope``)."""
    on = on or timezone.localdate()
    scope = class_teacher_scope(user) | Q(pk__in=mentee_ids(user)) | _village_scope(user, on)
    return visible_children(user).filter(scope)


def my_tasks(user: AnyUser, *, as_of: dt.date, until: dt.date | None = None) -> list[Task]:
    """A user's working list (我的待办): the school-side tasks of their class and mentees
    and the village-side tasks of the children they care for as a village director, with
    the 劝返 duties of those who dropped out (once, if the user is both). 我的待办, the
    reminders and the API pass ``until=worklist_until(as_of)``: 已逾期 and 本周到期."""
    visible = visible_children(user)
    school = visible.filter(class_teacher_scope(user) | Q(pk__in=mentee_ids(user)))
    tasks = tasks_for(school, as_of=as_of, until=until, side=SCHOOL)
    village = _village_scope(user, as_of)
    if cares_for_villages(user):
        seen = {(t.child.pk, t.kind) for t in tasks}
        found = tasks_for(visible.filter(village), as_of=as_of, until=until, side=VILLAGE)
        tasks = _task_order(tasks + [t for t in found if (t.child.pk, t.kind) not in seen])
    return tasks


@dataclass
class GroupRow:
    """The 待办 of a class, a mentor (``mentor_id``; None: children without one) or a
    school: tasks in all, of which overdue (已逾期); the rest are due this week."""

    label: str
    tasks: int = 0
    overdue: int = 0
    mentor_id: int | None = None

    @property
    def due_this_week(self) -> int:
        return self.tasks - self.overdue


def mentors_of(child_ids: Iterable[int], as_of: dt.date) -> dict[int, tuple[int | None, str]]:
    """Each child's mentor (代理家长) in force on ``as_of``: child id → (user id, name)."""
    return {
        child_id: (mentor_id, person_name(first_name, last_name, username))
        for child_id, mentor_id, first_name, last_name, username in Pairing.objects.filter(
            pairing_in_force(as_of), child__in=list(child_ids), kind=PairingKind.MENTOR
        ).values_list(
            "child_id", "mentor_id", "mentor__first_name", "mentor__last_name", "mentor__username"
        )
    }


def _ordered(groups: dict) -> list[GroupRow]:
    return sorted(groups.values(), key=lambda r: (-r.overdue, r.label))


def mentor_rows(tasks: list[Task], as_of: dt.date) -> list[GroupRow]:
    """The 待办 per mentor (代理家长) of the school-side tasks (the mentor's) among
    ``tasks``, most overdue first; children without a mentor in one row (``mentor_id``
    None). The table of 我的待办's school view and of the dashboards (各代理家长逾期工作):
    a mentor's row there equals the 结对儿童 part of their own 我的待办."""
    work = [t for t in tasks if t.side == SCHOOL and in_worklist(t, as_of)]
    mentors = mentors_of({t.child.pk for t in work}, as_of)
    rows: dict[int | None, GroupRow] = {}
    for task in work:
        mentor_id, name = mentors.get(task.child.pk, (None, ""))
        row = rows.get(mentor_id)
        if row is None:
            row = rows[mentor_id] = GroupRow(name or _("（未结对）"), mentor_id=mentor_id)
        row.tasks += 1
        row.overdue += task.overdue
    return _ordered(rows)


def mentor_tasks(tasks: list[Task], mentor_id: int, as_of: dt.date) -> list[Task]:
    """The tasks behind one mentor's row of ``mentor_rows``: the school-side 待办 among
    ``tasks`` of the children ``mentor_id`` is mentor (代理家长) of on ``as_of``, in the
    order of ``tasks`` (as many as the row counts)."""
    work = [t for t in tasks if t.side == SCHOOL and in_worklist(t, as_of)]
    mentors = mentors_of({t.child.pk for t in work}, as_of)
    return [t for t in work if mentors.get(t.child.pk, (None, ""))[0] == mentor_id]


def class_rows(tasks: list[Task], as_of: dt.date) -> list[GroupRow]:
    """The 待办 per class (or village, for a child not at a school) among ``tasks``, most
    overdue first."""
    rows: dict[str, GroupRow] = {}
    labels: dict[tuple[int | None, int | None, int | None], str] = {}
    for task in tasks:
        if not in_worklist(task, as_of):
            continue
        child = task.child
        where = (child.school_id, child.school_class_id, child.village_id)
        label = labels.get(where)
        if label is None:
            label = labels[where] = child.place_label
        row = rows.get(label)
        if row is None:
            row = rows[label] = GroupRow(label)
        row.tasks += 1
        row.overdue += task.overdue
    return _ordered(rows)


def group_tasks(tasks: list[Task], as_of: dt.date) -> tuple[list[GroupRow], list[GroupRow]]:
    """The 待办 of ``tasks`` per class and per mentor (代理家长), most overdue first."""
    return class_rows(tasks, as_of), mentor_rows(tasks, as_of)


# --- records --------------------------------------------------------------------------


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


def record_by_client_key(author: AnyUser, client_key: uuid.UUID) -> CareRecord | None:
    """The record ``author`` sent under an idempotency key (keys are per author)."""
    return (
        CareRecord.objects.filter(author_id=author.pk, client_key=client_key)
        .select_related("author")
        .first()
    )


# --- who reads plans ------------------------------------------------------------------


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
