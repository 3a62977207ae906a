"""The school year's step (学年升级) for a county, and its way back.

``school_year_start`` carries out ``selectors.school_year_preview`` in one transaction:

- each open class moves up one grade: it is moved (treebeard) under its school's grade of
  the next level (created, named by ``grade_name``, when missing) and renamed 一(2)班 →
  二(2)班; its code, its children and its class teacher's membership stay with it, and
  the principal is asked to confirm the class teacher (``ClassTeacherCheck``);
- the classes of a stage's last grade (6 for 小学/教学点, 9 for 初中/九年一贯制, 9 and 12
  for 完全中学) graduate: their children leave the roll (``child_leave``, graduated, on 1
  September of the year, their pairings end) and the class closes, renamed …（YEAR届）so
  that the class that moves into its grade has its name to itself;
- each first grade gets as many new, empty classes as it had, with the names they had.

Everything it changed is kept on the ``SchoolYearStart`` row, and ``school_year_undo``
puts every class, child and pairing back exactly as it was (same tree paths), within
``settings.SCHOOL_YEAR_UNDO_DAYS`` days. ``graduates_enrol`` moves a primary school's
graduates on to a middle school's 7th-grade classes as a batch (undone with the step).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from carenet.audit.models import AccessAction, AccessLog
from carenet.audit.services import audit_log
from carenet.children.models import Child, ChildStatus, LeaveReason, Schooling
from carenet.children.services import child_leave, child_leave_undo
from carenet.orgs.grades import grade_name
from carenet.orgs.models import Membership, Org, OrgKind
from carenet.schoolyear.models import ClassTeacherCheck, SchoolYearStart
from carenet.schoolyear.selectors import (
    MIDDLE_STAGES,
    PRIMARY_STAGES,
    SchoolPlan,
    first_day,
    first_middle_classes,
    grade_level_of,
    graduates_waiting,
    school_year_preview,
)

EARLIEST_YEAR, LATEST_YEAR = 2000, 2099


class SchoolYearError(Exception):
    """A step that may not be taken (already taken, too late to undo …): one clear line."""


def _check_year(year: int) -> None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise SchoolYearError(
            _("学年应在 %(first)s–%(last)s 之间：%(year)s")
            % {"first": EARLIEST_YEAR, "last": LATEST_YEAR, "year": year}
        )


def _free_codes(school: Org):
    taken = set(Org.objects.filter(code__startswith=school.code).values_list("code", flat=True))

    def free(code: str) -> str:
        candidate, n = code, 1
        while candidate in taken:
            n += 1
            candidate = f"{code}-{n}"
        taken.add(candidate)
        return candidate

    return free


class _SchoolStep:
    """Carries out one school's plan, noting what it changed in ``changes``."""

    def __init__(self, plan: SchoolPlan, year: int, changes: dict, actor) -> None:
        self.plan, self.year, self.changes, self.actor = plan, year, changes, actor
        self.school = plan.school
        self.free = _free_codes(self.school)
        self.grades: dict[int, Org] = {}
        grades = Org.objects.filter(path__startswith=self.school.path, kind=OrgKind.GRADE)
        for grade in grades.order_by("path"):
            level = grade_level_of(grade)
            if grade.is_open and level is not None:
                self.grades.setdefault(level, grade)

    def grade(self, level: int) -> Org:
        if level not in self.grades:
            school = Org.objects.get(pk=self.school.pk)
            values = dict(
                code=self.free(f"{school.code}-G{level}"),
                name=grade_name(level),
                kind=OrgKind.GRADE,
                county_code=school.county_code,
                level=level,
            )
            grade = Org.objects.add_child(school, values)
            self.changes["created"].append(grade.pk)
            self.grades[level] = grade
        return self.grades[level]

    def run(self) -> None:
        on = first_day(self.year)
        for school_class in self.plan.graduating:
            self.changes["closed"].append({"id": school_class.pk, "name": school_class.name})
            name = _("%(name)s（%(year)s届）") % {"name": school_class.name, "year": self.year}
            Org.objects.filter(pk=school_class.pk).update(closed_on=on, name=name[:100])
        for child in Child.objects.filter(pk__in=self.plan.graduates).order_by("pk"):
            child_leave(child=child, on=on, reason=LeaveReason.GRADUATED, actor=self.actor)
            self.changes["left"].append(child.pk)
        # Highest grades first, so that each grade's classes have left before others come.
        for move in sorted(self.plan.moves, key=lambda m: (-m.level, m.school_class.path)):
            node = Org.objects.get(pk=move.school_class.pk)
            self.changes["moved"].append(
                {
                    "id": node.pk,
                    "school": self.school.pk,
                    "parent": Org.objects.get_parent(node).pk,
                    "name": node.name,
                    "path": node.path,
                }
            )
            target = Org.objects.get(pk=self.grade(move.level + 1).pk)
            Org.objects.move(node, target, "last-child")
            Org.objects.filter(pk=node.pk).update(name=move.new_name)
        for level, names in sorted(self.plan.first_year.items()):
            for k, name in enumerate(names, start=1):
                grade = Org.objects.get(pk=self.grade(level).pk)
                values = dict(
                    code=self.free(f"{self.school.code}-{self.year}-{k}"),
                    name=name,
                    kind=OrgKind.CLASS,
                    county_code=self.school.county_code,
                )
                created = Org.objects.add_child(grade, values)
                self.changes["created"].append(created.pk)


def school_year_refusal(*, county: Org, year: int) -> None:
    """Raise ``SchoolYearError`` when ``year`` may not be started in ``county``."""
    _check_year(year)
    _refuse_taken(county, year)


def _refuse_taken(county: Org, year: int) -> None:
    taken = (
        SchoolYearStart.objects.filter(county=county, year__gte=year, undone_at__isnull=True)
        .order_by("-year")
        .first()
    )
    if taken is not None:
        raise SchoolYearError(
            _("%(county)s %(year)s 学年已于 %(date)s 升级，不能重复升级")
            % {
                "county": county.name,
                "year": taken.year,
                "date": timezone.localtime(taken.started_at).date().isoformat(),
            }
        )


@transaction.atomic
def school_year_start(*, county: Org, year: int, actor: User | None) -> SchoolYearStart:
    """Start the school year beginning in September of ``year`` at every open school of
    ``county``: all of it or nothing. Refused when that year (or a later one) was
    started and not undone."""
    _check_year(year)
    # One step at a time per county: the county row is the lock.
    county = Org.objects.select_for_update().get(pk=county.pk)
    _refuse_taken(county, year)
    plans = school_year_preview(county=county)
    changes: dict = {"moved": [], "closed": [], "created": [], "left": [], "transfers": []}
    changes["schools"] = [plan.row() for plan in plans]
    for plan in plans:
        if not plan.skipped:
            _SchoolStep(plan, year, changes, actor).run()
    step = SchoolYearStart.objects.create(
        county=county,
        county_code=county.county_code,
        year=year,
        started_at=timezone.now(),
        started_by=actor,
        changes=changes,
    )
    ClassTeacherCheck.objects.bulk_create(
        ClassTeacherCheck(step=step, school_id=m["school"], school_class_id=m["id"])
        for m in changes["moved"]
    )
    _log_children(changes["left"], _("%(year)s 学年升级：毕业离开在册") % {"year": year}, actor)
    audit_log(
        request=None,
        user=actor,
        action=AccessAction.SCHOOL_YEAR,
        detail=_("%(year)s 学年升级：%(classes)s 个班升级，%(children)s 名毕业生")
        % {"year": year, "classes": len(changes["moved"]), "children": len(changes["left"])},
        county_code=county.county_code,
    )
    return step


def _log_children(ids: list[int], detail: str, actor) -> None:
    authenticated = actor is not None and actor.is_authenticated
    AccessLog.objects.bulk_create(
        AccessLog(
            user=actor if authenticated else None,
            username=actor.get_username() if authenticated else "",
            county_code=county_code,
            child_id=pk,
            child_ref=pk,
            action=AccessAction.LEAVE,
            detail=detail[:200],
        )
        for pk, county_code in Child.objects.filter(pk__in=ids).values_list("pk", "county_code")
    )


def school_year_undoable(step: SchoolYearStart, *, now: dt.datetime | None = None) -> bool:
    """Whether the step is still within the days it may be undone."""
    now = now or timezone.now()
    return step.undone_at is None and now - step.started_at <= dt.timedelta(
        days=settings.SCHOOL_YEAR_UNDO_DAYS
    )


@transaction.atomic
def school_year_undo(*, county: Org, year: int, actor: User | None) -> SchoolYearStart:
    """Put back exactly what ``school_year_start`` changed (and the graduates moved on to
    a middle school since), in one transaction. Refused after the allowed days, for a
    year that is not the county's latest step, and when a new class has since been given
    children or staff."""
    _check_year(year)
    county = Org.objects.select_for_update().get(pk=county.pk)
    step = SchoolYearStart.objects.filter(county=county, year=year, undone_at__isnull=True).first()
    if step is None:
        raise SchoolYearError(
            _("%(county)s 没有可撤销的 %(year)s 学年升级") % {"county": county.name, "year": year}
        )
    if SchoolYearStart.objects.filter(
        county=county, year__gt=year, undone_at__isnull=True
    ).exists():
        raise SchoolYearError(_("请先撤销之后学年的升级"))
    if not school_year_undoable(step):
        raise SchoolYearError(
            _("学年升级已超过 %(days)s 天，不能撤销") % {"days": settings.SCHOOL_YEAR_UNDO_DAYS}
        )
    changes = step.changes
    created = changes["created"]
    on = first_day(year)
    for moved in reversed(changes["transfers"]):
        _transfer_undo(moved, on=on, actor=actor)
    # Rolled back with the transfers above when refused.
    if (
        Child.objects.filter(school_class__in=created).exists()
        or Membership.objects.filter(org__in=created).exists()
    ):
        raise SchoolYearError(_("新建的班级已有儿童或教师，不能撤销学年升级"))
    for child in Child.objects.filter(pk__in=changes["left"]).order_by("pk"):
        if child.status != ChildStatus.ACTIVE and child.left_on == on:
            child_leave_undo(child=child, actor=actor)
    for closed in changes["closed"]:
        Org.objects.filter(pk=closed["id"]).update(closed_on=None, name=closed["name"])
    _moves_back(changes["moved"])
    try:
        for pk in reversed(created):  # classes before the grades they are in
            node = Org.objects.filter(pk=pk).first()
            if node is not None:
                node.delete()
    except ProtectedError:
        raise SchoolYearError(_("新建的班级已有其他记录，不能撤销学年升级")) from None
    _paths_back(changes["moved"])
    ClassTeacherCheck.objects.filter(step=step).delete()
    step.undone_at = timezone.now()
    step.undone_by = actor
    step.save(update_fields=["undone_at", "undone_by"])
    audit_log(
        request=None,
        user=actor,
        action=AccessAction.SCHOOL_YEAR,
        detail=_("撤销 %(year)s 学年升级") % {"year": year},
        county_code=county.county_code,
    )
    return step


def _moves_back(moves: list[dict]) -> None:
    """Each moved class back under its grade, with its name."""
    for moved in sorted(moves, key=lambda m: m["path"]):
        node = Org.objects.get(pk=moved["id"])
        parent = Org.objects.get(pk=moved["parent"])
        Org.objects.move(node, parent, "last-child")
        Org.objects.filter(pk=node.pk).update(name=moved["name"])


def _paths_back(moves: list[dict]) -> None:
    """Each moved class (back under its grade, the new classes gone) at its very path: a
    class is a leaf, so its path is set directly."""
    astray = [
        m
        for m in moves
        if Org.objects.filter(pk=m["id"], numchild=0).exclude(path=m["path"]).exists()
    ]
    for moved in astray:  # out of the way first: two may swap paths
        Org.objects.filter(pk=moved["id"]).update(path=f"~{moved['path']}")
    for moved in astray:
        Org.objects.filter(pk=moved["id"]).update(path=moved["path"])


def _transfer_undo(moved: dict, *, on: dt.date, actor) -> None:
    child = Child.objects.get(pk=moved["child"])
    child.school_id = moved["school"]
    child.school_class_id = moved["class"]
    child.status = ChildStatus.LEFT
    child.left_on = on
    child.left_reason = LeaveReason.GRADUATED
    child.schooling = Schooling.GRADUATED
    child._history_user = actor
    child._change_reason = "撤销升学"
    child.save()


@transaction.atomic
def graduates_enrol(*, step: SchoolYearStart, primary: Org, middle: Org, actor: User | None) -> int:
    """Enrol a primary school's graduates of ``step`` into ``middle``'s 7th-grade classes
    as a batch (shared out in turn, by name): each child is on the roll again at the
    middle school, with its file and history. Undone with the step. Returns how many."""
    step = SchoolYearStart.objects.select_for_update().get(pk=step.pk)
    if step.undone_at is not None:
        raise SchoolYearError(_("该学年升级已撤销"))
    if primary.kind != OrgKind.SCHOOL or primary.stage not in PRIMARY_STAGES:
        raise SchoolYearError(_("%(school)s 不是小学") % {"school": primary.name})
    if (
        middle.kind != OrgKind.SCHOOL
        or middle.stage not in MIDDLE_STAGES
        or not middle.is_open
        or middle.county_code != step.county_code
        or primary.county_code != step.county_code
    ):
        raise SchoolYearError(_("%(school)s 不是本县开办中的中学") % {"school": middle.name})
    classes = first_middle_classes(middle)
    if not classes:
        raise SchoolYearError(_("%(school)s 没有七年级班级") % {"school": middle.name})
    children = list(graduates_waiting(step=step, school=primary))
    if not children:
        raise SchoolYearError(_("%(school)s 没有待升学的毕业生") % {"school": primary.name})
    transfers = []
    for i, child in enumerate(children):
        school_class = classes[i % len(classes)]
        transfers.append(
            {"child": child.pk, "school": child.school_id, "class": child.school_class_id}
        )
        child.school = middle
        child.school_class = school_class
        child.status = ChildStatus.ACTIVE
        child.schooling = Schooling.ENROLLED
        child.left_on = None
        child.left_reason = ""
        child._history_user = actor
        child._change_reason = (_("小学毕业升入%(school)s") % {"school": middle.name})[:100]
        child.save()
    step.changes["transfers"] = step.changes.get("transfers", []) + transfers
    step.save(update_fields=["changes"])
    _log_children(
        [c.pk for c in children],
        _("小学毕业升入%(school)s") % {"school": middle.name},
        actor,
    )
    return len(children)


def teacher_check_confirm(*, check: ClassTeacherCheck, actor: User) -> None:
    """The principal confirms the class teacher of a class that moved up."""
    ClassTeacherCheck.objects.filter(pk=check.pk, confirmed_at__isnull=True).update(
        confirmed_at=timezone.now(), confirmed_by=actor
    )
