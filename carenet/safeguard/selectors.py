"""Reads of the mandatory report (强制报告) and the urgent case (应急处置).

Who reads what: the reports and cases themselves (with the child's name and the facts)
only within ``children_scope(user, MAKE_REPORTS)``; the overdue ones reach the principal
and the township supervisor (``RECEIVE_ESCALATIONS``); the county figures
(``SEE_REPORT_FIGURES``) are counts and hours per unit and category, never a name or a
fact.

A report is *due* while it waits to be made: a ``MandatoryReport`` in status DUE, or an
open alert of a legal category (``Alert.report_due``) with no report registered yet —
due the plan's hours after the alert was raised. It is *overdue* once that time has
passed and it is still not made.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carenet.alerts import rules
from carenet.alerts.models import OPEN_STATUSES, Alert, AlertRule
from carenet.alerts.text import SignalCategory
from carenet.care.selectors import care_unit, plans_in_force
from carenet.children.access import Permission, children_scope, holds, user_may
from carenet.children.models import (
    GRANDPARENT_RELATIONS,
    Child,
    FamilyMember,
    Gender,
    Relation,
)
from carenet.lib.names import user_name
from carenet.lib.phone import mask_id_number, mask_phone
from carenet.orgs.models import Membership, Org, OrgKind, Role
from carenet.orgs.selectors import AnyUser, primary_membership, school_of
from carenet.safeguard.models import (
    Agency,
    EmergencyCase,
    EmergencyKind,
    MandatoryReport,
    ReportCategory,
    ReportStatus,
)

# The report category of an alert: by its text signal, or by its rule.
TEXT_CATEGORIES = {
    SignalCategory.SELF_HARM: ReportCategory.SELF_HARM,
    SignalCategory.ABUSE: ReportCategory.ABUSE,
    SignalCategory.DOMESTIC_VIOLENCE: ReportCategory.ABUSE,
    SignalCategory.SEXUAL_HARM: ReportCategory.SEXUAL_HARM,
    SignalCategory.RUNNING_AWAY: ReportCategory.MISSING,
}
RULE_CATEGORIES = {
    AlertRule.NO_GUARDIAN: ReportCategory.UNATTENDED,
    AlertRule.LIVING_ALONE: ReportCategory.UNATTENDED,
}


def category_of_alert(alert: Alert) -> str:
    """The report category an alert makes due (``OTHER`` when none fits)."""
    if alert.rule == AlertRule.TEXT_SIGNAL:
        return TEXT_CATEGORIES.get(alert.category, ReportCategory.OTHER)  # type: ignore[call-overload]
    return RULE_CATEGORIES.get(alert.rule, ReportCategory.OTHER)  # type: ignore[call-overload]


def _hours_by_unit(children: Iterable[Child], on: dt.date) -> dict[int, int]:
    """The report hours of each child's plan in force (by child id)."""
    children = list(children)
    units = {c.pk: care_unit(c) for c in children}
    plans = plans_in_force([u for u in units.values() if u is not None], on)
    default = rules.config_of(None).hours["report"]
    return {
        pk: rules.config_of(plans[unit.pk]).hours["report"] if unit is not None else default
        for pk, unit in units.items()
    }


def report_hours(child: Child) -> int:
    """Within how many hours a report on ``child`` is due (the plan in force today)."""
    return _hours_by_unit([child], timezone.localdate())[child.pk]


# --- scope ----------------------------------------------------------------------------


def _reporting_children(user: AnyUser) -> QuerySet[Child]:
    return Child.objects.filter(children_scope(user, Permission.MAKE_REPORTS))


def may_make_reports(user: AnyUser) -> bool:
    return holds(user, Permission.MAKE_REPORTS)


def may_see_figures(user: AnyUser) -> bool:
    return holds(user, Permission.SEE_REPORT_FIGURES)


def reporting_child(user: AnyUser, pk: int) -> Child | None:
    """A child the user may report on, or None."""
    return (
        _reporting_children(user)
        .select_related("school", "school_class", "village")
        .filter(pk=pk)
        .first()
    )


def child_seen(user: AnyUser, pk: int) -> bool:
    """Whether the user sees the child's file at all (403 rather than 404 when they may
    see it but not report on it)."""
    return Child.objects.filter(children_scope(user), pk=pk).exists()


def reporting_children_found(user: AnyUser, query: str, *, limit: int = 20) -> list[Child]:
    """Children the user may report on whose name (or pinyin, or initials) holds
    ``query``: the picker of the new report and the new urgent case."""
    query = (query or "").strip()
    if not query:
        return []
    lowered = query.lower()
    match = (
        Q(name__contains=query)
        | Q(name_pinyin__startswith=lowered)
        | Q(name_initials__startswith=lowered)
    )
    return list(
        _reporting_children(user)
        .filter(match)
        .select_related("school_class")
        .order_by("name_pinyin", "pk")[:limit]
    )


def reporting_alert(user: AnyUser, pk: int) -> Alert | None:
    """An alert on a child the user may report on, or None."""
    return (
        Alert.objects.filter(child__in=_reporting_children(user), pk=pk)
        .select_related("child")
        .first()
    )


def visible_reports(user: AnyUser) -> QuerySet[MandatoryReport]:
    """The reports a user may read (names and facts): those on the children they may
    report on."""
    return MandatoryReport.objects.filter(child__in=_reporting_children(user)).select_related(
        "child", "child__school", "child__school_class", "child__village", "alert"
    )


def visible_emergencies(user: AnyUser) -> QuerySet[EmergencyCase]:
    return EmergencyCase.objects.filter(child__in=_reporting_children(user)).select_related(
        "child", "opened_by"
    )


# --- due and overdue ------------------------------------------------------------------


@dataclass(frozen=True)
class DueReport:
    """A report waiting to be made: a registered one (``report``) or an alert's
    (``alert``, none registered yet)."""

    child: Child
    category: str
    found_at: dt.datetime
    due_by: dt.datetime
    overdue: bool
    report: MandatoryReport | None = None
    alert: Alert | None = None

    @property
    def category_label(self) -> str | Promise:
        return ReportCategory(self.category).label


def reports_due(scope: Q, *, now: dt.datetime | None = None) -> list[DueReport]:
    """The reports waiting to be made for the children of ``scope`` (a filter on Child),
    most overdue first."""
    now = now or timezone.now()
    children = Child.objects.filter(scope)
    found: list[DueReport] = []
    for report in MandatoryReport.objects.filter(
        child__in=children, status=ReportStatus.DUE
    ).select_related("child", "alert"):
        found.append(
            DueReport(
                report.child,
                report.category,
                report.found_at,
                report.due_by,
                now > report.due_by,
                report=report,
                alert=report.alert,
            )
        )
    alerts = list(
        Alert.objects.filter(
            child__in=children,
            report_due=True,
            status__in=OPEN_STATUSES,
            mandatory_report__isnull=True,
        ).select_related("child", "child__school", "child__village")
    )
    hours = _hours_by_unit({a.child_id: a.child for a in alerts}.values(), timezone.localdate(now))
    for alert in alerts:
        due_by = alert.raised_at + dt.timedelta(hours=hours[alert.child_id])
        found.append(
            DueReport(
                alert.child,
                category_of_alert(alert),
                alert.raised_at,
                due_by,
                now > due_by,
                alert=alert,
            )
        )
    found.sort(key=lambda d: (d.due_by, d.child.pk))
    return found


def overdue_reports(user: AnyUser, *, now: dt.datetime | None = None) -> list[DueReport]:
    """The overdue reports that come to the user (the principal, the township
    supervisor): the red card on their first screen (``safeguard/_overdue_card.html``)."""
    if not holds(user, Permission.RECEIVE_ESCALATIONS):
        return []
    return [
        d
        for d in reports_due(children_scope(user, Permission.RECEIVE_ESCALATIONS), now=now)
        if d.overdue
    ]


@dataclass(frozen=True)
class ReportLists:
    due: list[DueReport]
    made: list[MandatoryReport]
    closed: list[MandatoryReport]


def report_lists(user: AnyUser) -> ReportLists:
    """强制报告 of the children the user may report on: waiting (overdue first), made,
    closed."""
    due = reports_due(children_scope(user, Permission.MAKE_REPORTS))
    due.sort(key=lambda d: (not d.overdue, d.due_by))
    reports = visible_reports(user).exclude(status=ReportStatus.DUE)
    return ReportLists(
        due=due,
        made=list(reports.filter(status=ReportStatus.REPORTED).order_by("-reported_at")),
        closed=list(reports.filter(status=ReportStatus.CLOSED).order_by("-closed_at")[:50]),
    )


# --- timeline -------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    when: dt.datetime
    kind: str
    title: str | Promise
    who: User | None = None
    detail: str = ""


def report_timeline(report: MandatoryReport) -> list[TimelineEntry]:
    """A report's whole story in time order: found, due by, made (to whom, by whom),
    receipt, each follow-up, closed."""
    entries = [
        TimelineEntry(report.found_at, "found", _("发现"), report.opened_by),
        TimelineEntry(report.due_by, "due", _("报告时限")),
    ]
    if report.reported_at is not None:
        agency = report.agency_name or (Agency(report.agency).label if report.agency else "")
        entries.append(
            TimelineEntry(
                report.reported_at,
                "made",
                _("已报告：%(agency)s") % {"agency": agency},
                report.reported_by,
            )
        )
    if report.receipt_at is not None:
        detail = _("回执编号 %(number)s") % {"number": report.receipt_number}
        if report.receiver:
            detail += _("，接收人 %(name)s") % {"name": report.receiver}
        entries.append(TimelineEntry(report.receipt_at, "receipt", _("受理回执"), detail=detail))
    for follow_up in report.follow_ups.select_related("author"):
        entries.append(
            TimelineEntry(follow_up.at, "follow_up", _("跟进"), follow_up.author, follow_up.note)
        )
    if report.closed_at is not None:
        entries.append(
            TimelineEntry(report.closed_at, "closed", _("结案"), detail=report.closing_note)
        )
    order = ["found", "due", "made", "receipt", "follow_up", "closed"]
    entries.sort(key=lambda e: (e.when, order.index(e.kind)))
    return entries


# --- county figures -------------------------------------------------------------------


@dataclass
class FigureRow:
    """One unit (a school, or the township of children not at a school) and category:
    counts and hours, never a name or a fact."""

    unit: str
    category: str
    due: int = 0
    overdue: int = 0
    made: int = 0
    late: int = 0
    closed: int = 0
    hours: list[float] = field(default_factory=list)

    @property
    def category_label(self) -> str | Promise:
        return ReportCategory(self.category).label

    @property
    def median_hours(self) -> float | None:
        return round(statistics.median(self.hours), 1) if self.hours else None

    @property
    def mean_hours(self) -> float | None:
        return round(statistics.fmean(self.hours), 1) if self.hours else None


def _unit_names(children: Iterable[Child]) -> dict[int, str]:
    """The unit each child is counted under: the school, else the township of the
    village (by child id)."""
    children = list(children)
    steps = Org.steplen * 2
    township_paths = {
        c.village.path[:steps] for c in children if c.school_id is None and c.village is not None
    }
    townships = {
        o.path: o.name for o in Org.objects.filter(path__in=township_paths, kind=OrgKind.TOWNSHIP)
    }
    names: dict[int, str] = {}
    for child in children:
        if child.school_id is not None and child.school is not None:
            names[child.pk] = child.school.name
        elif child.village is not None:
            names[child.pk] = townships.get(child.village.path[:steps], child.village.name)
        else:
            names[child.pk] = str(_("未分配单位"))
    return names


def report_figures(user: AnyUser, *, now: dt.datetime | None = None) -> list[FigureRow]:
    """County figures (统计): per unit and category, the reports waiting, overdue, made,
    made late, closed, and the hours from found to made. Only counts."""
    if not holds(user, Permission.SEE_REPORT_FIGURES):
        return []
    scope = children_scope(user, Permission.SEE_REPORT_FIGURES)
    waiting = reports_due(scope, now=now)
    made = list(
        MandatoryReport.objects.filter(
            child__in=Child.objects.filter(scope),
            status__in=[ReportStatus.REPORTED, ReportStatus.CLOSED],
        )
        .select_related("child", "child__school", "child__village")
        .only(
            "status",
            "category",
            "found_at",
            "due_by",
            "reported_at",
            "child__school__name",
            "child__village__path",
            "child__village__name",
            "child__school_id",
            "child__village_id",
        )
    )
    children = {d.child.pk: d.child for d in waiting} | {r.child.pk: r.child for r in made}
    # the waiting ones' children were read without their orgs
    fresh = Child.objects.filter(pk__in=list(children)).select_related("school", "village")
    units = _unit_names(fresh)
    rows: dict[tuple[str, str], FigureRow] = {}

    def row(child_id: int, category: str) -> FigureRow:
        key = (units[child_id], category)
        if key not in rows:
            rows[key] = FigureRow(*key)
        return rows[key]

    for due in waiting:
        figure = row(due.child.pk, due.category)
        figure.due += 1
        figure.overdue += int(due.overdue)
    for report in made:
        figure = row(report.child_id, report.category)
        figure.made += 1
        figure.closed += int(report.status == ReportStatus.CLOSED)
        if report.reported_at is not None:
            figure.late += int(report.reported_at > report.due_by)
            figure.hours.append((report.reported_at - report.found_at).total_seconds() / 3600)
    categories = list(ReportCategory.values)
    return sorted(rows.values(), key=lambda r: (r.unit, categories.index(r.category)))


def figures_total(rows: list[FigureRow]) -> FigureRow:
    total = FigureRow(str(_("合计")), ReportCategory.OTHER)
    for r in rows:
        total.due += r.due
        total.overdue += r.overdue
        total.made += r.made
        total.late += r.late
        total.closed += r.closed
        total.hours.extend(r.hours)
    return total


# --- urgent case: whom to call --------------------------------------------------------


@dataclass(frozen=True)
class PlannedStep:
    step: str
    label: str
    contact_name: str = ""
    contact_phone: str = ""


def _user_contact(user: User | None) -> tuple[str, str]:
    if user is None:
        return "", ""
    try:
        phone = user.person.phone
    except ObjectDoesNotExist:
        phone = ""
    return user_name(user), phone or ""


def _member_at(org_id: int | None, role: str) -> User | None:
    if org_id is None:
        return None
    membership = (
        Membership.objects.filter(org_id=org_id, role=role, user__is_active=True)
        .select_related("user", "user__person")
        .order_by("pk")
        .first()
    )
    return membership.user if membership is not None else None


def _guardian(family: list[FamilyMember]) -> FamilyMember | None:
    """The entrusted guardian, else a grandparent able to guard (one with a phone first)."""
    by_relation = {m.relation: m for m in family}
    if Relation.GUARDIAN in by_relation:
        return by_relation[Relation.GUARDIAN]
    grandparents = [m for m in family if m.relation in GRANDPARENT_RELATIONS and m.can_guard]
    grandparents.sort(key=lambda m: (not m.phone, GRANDPARENT_RELATIONS.index(m.relation)))
    return grandparents[0] if grandparents else None


def emergency_plan(child: Child, kind: str) -> list[PlannedStep]:
    """The checklist of an urgent case of ``kind``: what to do first, then whom to call
    with the names and numbers on file now (a person missing from the file is a step
    without a number)."""
    family = list(FamilyMember.objects.filter(child=child))
    by_relation = {m.relation: m for m in family}
    guardian = _guardian(family)
    steps: list[PlannedStep] = []
    if kind == EmergencyKind.HURT:
        steps += [
            PlannedStep("first_aid", str(_("现场救护，确保儿童安全"))),
            PlannedStep("ambulance", str(_("拨打120急救电话，送医救治")), "120", "120"),
        ]
    if kind == EmergencyKind.MISSING:
        steps += [
            PlannedStep("search_home", str(_("核实儿童是否在家或在亲友家"))),
            PlannedStep("search_places", str(_("搜寻常去地点：学校周边、河塘、网吧、车站"))),
            PlannedStep("search_friends", str(_("向同学、玩伴打听下落"))),
        ]
    if kind == EmergencyKind.ALONE:
        steps.append(PlannedStep("visit", str(_("上门查看，确认儿童安全"))))
    relation_label = guardian.get_relation_display() if guardian is not None else ""
    steps.append(
        PlannedStep(
            "guardian",
            str(_("联系监护人")) + (f"（{relation_label}）" if relation_label else ""),
            guardian.name if guardian is not None else "",
            guardian.phone if guardian is not None else "",
        )
    )
    for relation in (Relation.FATHER, Relation.MOTHER):
        member = by_relation.get(relation)
        label = _("联系父亲") if relation == Relation.FATHER else _("联系母亲")
        steps.append(
            PlannedStep(
                relation,
                str(label),
                member.name if member is not None else "",
                member.phone if member is not None else "",
            )
        )
    if kind in (EmergencyKind.ALONE, EmergencyKind.MISSING, EmergencyKind.HURT):
        steps.append(PlannedStep("police", str(_("报警：拨打110")), "110", "110"))
    for step, label, org_id, role in (
        ("village_director", _("联系村儿童主任"), child.village_id, Role.VILLAGE_DIRECTOR),
        ("class_teacher", _("联系班主任"), child.school_class_id, Role.TEACHER),
        ("principal", _("报告校长"), child.school_id, Role.PRINCIPAL),
    ):
        name, phone = _user_contact(_member_at(org_id, role))
        steps.append(PlannedStep(step, str(label), name, phone))
    if kind == EmergencyKind.ALONE:
        steps.append(PlannedStep("care", str(_("安排临时照料（亲属或村委会）"))))
    if kind == EmergencyKind.MISSING:
        steps.append(PlannedStep("found", str(_("找到儿童，确认安全"))))
    return steps


# --- the printable form (登记表) -------------------------------------------------------


@dataclass(frozen=True)
class ReportForm:
    """What the 强制报告登记表 shows, masked as the user may see it."""

    title: str
    reporter_unit: str
    reporter: str
    reporter_phone: str
    reported_at: dt.datetime | None
    agency: str
    child_name: str
    gender: str
    birth_date: dt.date
    id_number: str
    school: str
    address: str
    guardians: list[tuple[str, str, str]]  # relation, name, phone
    category: str
    found_at: dt.datetime
    facts: str
    measures: str
    receiver: str
    receipt_number: str
    receipt_at: dt.datetime | None


def report_form(user: AnyUser, report: MandatoryReport) -> ReportForm:
    """The registration form of ``report`` for ``user``: the ID number and phones in full
    only for a user who may see the child's contacts."""
    child = report.child
    full = user_may(user, Permission.SEE_CONTACTS, child)
    reporter = report.reported_by or report.opened_by
    reporter_name, reporter_phone = _user_contact(reporter)
    unit = child.school.name if child.school is not None else ""
    if not unit and child.village is not None:
        unit = child.village.name
    membership = primary_membership(reporter) if reporter is not None else None
    reporter_org = membership.org if membership is not None else None
    if reporter_org is not None and reporter_org.kind in (OrgKind.CLASS, OrgKind.GRADE):
        reporter_org = school_of(reporter_org)
    reporter_unit = reporter_org.name if reporter_org is not None else unit
    guardians = []
    family = sorted(
        FamilyMember.objects.filter(child=child),
        key=lambda m: list(Relation.values).index(m.relation),
    )
    for member in family:
        if not member.name and not member.phone:
            continue
        phone = member.phone if full else mask_phone(member.phone)
        guardians.append((member.get_relation_display(), member.name, phone))
    address = " ".join(
        p
        for p in (
            child.village.name if child.village is not None else "",
            child.residence_group,
            child.residence_address,
        )
        if p
    )
    agency = report.agency_name or (str(Agency(report.agency).label) if report.agency else "")
    school = unit if child.school is not None else ""
    if child.school_class is not None and school:
        school = f"{school} {child.school_class.name}"
    return ReportForm(
        title=str(_("侵害未成年人案件强制报告登记表")),
        reporter_unit=reporter_unit,
        reporter=reporter_name,
        reporter_phone=reporter_phone,
        reported_at=report.reported_at,
        agency=agency,
        child_name=child.name,
        gender=str(Gender(child.gender).label),
        birth_date=child.birth_date,
        id_number=child.id_number if full else mask_id_number(child.id_number),
        school=school,
        address=address,
        guardians=guardians,
        category=str(ReportCategory(report.category).label),
        found_at=report.found_at,
        facts=report.facts,
        measures=report.measures,
        receiver=report.receiver,
        receipt_number=report.receipt_number,
        receipt_at=report.receipt_at,
    )
