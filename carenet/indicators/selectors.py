"""Indicators (KPIs, 工作指标) of an org on a day, computed from the records.

Who is counted: children on the roll on ``as_of`` (``children.selectors.on_roll``:
active, or left the roll after that day), under the org, and

- for the care-work indicators (谈心/家访/联系家长完成率, ``TASK_KINDS``): in one of
  the care groups of the plan in force for their unit (``CarePlan.care_groups``: the
  left-behind, 困境儿童, 特困生, …) — exactly the children the working list schedules
  (``care.selectors.tasks_for``);
- for every other indicator ("children in care", ``children_in_care``): left-behind on
  ``as_of`` (a father or mother away ≥ 3 months, ``left_behind_filter``).

``counted_children`` holds both (left-behind, or in a care group of a plan in use).
Under the org means:

- a county, township or school: children whose *school* is under it, and under a county
  or township also the children not at a school (aged 0–5, out of school, taught at
  home) filed under a village under it. Counting by school (not "school or village of
  residence") is what makes the figures add up: each child has exactly one school or,
  not at a school, one village — their *unit* — so the units' numerators and
  denominators sum to their township's and their county's; a pupil living in another
  township's village would otherwise be counted twice.
- a grade or class: children whose class is under it;
- a village: children whose village of residence is under it (whatever their school).

``children`` restricts the base further (the API passes ``visible_children(user)``).

Speed: the figures are counted per unit (school, or village for the children not at a
school; called "school" below) in one grouped query (``counts_by_school``),
task completion included (an indexed ``EXISTS`` per kind, ``care.selectors.on_time_from``,
instead of building every task). For a county, township or school seen whole, each
school's counts are kept in ``SchoolFigures`` (``carenet.indicators.figures``) and only
the schools changed since are counted again; the kept counts always equal a count from
scratch (tests/test_indicators_speed.py).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carenet.care.models import CareGroup, CareKind, CarePlan, CareRecord
from carenet.care.selectors import (
    SCHOOL,
    care_filter,
    duty_side,
    on_time_from,
    plan_groups_in_use,
    plan_in_force,
    plans_in_force,
)
from carenet.children.models import (
    OUT_OF_SCHOOL_STATES,
    AwayPeriod,
    Child,
    ChildStatus,
    FamilyMember,
    Immunization,
    Pairing,
    PairingKind,
    Relation,
    Schooling,
)
from carenet.children.selectors import (
    CareBy,
    care_by_filters,
    left_behind_filter,
    on_roll,
    parent_away_filter,
    schooled_under,
)
from carenet.children.services import LEAVE_SCHOOLING
from carenet.lib.db import without_jit
from carenet.orgs.models import Org, OrgKind
from carenet.support.models import LegalAidCase, ParentSchoolAttendance, ParentSchoolSession
from carenet.support.selectors import (
    guardian_attended,
    has_guardian,
    legal_aid_eligible,
    legal_aid_given,
)

# School age (学龄): 6 to 15 full years on ``as_of`` — the years of compulsory education.
SCHOOL_AGE_FROM = 6
SCHOOL_AGE_UNTIL = 16

LABELS: dict[str, Promise] = {
    "filing_rate": _("建档率"),
    "enrollment_rate": _("入学率"),
    "retention_rate": _("巩固率"),
    "immunization_rate": _("计划免疫接种率"),
    "legal_aid_rate": _("法律援助率"),
    "parent_education_rate": _("家长家教知识普及率"),
    "mentor_coverage": _("代理家长结对率"),
    "talk_completion": _("谈心完成率"),
    "home_visit_completion": _("家访完成率"),
    "parent_call_completion": _("联系家长完成率"),
}
KEYS = tuple(LABELS)
# What each indicator counts over what, in one sentence: shown next to the indicator
# and at the top of its drill-down (the rules are ``indicators_for``'s).
DEFINITIONS: dict[str, Promise] = {
    "filing_rate": _(
        "档案完整的留守儿童数 ÷ 在册留守儿童数；档案完整指儿童本人信息齐全、外出的父母有"
        "姓名，且负责日常照料的人（委托监护人，未委托时为在家的父亲或母亲）有姓名和联系电话。"
    ),
    "enrollment_rate": _("在校的学龄（6–15周岁）留守儿童数 ÷ 学龄留守儿童数。"),
    "retention_rate": _("未辍学、未不在学的留守儿童数 ÷ 在册留守儿童数（按当前就学状态计）。"),
    "immunization_rate": _(
        "计划免疫接种已完成的留守儿童数 ÷ 在册留守儿童数（接种情况不明的按未完成计）。"
    ),
    "legal_aid_rate": _(
        "已获法律援助的留守儿童数 ÷ 近12个月内（或仍未结案）有符合援助条件案件的留守儿童数。"
    ),
    "parent_education_rate": _(
        "委托监护人本学年参加过家长学校的留守儿童数 ÷ 登记了委托监护人的留守儿童数。"
    ),
    "mentor_coverage": _("统计日有代理家长结对的留守儿童数 ÷ 在册留守儿童数。"),
    "talk_completion": _("谈心未逾期的儿童数 ÷ 关爱计划安排谈心的儿童数。"),
    "home_visit_completion": _("家访未逾期的儿童数 ÷ 关爱计划安排家访的儿童数。"),
    "parent_call_completion": _("联系家长未逾期的儿童数 ÷ 关爱计划安排联系家长的儿童数。"),
}
# Task-completion indicators: key → the care kind whose tasks they count.
TASK_KINDS = {
    "talk_completion": CareKind.TALK,
    "home_visit_completion": CareKind.HOME_VISIT,
    "parent_call_completion": CareKind.PARENT_CALL,
}


@dataclass(frozen=True)
class Indicator:
    key: str
    label: Promise
    numerator: int
    denominator: int
    value: float | None  # percentage, 1 decimal; None when the denominator is 0
    target: float | None  # the plan's target percentage, None if the plan sets none

    @property
    def definition(self) -> Promise:
        """What the indicator counts over what, in Chinese (``DEFINITIONS``)."""
        return DEFINITIONS[self.key]


def percentage(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    return round(100 * numerator / denominator, 1)


def org_filter(org: Org) -> Q:
    """The filter on Child of the children under an org, as the indicators count them:
    by school (``children.selectors.schooled_under``)."""
    return schooled_under(org)


def unit_filter(units: list[int]) -> Q:
    """The children whose unit (school, or village for a child not at a school) is one of
    ``units``."""
    return Q(school__in=units) | Q(school__isnull=True, village__in=units)


def children_in_care(
    org: Org, *, as_of: dt.date, children: QuerySet[Child] | None = None
) -> QuerySet[Child]:
    """The base of the left-behind indicators (all but the care-work ones): on the roll on
    ``as_of`` (``on_roll``: a child who left counts until the day before), left-behind
    on ``as_of`` (education-register definition), under ``org``."""
    base = Child.objects.all() if children is None else children
    return base.filter(org_filter(org), left_behind_filter(as_of), on_roll(as_of))


def counted_groups(as_of: dt.date) -> frozenset[str]:
    """The care groups of the plans in use on ``as_of`` (``plan_groups_in_use``) and the
    left-behind: whoever any indicator may count."""
    return frozenset({CareGroup.LEFT_BEHIND}).union(*plan_groups_in_use(as_of))


def counted_children(
    org: Org, *, as_of: dt.date, children: QuerySet[Child] | None = None
) -> QuerySet[Child]:
    """The children any indicator of ``org`` may count on ``as_of``: on the roll, under
    ``org``, left-behind or in a care group of a plan in use (``counted_groups``). The
    care-work indicators count those of them in their own unit's plan groups
    (``tasks_for`` over this base gives exactly their tasks); the others the
    left-behind (``children_in_care``)."""
    base = Child.objects.all() if children is None else children
    return base.filter(org_filter(org), care_filter(counted_groups(as_of), as_of), on_roll(as_of))


def _member_named(relation: str, *, with_phone: bool = False) -> Q:
    members = FamilyMember.objects.filter(child=OuterRef("pk"), relation=relation).exclude(name="")
    if with_phone:
        # Encrypted, but an empty phone is stored empty: this comparison is exact.
        members = members.exclude(phone="")
    return Q(Exists(members))


def _member_with_phone(relation: str) -> Q:
    members = FamilyMember.objects.filter(child=OuterRef("pk"), relation=relation)
    return Q(Exists(members.exclude(phone="")))


@dataclass(frozen=True)
class FilingItem:
    """One item a complete file needs: ``missing`` keeps the children without it, and
    ``label`` says so in Chinese (the reason a child is not counted by 建档率)."""

    key: str
    label: Promise
    missing: Q


# For each person who cares for the child (``care_by_filters``), what the file needs of
# them: (key, label when missing, the filter of the children who have it). A child cared
# for by nobody lacks the guardian itself.
_CARER_NEEDS: dict[CareBy, tuple[tuple[str, Promise, Q], ...]] = {
    CareBy.GUARDIAN: (
        ("guardian_name", _("缺少委托监护人姓名"), _member_named(Relation.GUARDIAN)),
        ("guardian_phone", _("缺少委托监护人联系电话"), _member_with_phone(Relation.GUARDIAN)),
    ),
    CareBy.FATHER: (
        ("father_home_name", _("缺少在家父亲的姓名"), _member_named(Relation.FATHER)),
        ("father_home_phone", _("缺少在家父亲的联系电话"), _member_with_phone(Relation.FATHER)),
    ),
    CareBy.MOTHER: (
        ("mother_home_name", _("缺少在家母亲的姓名"), _member_named(Relation.MOTHER)),
        ("mother_home_phone", _("缺少在家母亲的联系电话"), _member_with_phone(Relation.MOTHER)),
    ),
    CareBy.PARENTS: (
        (
            "parents_phone",
            _("缺少父亲或母亲的姓名和联系电话"),
            _member_named(Relation.FATHER, with_phone=True)
            | _member_named(Relation.MOTHER, with_phone=True),
        ),
    ),
    CareBy.NOBODY: (
        ("guardian", _("缺少委托监护人（父母均外出或在家一方无监护能力）"), Q(pk__in=[])),
    ),
}


def _own_items(as_of: dt.date) -> list[FilingItem]:
    """The items of a complete file about the child and the parents away."""
    father_away = parent_away_filter(Relation.FATHER, as_of)
    mother_away = parent_away_filter(Relation.MOTHER, as_of)
    return [
        FilingItem("name", _("缺少姓名"), Q(name="")),
        # Encrypted, but an empty ID number is stored empty: this comparison is exact.
        FilingItem("id_number", _("缺少身份证号"), Q(id_number="")),
        FilingItem("gender", _("缺少性别"), Q(gender="")),
        FilingItem("birth_date", _("缺少出生日期"), Q(birth_date__isnull=True)),
        FilingItem("class", _("缺少班级"), Q(school__isnull=False, school_class__isnull=True)),
        # A child not at a school is filed under the village they live in.
        FilingItem("village", _("缺少现居住村"), Q(school__isnull=True, village__isnull=True)),
        FilingItem(
            "residence",
            _("缺少现居住村或详细住址"),
            Q(school__isnull=False, village__isnull=True, residence_address=""),
        ),
        FilingItem(
            "father_name", _("缺少外出父亲的姓名"), father_away & ~_member_named(Relation.FATHER)
        ),
        FilingItem(
            "mother_name", _("缺少外出母亲的姓名"), mother_away & ~_member_named(Relation.MOTHER)
        ),
    ]


def filing_items(as_of: dt.date) -> list[FilingItem]:
    """What a complete file (建档) needs on ``as_of``, item by item — the one rule of
    建档率: ``file_complete`` keeps the children missing none of them, and the drill-down
    lists the items each child not counted misses (``filing_gaps``).

    档案完整（建档）：

    - 儿童本人：姓名、身份证号、性别、出生日期；在校的有班级，并有现居住村或详细住址；
      不在校的（按村建档）有现居住村；
    - 外出（满3个月）的父亲、母亲有姓名；
    - 负责日常照料的人有姓名和联系电话（``care_by_filters``，与统计表“按监护情况”同一
      口径）：登记了委托监护人的，为委托监护人；未登记委托监护人、父母一方外出、另一方
      在家且具备监护能力的，为在家的父亲或母亲（“父（母）一方监护”，无须另登记委托
      监护人）；父母都不在外的，为父亲或母亲之一；父母均外出或在家一方无监护能力而未
      登记委托监护人的，缺少委托监护人。
    """
    items = _own_items(as_of)
    for care, q in care_by_filters(as_of).items():
        for key, label, has in _CARER_NEEDS[care]:
            items.append(FilingItem(key, label, q & ~has))
    return items


def file_complete(as_of: dt.date) -> Q:
    """The filter on Child of a complete file (建档) on ``as_of``: no item of
    ``filing_items`` missing. Written as the child's own items and, for the person who
    cares for the child, all their needs met (the same ``_CARER_NEEDS``: one semi-join
    per need instead of one per missing item)."""
    complete = Q()
    for item in _own_items(as_of):
        complete &= ~item.missing
    carers = Q(pk__in=[])
    for care, q in care_by_filters(as_of).items():
        needs = _CARER_NEEDS[care]
        if care == CareBy.NOBODY:
            continue  # nobody to reach: never complete
        met = q
        for _key, _label, has in needs:
            met &= has
        carers |= met
    return complete & carers


def filing_gaps(children: QuerySet[Child], as_of: dt.date) -> dict[int, list[str]]:
    """The items of ``filing_items`` each child of ``children`` (a page: the query
    evaluates every item for each) misses, as Chinese labels in the rule's order; a
    child with a complete file maps to an empty list."""
    items = filing_items(as_of)
    flags = {
        f"gap_{n}": ExpressionWrapper(item.missing, output_field=BooleanField())
        for n, item in enumerate(items)
    }
    rows = children.order_by().annotate(**flags).values("pk", *flags)
    return {
        row["pk"]: [str(item.label) for n, item in enumerate(items) if row[f"gap_{n}"]]
        for row in rows
    }


def school_age(as_of: dt.date) -> Q:
    """6 to 15 full years old on ``as_of``."""
    return Q(
        birth_date__lte=as_of - relativedelta(years=SCHOOL_AGE_FROM),
        birth_date__gt=as_of - relativedelta(years=SCHOOL_AGE_UNTIL),
    )


def enrolled(as_of: dt.date) -> Q:
    """Enrolled (在校) on ``as_of``. A child who left the roll after that day was enrolled
    then if leaving is what set their schooling (graduated, transferred: ``LEAVE_SCHOOLING``):
    the days before they left keep the figures they had."""
    return Q(schooling=Schooling.ENROLLED) | Q(
        status=ChildStatus.LEFT,
        left_on__gt=as_of,
        schooling__in=sorted(set(LEAVE_SCHOOLING.values())),
    )


def retained() -> Q:
    """Kept in schooling (巩固率's numerator): neither dropped out nor out of school (the
    2016 form's 不在学, ``OUT_OF_SCHOOL_STATES``); a child not yet of school age counts."""
    return ~Q(schooling__in=OUT_OF_SCHOOL_STATES)


def mentored(as_of: dt.date) -> Q:
    """A mentor (代理家长) pairing in force on ``as_of``."""
    return Q(
        Exists(
            Pairing.objects.filter(
                child=OuterRef("pk"), kind=PairingKind.MENTOR, started_on__lte=as_of
            ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=as_of))
        )
    )


# Every table whose rows the counts of a unit are made from — ``counts_by_school`` here
# and the dashboards' — and how a changed row names the units whose counts it changes:
#
# - ``UNIT``: the row is a child: their school and their village (a child not at a
#   school is counted under their village; a child who moves, under both the old and
#   the new);
# - ``CHILD``: the row belongs to a child through ``child_id``: the child's unit;
# - ``MEMBER``: the row belongs to a family member through ``member_id``: their child's;
# - ``COUNTY``: the row belongs to a county through ``county_code`` (a parent-school
#   session moved to another day changes its attendees' counts): every unit of it.
#
# The database triggers that bump the units' versions (``UnitVersion``) are generated
# from this (``triggers.py``), so a kept count (``kept.py``) is valid only while none of
# these rows changed. A count that reads another table must declare it here:
# tests/test_kept_counts.py captures the counting queries and fails on a table read that
# is neither declared nor listed as unable to change a count (``NOT_COUNTED_TABLES``).
UNIT, CHILD, MEMBER, COUNTY = "unit", "child", "member", "county"
COUNTED_TABLES: dict[str, str] = {
    Child._meta.db_table: UNIT,
    FamilyMember._meta.db_table: CHILD,
    AwayPeriod._meta.db_table: CHILD,
    Pairing._meta.db_table: CHILD,
    CareRecord._meta.db_table: CHILD,
    LegalAidCase._meta.db_table: CHILD,
    ParentSchoolAttendance._meta.db_table: MEMBER,
    ParentSchoolSession._meta.db_table: COUNTY,
}
# Tables the counting reads that cannot change a kept count, with the reason.
NOT_COUNTED_TABLES: dict[str, str] = {
    Org._meta.db_table: "the units themselves: an org's place and kind; a school moved to "
    "another township keeps its own counts",
    CarePlan._meta.db_table: "the plan in force: its rules and care groups are part of "
    "each kept row's stamp (``figures._stamp``)",
}


# The counts behind the indicators, per school: the base filters and, for each task
# kind, the children it is due for and those on time.
BASE_COUNTS = (
    "in_care",
    "filed",
    "school_age",
    "enrolled",
    "retained",
    "immunized",
    "mentored",
    "aid_eligible",
    "aid_given",
    "with_guardian",
    "guardian_attended",
)
COUNT_NAMES = (
    *BASE_COUNTS,
    *(f"{key}_{part}" for key in TASK_KINDS for part in ("due", "done")),
)
Counts = dict[str, int]


def _on_time(kind: str, rule: tuple[dt.date, bool]) -> Q:
    """The children whose task of ``kind`` is not overdue (``on_time_from``'s rule)."""
    first, never = rule
    records = CareRecord.objects.filter(child=OuterRef("pk"), kind=kind)
    on_time = Q(Exists(records.filter(date__gte=first)))
    if never:
        on_time |= ~Q(Exists(records))
    return on_time


Rule = tuple[dt.date, bool] | None


def plan_rules(
    plan: CarePlan, as_of: dt.date, *, at_school: bool = True
) -> dict[str, tuple[Rule, Rule]]:
    """For each task kind the indicators count, when it is on time under ``plan`` for the
    children of a school (``at_school``) or a village: a pair, for the children without
    and with a village of residence (who does the task, and so when it is due, may
    differ: ``care.selectors.duty_side``). None where the kind is not scheduled."""
    rules: dict[str, tuple[Rule, Rule]] = {}
    for kind in TASK_KINDS.values():
        pair = []
        for in_village in (False, True):
            side = duty_side(
                at_school=at_school, in_village=in_village, kind=kind, plan=plan, as_of=as_of
            )
            frequency = plan.frequency(kind)
            pair.append(
                None if side is None else on_time_from(kind, frequency, as_of, side == SCHOOL)
            )
        rules[kind] = (pair[0], pair[1])
    return rules


def unit_rules(
    plans: dict[int, CarePlan], as_of: dt.date
) -> dict[int, dict[str, tuple[Rule, Rule]]]:
    """``plan_rules`` of each unit (school or village) of ``plans``."""
    return {
        unit: plan_rules(
            plan, as_of, at_school=getattr(plan, "unit_kind", OrgKind.SCHOOL) != OrgKind.VILLAGE
        )
        for unit, plan in plans.items()
    }


def _count(q: Q) -> Count:
    return Count("pk", filter=q) if q else Count("pk")


def counted(counts: Counts) -> bool:
    """Whether a unit's counts count anybody (a child in care, or a care task due)."""
    return bool(counts["in_care"]) or any(counts[f"{key}_due"] for key in TASK_KINDS)


def counts_by_school(
    base: QuerySet[Child], *, as_of: dt.date, plans: dict[int, CarePlan]
) -> dict[int, Counts]:
    """The counts of the children of ``base`` (``counted_children``, or a subset of it)
    per unit (school, or village), in one grouped query; ``plans`` maps unit ids to the
    plan in force there (a unit of ``base`` missing from it is looked up). Units that
    count nobody (``counted``) are left out.

    ``in_care`` and the other ``BASE_COUNTS`` count the left-behind children. The task
    counts are the same figures as counting every child's ``tasks_for``: a kind is due
    for a child in one of their unit's plan's care groups when that plan schedules it,
    and done when that task is not overdue on ``as_of``."""
    rules = unit_rules(plans, as_of)
    every = counted_groups(as_of)
    # The base holds only children of ``every``: a filter by all of them is no filter.
    left_behind = Q() if every == {CareGroup.LEFT_BEHIND} else left_behind_filter(as_of)

    def group_filter(groups: frozenset[str]) -> Q:
        return Q() if groups >= every else care_filter(groups, as_of)

    age = school_age(as_of)
    columns = {
        "in_care": _count(left_behind),
        "filed": _count(left_behind & file_complete(as_of)),
        "school_age": _count(left_behind & age),
        "enrolled": _count(left_behind & age & enrolled(as_of)),
        "retained": _count(left_behind & retained()),
        "immunized": _count(left_behind & Q(immunization=Immunization.COMPLETE)),
        "mentored": _count(left_behind & mentored(as_of)),
        "aid_eligible": _count(left_behind & legal_aid_eligible(as_of)),
        "aid_given": _count(left_behind & legal_aid_given(as_of)),
        "with_guardian": _count(left_behind & has_guardian()),
        "guardian_attended": _count(left_behind & guardian_attended(as_of)),
    }
    # One column per distinct (care groups, children without / with a village / all) —
    # the children a kind is due for — and per distinct (kind, rule, …) — those on time.
    # Few: plans seldom differ, and a break hands the village-side kinds of the children
    # living in a village over (two rules for one unit).
    villages = {None: Q(), False: Q(village__isnull=True), True: Q(village__isnull=False)}
    names: dict[tuple, str] = {}

    def column(key: tuple, q: Q) -> str:
        if key not in names:
            names[key] = f"c_{len(names)}"
            columns[names[key]] = _count(q)
        return names[key]

    # unit → kind → [(due column, done column)]
    parts: dict[int, dict[str, list[tuple[str, str]]]] = {}
    for unit, plan in plans.items():
        groups = plan.groups
        in_groups = group_filter(groups)
        parts[unit] = {}
        for kind in TASK_KINDS.values():
            without, with_village = rules[unit][kind]
            split: list[tuple[Any, bool | None]] = (
                [(without, None)] if without == with_village else []
            )
            split = split or [(without, False), (with_village, True)]
            parts[unit][kind] = [
                (
                    column(("due", groups, village), in_groups & villages[village]),
                    column(
                        ("done", kind, rule, village, groups),
                        _on_time(kind, rule) & villages[village] & in_groups,
                    ),
                )
                for rule, village in split
                if rule is not None
            ]
    with without_jit():
        rows: list[Any] = list(  # dicts: the unit, then the **columns
            base.values(unit=Coalesce("school_id", "village_id")).annotate(**columns).order_by()
        )
    missing = {row["unit"] for row in rows} - set(plans)
    if missing:  # a school outside the plans given (a child schooled in another county)
        outside = list(Org.objects.filter(pk__in=missing))
        more = _marked(plans_in_force(outside, as_of), outside)
        return counts_by_school(base, as_of=as_of, plans=plans | more)
    found: dict[int, Counts] = {}
    for row in rows:
        unit = row["unit"]
        counts = {name: row[name] for name in BASE_COUNTS}
        for key, kind in TASK_KINDS.items():
            pairs = parts[unit][kind]
            counts[f"{key}_due"] = sum(row[due] for due, _done in pairs)
            counts[f"{key}_done"] = sum(row[done] for _due, done in pairs)
        if counted(counts):
            found[unit] = counts
    return found


def school_plans(org: Org, as_of: dt.date) -> dict[int, CarePlan]:
    """The plan in force at each unit (school, or village) of ``org``'s county (one query
    each). Each plan is marked with its unit's kind (``unit_kind``)."""
    county = org.path[: Org.steplen]
    units = Org.objects.filter(
        kind__in=(OrgKind.SCHOOL, OrgKind.VILLAGE), path__startswith=county
    ).only("path", "code", "kind", "county_code")
    return _marked(plans_in_force(units, as_of), units)


def _marked(plans: dict[int, CarePlan], units: Iterable[Org]) -> dict[int, CarePlan]:
    """``plans`` (unit id → plan) with each plan's ``unit_kind`` set; a plan shared by
    several units is copied for those of another kind."""
    kinds = {unit.pk: unit.kind for unit in units}
    marked: dict[int, CarePlan] = {}
    for unit, plan in plans.items():
        kind = kinds.get(unit, OrgKind.SCHOOL)
        if getattr(plan, "unit_kind", kind) != kind:
            plan = copy.copy(plan)
        plan.unit_kind = kind  # type: ignore[attr-defined]  # marks this (copied) plan
        marked[unit] = plan
    return marked


def _fractions(counts: Counts) -> dict[str, tuple[int, int]]:
    in_care = counts["in_care"]
    fractions = {
        "filing_rate": (counts["filed"], in_care),
        "enrollment_rate": (counts["enrolled"], counts["school_age"]),
        "retention_rate": (counts["retained"], in_care),
        "immunization_rate": (counts["immunized"], in_care),
        "legal_aid_rate": (counts["aid_given"], counts["aid_eligible"]),
        "parent_education_rate": (counts["guardian_attended"], counts["with_guardian"]),
        "mentor_coverage": (counts["mentored"], in_care),
    }
    for key in TASK_KINDS:
        fractions[key] = (counts[f"{key}_done"], counts[f"{key}_due"])
    return fractions


def indicators_from(fractions: Mapping[str, Sequence[int]], targets: dict) -> list[Indicator]:
    """The indicators of every key from (numerator, denominator) pairs (a missing key is
    0 / 0) and a plan's targets."""
    indicators = []
    for key in KEYS:
        numerator, denominator = fractions.get(key, (0, 0))
        target = targets.get(key)
        indicators.append(
            Indicator(
                key=key,
                label=LABELS[key],
                numerator=numerator,
                denominator=denominator,
                value=percentage(numerator, denominator),
                target=None if target is None else float(target),
            )
        )
    return indicators


def _indicators(counts: Counts, targets: dict) -> list[Indicator]:
    return indicators_from(_fractions(counts), targets)


def _sum(counts: Iterable[Counts]) -> Counts:
    total = dict.fromkeys(COUNT_NAMES, 0)
    for one in counts:
        for name in COUNT_NAMES:
            total[name] += one[name]
    return total


def _sees_whole(org: Org, children: QuerySet[Child] | None, as_of: dt.date) -> bool:
    """Whether ``children`` holds every child on the roll on ``as_of`` under ``org`` (two
    index counts: a subset as big as the whole is the whole)."""
    if children is None:
        return True
    under = org_filter(org) & on_roll(as_of)
    return children.filter(under).count() == Child.objects.filter(under).count()


def counts_for(
    org: Org, *, as_of: dt.date, children: QuerySet[Child] | None = None
) -> dict[int, Counts]:
    """The counts of ``org``'s children in care per school. A county, township or school
    seen whole comes from the kept figures (``figures.school_counts``); anything else
    (a class, a village, a partial view) is counted from scratch."""
    from carenet.indicators.figures import school_counts

    if org.kind in (OrgKind.COUNTY, OrgKind.TOWNSHIP, OrgKind.SCHOOL) and _sees_whole(
        org, children, as_of
    ):
        return school_counts(org, as_of=as_of)
    base = counted_children(org, as_of=as_of, children=children)
    return counts_by_school(base, as_of=as_of, plans=school_plans(org, as_of))


def indicators_for(
    org: Org, *, as_of: dt.date, children: QuerySet[Child] | None = None
) -> list[Indicator]:
    """The indicators of ``org`` on ``as_of``: the care-work ones over the children their
    plans schedule care for, the others over the children in care (left-behind).

    - ``filing_rate`` (建档率): children in care whose file is complete
      (``file_complete``) / children in care.
    - ``enrollment_rate`` (入学率): school-age children (``school_age``) whose schooling
      is "enrolled" / school-age children in care.
    - ``retention_rate`` (巩固率): properly, pupils enrolled at the start of the school
      year who are still enrolled. Schooling has no history yet, so this is approximated
      by the present state: children in care whose schooling is neither "dropped out"
      nor "out of school" (``retained``) / children in care.
    - ``immunization_rate`` (计划免疫接种率): immunization "complete" / children in care
      ("unknown" counts as not complete).
    - ``mentor_coverage`` (代理家长结对率): children in care with a mentor pairing in force
      on ``as_of`` / children in care (all of whom are left-behind).
    - ``talk_completion``, ``home_visit_completion``, ``parent_call_completion``: children
      whose next task of that kind (``tasks_for``) is not overdue on ``as_of`` / children
      whose plan schedules that kind for them: on the roll, under ``org`` and in one of
      the care groups of the plan in force for their unit (``CarePlan.care_groups``; the
      left-behind or not — a 特困生 when the plan names 特困生). An overdue task counts
      as not done.
    - ``legal_aid_rate`` (法律援助): children in care with an eligible legal-aid case
      (``carenet.support.selectors.legal_aid_eligible``: opened in the 12 months up to
      ``as_of`` or still open) that got legal aid by ``as_of`` / children in care with
      such a case.
    - ``parent_education_rate`` (家长家教知识普及率): children in care whose entrusted
      guardian attended a parent-school session in the school year up to ``as_of`` /
      children in care with a guardian on file (one guardian per child, so the figures
      add up like the others).

    ``target`` is the plan in force at the org's target for the key, None if it sets
    none. The counts come per school from ``counts_for`` and are summed.
    """
    counts = _sum(counts_for(org, as_of=as_of, children=children).values())
    return _indicators(counts, plan_in_force(org, as_of).targets or {})


def indicators_by_school(
    org: Org, *, as_of: dt.date, children: QuerySet[Child] | None = None
) -> dict[int, list[Indicator]]:
    """The indicators of each school with children in care under ``org`` (school id →
    indicators, as ``indicators_for`` of that school would give them over the same
    children), from the same counts as ``indicators_for(org)``: they add up to it."""
    counts = counts_for(org, as_of=as_of, children=children)
    schools = Org.objects.only("path", "code", "kind", "county_code").filter(pk__in=counts)
    plans = plans_in_force(schools, as_of)
    return {school: _indicators(one, plans[school].targets or {}) for school, one in counts.items()}
