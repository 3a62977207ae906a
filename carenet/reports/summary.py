"""The work summary (工作总结) of an org for a period, gathered from the records.

Structured like the seed summary (``shared/seeds/002_*.txt``): 基本情况 (the children in
care), 工作指标 (the indicators against the plan's targets), 主要做法 (the care work done,
counted by kind and month), 典型案例 (records chosen by the user, anonymised), 存在问题
and 下一步打算 (the user's text, or a draft from the figures when they leave it empty).
主要做法 also counts the activities (关爱活动) held under the org, by kind.

Every figure is an aggregate query (``GROUP BY``), never a Python loop over children or
records: a county of 50,000 children and 2.5 million records renders in seconds.
``children`` is the scope: the web passes ``visible_children(user)``; the command line,
an operator, passes nothing (everything under the org).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from carenet.care import calendar
from carenet.care.models import CareKind, CareRecord
from carenet.childplans.models import IndividualPlan, StudyPlan
from carenet.children.access import Permission, visible_children
from carenet.children.models import (
    Child,
    ChildStatus,
    Education,
    FamilyMember,
    Gender,
    GuardianshipQuality,
    Pairing,
    PairingKind,
    Relation,
)
from carenet.children.selectors import (
    civil_left_behind_filter,
    pairing_in_force,
    parent_away_filter,
    schooled_under,
    search_children,
)
from carenet.indicators.selectors import Indicator, children_in_care, indicators_for
from carenet.orgs.models import Org
from carenet.orgs.selectors import AnyUser
from carenet.support.models import Activity, ActivityKind

# Kinds shown in 主要做法, in the seeds' order.
WORK_KINDS = (
    CareKind.TALK,
    CareKind.HOME_VISIT,
    CareKind.PARENT_CALL,
    CareKind.GUARDIAN_CONTACT,
    CareKind.FAMILY_CALL,
    CareKind.LETTER,
    CareKind.COUNSELING,
    CareKind.ASSISTANCE,
)
# Surnames of two characters (复姓) common enough to meet in a county.
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "令狐",
    "端木",
    "西门",
    "南宫",
)
# Digit runs that may be a phone (7+ digits) or an ID number (17 digits and a check char).
_NUMBER_RUN = re.compile(r"\d[\d\s-]{5,}[\dXx]")
MASK = "****"
# Words a family member's name field sometimes holds instead of a name: kept as they are.
KINSHIP_WORDS = frozenset(
    {
        "父亲",
        "母亲",
        "爸爸",
        "妈妈",
        "爷爷",
        "奶奶",
        "外公",
        "外婆",
        "祖父",
        "祖母",
        "外祖父",
        "外祖母",
    }
)
# Detail fields of a record worth quoting in a case (others are short codes); labels are
# msgids, translated where shown.
CASE_DETAIL_FIELDS = (
    ("topics", N_("谈心内容")),
    ("problems", N_("发现的问题")),
    ("measures", N_("采取的措施")),
    ("follow_up", N_("跟进情况")),
    ("living_conditions", N_("生活情况")),
    ("needs", N_("需要的帮助")),
)
MAX_CASES = 10
# A guardian this old (or older) is counted as old in the draft's 存在问题.
OLD_GUARDIAN_AGE = 60
# Schooling counted as little in the draft's 存在问题.
LITTLE_SCHOOLING = (Education.NONE, Education.PRIMARY)


@dataclass(frozen=True)
class Row:
    """One line of a table of counts."""

    label: str
    count: int


@dataclass(frozen=True)
class WorkRow:
    """Care work of one kind in the period: records and the children they reached."""

    kind: str
    label: str
    records: int
    children: int


@dataclass(frozen=True)
class ActivityRow:
    """Activities of one kind held in the period under the org, and the children in
    scope who took part in at least one of them."""

    kind: str
    label: str
    activities: int
    children: int


@dataclass(frozen=True)
class MonthRow:
    month: dt.date  # the first day of the month
    counts: tuple[int, ...]  # per kind of ``WorkSummary.month_kinds``
    total: int


@dataclass(frozen=True)
class Case:
    """A typical case (典型案例): one care record with the child anonymised."""

    record_id: int
    alias: str  # 王某某
    profile: str  # 男，11 岁，双亲留守
    kind_label: str
    date: dt.date
    text: str
    details: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Basics:
    """基本情况: the children under the org and those in care on the last day."""

    children_total: int  # on the roll under the org
    in_care: int  # left-behind on the last day (the indicators' base)
    both_parents: int
    one_parent: int
    civil: int  # 民政口径: under 16, rural, no parent able to guard at home
    boys: int
    girls: int
    boarding: int
    mentored: int
    mentors: int  # teachers mentoring at least one of them
    buddies: int
    guardians: tuple[Row, ...]  # by the guardian's kinship (祖父母, …)
    guardianship: tuple[Row, ...]  # by the quality of guardianship
    no_guardian: int
    old_guardians: int = 0  # guardians aged 60 or more (their age on file)
    little_schooled_guardians: int = 0  # guardians with primary school or less on file


@dataclass
class WorkSummary:
    org: Org
    start: dt.date
    end: dt.date
    basics: Basics
    indicators: list[Indicator]
    work: list[WorkRow]
    records_total: int
    months: list[MonthRow]
    month_kinds: list[tuple[str, str]]  # (kind, label) columns of the month table
    pairings_started: int
    study_plans: int
    individual_plans: int
    activities: list[ActivityRow] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    problems_drafted: bool = False
    next_steps_drafted: bool = False
    generated_on: dt.date = field(default_factory=timezone.localdate)

    @property
    def title(self) -> str:
        return _("%(org)s关爱留守儿童工作总结") % {"org": self.org.name}

    @property
    def period_label(self) -> str:
        return _("%(start)s至%(end)s") % {
            "start": chinese_date(self.start),
            "end": chinese_date(self.end),
        }

    @property
    def activities_total(self) -> int:
        return sum(row.activities for row in self.activities)

    @property
    def drafted(self) -> bool:
        return self.problems_drafted or self.next_steps_drafted

    @property
    def below_target(self) -> list[Indicator]:
        return [
            i
            for i in self.indicators
            if i.value is not None and i.target is not None and i.value < i.target
        ]


def chinese_date(day: dt.date) -> str:
    return _("%(y)d年%(m)d月%(d)d日") % {"y": day.year, "m": day.month, "d": day.day}


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The current term up to today; in a break, the term that ended last."""
    today = today or timezone.localdate()
    term = calendar.term_of(today)
    if term is not None:
        return term[0], min(term[1], today)
    year = calendar.school_year_of(today)
    ended = [t for t in calendar.terms(year - 1) + calendar.terms(year) if t[1] < today]
    return ended[-1]


# --- scope ----------------------------------------------------------------------------


def summarised_children(org: Org, children: QuerySet[Child]) -> QuerySet[Child]:
    """Every child file of the org by school (``schooled_under``, as the indicators count)
    in the scope ``children``, left or active, not archived: whose records count as the
    org's work."""
    return children.filter(schooled_under(org)).exclude(status=ChildStatus.ARCHIVED)


def readable_records(user: AnyUser) -> QuerySet[CareRecord]:
    """The care records a user may read (``care.selectors.visible_records`` for every
    child at once): of visible children; confidential ones only for their author and the
    school's principal, school admin or counselor."""
    records = CareRecord.objects.filter(child__in=visible_children(user, Permission.VIEW_CHILDREN))
    if user.is_authenticated and user.is_superuser:
        return records
    confidential = visible_children(user, Permission.READ_CONFIDENTIAL).values("pk")
    return records.filter(Q(confidential=False) | Q(author_id=user.pk) | Q(child__in=confidential))


def case_candidates(
    org: Org,
    *,
    start: dt.date,
    end: dt.date,
    children: QuerySet[Child],
    records: QuerySet[CareRecord] | None = None,
) -> QuerySet[CareRecord]:
    """The records that may be chosen as typical cases: of the children of the scope
    ``children`` under the org, in the period, among ``records`` (the readable ones; all
    their records for the operator). Newest first."""
    base = CareRecord.objects.all() if records is None else records
    return (
        base.filter(child__in=summarised_children(org, children), date__gte=start, date__lte=end)
        .select_related("child", "child__school_class")
        .order_by("-date", "-pk")
    )


# How many cases a search on the summary form offers at once.
CASE_SEARCH_LIMIT = 20


def case_search(
    candidates: QuerySet[CareRecord], *, children: QuerySet[Child], text: str
) -> list[CareRecord]:
    """The candidate cases of the children (of the scope ``children``) whose name, pinyin
    or initials match ``text``; nothing for an empty text."""
    text = text.strip()
    if not text:
        return []
    found = search_children(children, text).values("pk")
    return list(candidates.filter(child__in=found)[:CASE_SEARCH_LIMIT])


def cases_picked(candidates: QuerySet[CareRecord], ids: list[str]) -> list[CareRecord]:
    """The candidate cases among ``ids`` (as submitted): a record out of scope is none."""
    wanted = [int(i) for i in ids if str(i).isdigit()]
    return list(candidates.filter(pk__in=wanted)) if wanted else []


# --- the summary ----------------------------------------------------------------------


def _active_pairing(kind: str, as_of: dt.date) -> Q:
    return Q(
        Exists(Pairing.objects.filter(pairing_in_force(as_of), child=OuterRef("pk"), kind=kind))
    )


def _basics(org: Org, end: dt.date, children: QuerySet[Child]) -> Basics:
    in_care = children_in_care(org, as_of=end, children=children)
    father = parent_away_filter(Relation.FATHER, end)
    mother = parent_away_filter(Relation.MOTHER, end)
    civil = civil_left_behind_filter(end)
    counts = in_care.aggregate(
        total=Count("pk"),
        both=Count("pk", filter=father & mother),
        civil=Count("pk", filter=civil),
        boys=Count("pk", filter=Q(gender=Gender.MALE)),
        girls=Count("pk", filter=Q(gender=Gender.FEMALE)),
        boarding=Count("pk", filter=Q(boarding=True)),
        mentored=Count("pk", filter=_active_pairing(PairingKind.MENTOR, end)),
        buddies=Count("pk", filter=_active_pairing(PairingKind.BUDDY, end)),
    )
    base = children
    children_total = base.filter(schooled_under(org), status=ChildStatus.ACTIVE).aggregate(
        n=Count("pk")
    )["n"]
    mentors = (
        Pairing.objects.filter(
            pairing_in_force(end), child__in=in_care.values("pk"), kind=PairingKind.MENTOR
        )
        .exclude(mentor__isnull=True)
        .aggregate(n=Count("mentor", distinct=True))["n"]
    )
    guardians = FamilyMember.objects.filter(
        child__in=in_care.values("pk"), relation=Relation.GUARDIAN
    )
    by_kinship = list(guardians.values("kinship").annotate(n=Count("pk")).order_by("-n", "kinship"))
    by_quality = dict(
        guardians.values_list("guardianship_quality").annotate(n=Count("pk")).order_by()
    )
    with_guardian = sum(row["n"] for row in by_kinship)
    guardian_counts = guardians.aggregate(
        old=Count("pk", filter=Q(age__gte=OLD_GUARDIAN_AGE)),
        little=Count("pk", filter=Q(education__in=LITTLE_SCHOOLING)),
    )
    quality_rows = [
        Row(str(label), by_quality.get(value, 0))
        for value, label in GuardianshipQuality.choices
        if by_quality.get(value)
    ]
    if by_quality.get(""):
        quality_rows.append(Row(_("未填写"), by_quality[""]))
    total = counts["total"]
    return Basics(
        children_total=children_total,
        in_care=total,
        both_parents=counts["both"],
        one_parent=total - counts["both"],
        civil=counts["civil"],
        boys=counts["boys"],
        girls=counts["girls"],
        boarding=counts["boarding"],
        mentored=counts["mentored"],
        mentors=mentors,
        buddies=counts["buddies"],
        guardians=tuple(Row(row["kinship"] or _("未填写"), row["n"]) for row in by_kinship),
        guardianship=tuple(quality_rows),
        no_guardian=total - with_guardian,
        old_guardians=guardian_counts["old"],
        little_schooled_guardians=guardian_counts["little"],
    )


def _months_of(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first days of the months the period touches."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month += relativedelta(months=1)
    return months


def _work(
    org: Org, start: dt.date, end: dt.date, children: QuerySet[Child]
) -> tuple[list[WorkRow], list[MonthRow], list[tuple[str, str]], int]:
    """Records by kind, children reached by kind and records by kind and month: one
    ``GROUP BY kind`` with a filtered count per month (plain date comparisons: SQLite's
    ``TruncMonth`` is a Python function called for every row, seconds on a county)."""
    months = _months_of(start, end)
    per_month = {
        f"m{i}": Count("pk", filter=Q(date__gte=month, date__lt=month + relativedelta(months=1)))
        for i, month in enumerate(months)
    }
    rows = (
        CareRecord.objects.filter(
            child__in=summarised_children(org, children).values("pk"),
            date__gte=start,
            date__lte=end,
        )
        .values("kind")
        .annotate(n=Count("pk"), kids=Count("child", distinct=True), **per_month)
        .order_by()
    )
    by_kind: dict[str, Any] = {row["kind"]: row for row in rows}
    work = [
        WorkRow(
            kind=str(kind),
            label=str(kind.label),
            records=by_kind.get(kind, {}).get("n", 0),
            children=by_kind.get(kind, {}).get("kids", 0),
        )
        for kind in WORK_KINDS
    ]
    kinds = [(w.kind, w.label) for w in work if w.records]
    month_rows = []
    for i, month in enumerate(months):
        counts = tuple(by_kind[kind][f"m{i}"] for kind, _label in kinds)
        month_rows.append(MonthRow(month=month, counts=counts, total=sum(counts)))
    return work, month_rows, kinds, sum(w.records for w in work)


def _activities(
    org: Org, start: dt.date, end: dt.date, children: QuerySet[Child]
) -> list[ActivityRow]:
    """Activities held in the period by the org or an org under it (a school's and its
    classes'; a township's schools, classes and villages), by kind, and the distinct
    children in scope (``summarised_children``) who took part: one ``GROUP BY kind``."""
    in_scope = Q(participation__child__in=summarised_children(org, children).values("pk"))
    rows = (
        Activity.objects.filter(
            org__path__startswith=org.path, held_on__gte=start, held_on__lte=end
        )
        .values("kind")
        .annotate(
            n=Count("pk", distinct=True),
            kids=Count("participation__child", distinct=True, filter=in_scope),
        )
        .order_by()
    )
    by_kind: dict[str, Any] = {row["kind"]: row for row in rows}
    return [
        ActivityRow(
            kind=str(kind),
            label=str(kind.label),
            activities=by_kind.get(kind, {}).get("n", 0),
            children=by_kind.get(kind, {}).get("kids", 0),
        )
        for kind in ActivityKind
    ]


def anonymise(
    text: str,
    *,
    names: Iterable[str],
    alias: str,
    others: Iterable[str] = (),
    places: Iterable[str] = (),
) -> str:
    """Replace the child's names by the alias, the family's names by 某某, addresses by
    （住址略）, and any run of digits long enough to be a phone or an ID number by a mask."""
    replacements: dict[str, str] = {}
    for place in places:
        if place and len(place) >= 2:
            replacements[place] = _("（住址略）")
    for other in others:
        if other and len(other) >= 2 and other not in KINSHIP_WORDS:
            replacements.setdefault(other, _("某某"))
    for name in names:
        if name and len(name) >= 2:
            replacements[name] = alias
    for old in sorted(replacements, key=len, reverse=True):
        text = text.replace(old, replacements[old])
    return _NUMBER_RUN.sub(MASK, text)


def surname_of(name: str) -> str:
    for compound in COMPOUND_SURNAMES:
        if name.startswith(compound) and len(name) > len(compound):
            return compound
    return name[:1]


def alias_of(name: str) -> str:
    """王子涵 → 王某某 (欧阳娜娜 → 欧阳某某)."""
    return _("%(surname)s某某") % {"surname": surname_of(name)} if name else _("某某")


def _case(record: CareRecord, child: Child, as_of: dt.date, family: list[tuple[str, str]]) -> Case:
    name = child.name
    alias = alias_of(name)
    given = name[len(surname_of(name)) :]

    def clean(text: str) -> str:
        return anonymise(
            text,
            names=[name, given],
            alias=alias,
            others=[member for member, _address in family],
            places=[child.residence_address, *(address for _member, address in family)],
        )

    age = relativedelta(as_of, child.birth_date).years
    profile = _("%(gender)s，%(age)d岁") % {"gender": child.get_gender_display(), "age": age}
    details = []
    for key, label in CASE_DETAIL_FIELDS:
        value = (record.details or {}).get(key)
        if isinstance(value, str) and value.strip():
            details.append((_(label), clean(value.strip())))
    return Case(
        record_id=record.pk,
        alias=alias,
        profile=profile,
        kind_label=str(record.get_kind_display()),
        date=record.date,
        text=clean(record.summary or ""),
        details=tuple(details),
    )


def cases_build(records: Sequence[CareRecord], *, as_of: dt.date) -> list[Case]:
    """Anonymised typical cases from chosen records. The children and their families are
    read afresh, so every name and address on file is known to the anonymiser."""
    ids = {r.child_id for r in records}
    children = Child.objects.only(
        "name", "gender", "birth_date", "residence_address", "county_code"
    ).in_bulk(ids)
    family: dict[int, list[tuple[str, str]]] = {}
    for child_id, member, address in FamilyMember.objects.filter(child__in=ids).values_list(
        "child_id", "name", "address"
    ):
        family.setdefault(child_id, []).append((member, address))
    return [
        _case(record, children[record.child_id], as_of, family.get(record.child_id, []))
        for record in records
    ]


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _draft_problems(summary: WorkSummary) -> list[str]:
    lines = [
        _("%(label)s为%(value)s%%（%(num)d/%(den)d），低于%(target)s%%的目标。")
        % {
            "label": i.label,
            "value": f"{i.value:g}",
            "num": i.numerator,
            "den": i.denominator,
            "target": f"{i.target:g}",
        }
        for i in summary.below_target
    ]
    basics = summary.basics
    if basics.in_care and basics.mentored < basics.in_care:
        lines.append(
            _("尚有%(n)d名留守儿童未落实代理家长结对帮扶。")
            % {"n": basics.in_care - basics.mentored}
        )
    if basics.no_guardian:
        lines.append(_("有%(n)d名留守儿童的委托监护人信息尚未登记。") % {"n": basics.no_guardian})
    # Only what is counted: the guardians' age and schooling as filed.
    if basics.old_guardians:
        lines.append(
            _("有%(n)d名留守儿童的委托监护人年龄在60岁及以上。") % {"n": basics.old_guardians}
        )
    if basics.little_schooled_guardians:
        lines.append(
            _("有%(n)d名留守儿童的委托监护人文化程度为小学及以下。")
            % {"n": basics.little_schooled_guardians}
        )
    return lines


def _draft_next_steps(summary: WorkSummary) -> list[str]:
    lines = [
        _("继续完善留守儿童档案和联系卡，做到一人一档、动态更新。"),
        _("落实代理家长结对帮扶，按工作计划按时开展谈心、家访和联系家长工作。"),
    ]
    for i in summary.below_target:
        lines.append(
            _("重点提高%(label)s，力争达到%(target)s%%的目标。")
            % {"label": i.label, "target": f"{i.target:g}"}
        )
    lines.append(
        _("办好家长学校，提高委托监护人的监护能力；开展亲情电话、心理健康教育和安全教育活动。")
    )
    return lines


def work_summary_build(
    *,
    org: Org,
    start: dt.date,
    end: dt.date,
    children: QuerySet[Child],
    cases: Sequence[CareRecord] = (),
    problems: str = "",
    next_steps: str = "",
) -> WorkSummary:
    """Gather the work summary of ``org`` for ``start``–``end`` (both included).

    ``children`` is the scope (a user's, or the command line's ``operator_scope``);
    ``cases`` the records chosen as typical cases, already checked by the caller
    (``case_candidates``)."""
    if start > end:
        raise ValueError("the period starts after it ends")
    work, months, month_kinds, records_total = _work(org, start, end, children)
    under = summarised_children(org, children).values("pk")
    summary = WorkSummary(
        org=org,
        start=start,
        end=end,
        basics=_basics(org, end, children),
        indicators=indicators_for(org, as_of=end, children=children),
        work=work,
        records_total=records_total,
        months=months,
        month_kinds=month_kinds,
        pairings_started=Pairing.objects.filter(
            child__in=under, started_on__gte=start, started_on__lte=end
        ).count(),
        study_plans=StudyPlan.objects.filter(
            child__in=under, start_date__gte=start, start_date__lte=end
        ).count(),
        individual_plans=IndividualPlan.objects.filter(
            child__in=under, opened_on__gte=start, opened_on__lte=end
        ).count(),
        activities=_activities(org, start, end, children),
        cases=cases_build(list(cases)[:MAX_CASES], as_of=end),
    )
    summary.problems = _paragraphs(problems)
    if not summary.problems:
        summary.problems = _draft_problems(summary)
        summary.problems_drafted = True
    summary.next_steps = _paragraphs(next_steps)
    if not summary.next_steps:
        summary.next_steps = _draft_next_steps(summary)
        summary.next_steps_drafted = True
    return summary
