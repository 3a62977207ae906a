"""Reads of the school year's step: what it would do (the preview), who may run it, and
what is left to confirm.

The stages and what a school year does to them (``STAGES``): each class moves up one
grade, the classes of a stage's last grade graduate (their children leave the roll), and
each first grade gets as many new, empty classes as it had. 幼儿园 (kindergarten) and
schools whose stage is not filled in are skipped (shown in the preview): a kindergarten's
children do not leave or move up by grade numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from carenet.children.models import Child, ChildStatus, Pairing
from carenet.orgs.grades import class_name_next, grade_level
from carenet.orgs.models import Org, OrgKind, Role, SchoolStage
from carenet.orgs.selectors import user_memberships
from carenet.schoolyear.models import ClassTeacherCheck, SchoolYearStart

AnyUser = User | AnonymousUser

# Stage → (first grades, last grades): 完全中学 has two of each (初中 and 高中).
STAGES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    SchoolStage.PRIMARY: ((1,), (6,)),
    SchoolStage.TEACHING_POINT: ((1,), (6,)),
    SchoolStage.MIDDLE: ((7,), (9,)),
    SchoolStage.NINE_YEAR: ((1,), (9,)),
    SchoolStage.FULL_SECONDARY: ((7, 10), (9, 12)),
}
# The schools whose graduates (6th grade) move on to a middle school's 7th grade.
PRIMARY_STAGES = (SchoolStage.PRIMARY, SchoolStage.TEACHING_POINT)
MIDDLE_STAGES = (SchoolStage.MIDDLE, SchoolStage.NINE_YEAR, SchoolStage.FULL_SECONDARY)


def first_day(year: int) -> dt.date:
    """The day the school year starting in September of ``year`` begins (graduates leave)."""
    return dt.date(year, 9, 1)


@dataclass
class ClassMove:
    school_class: Org
    level: int
    new_name: str


@dataclass
class SchoolPlan:
    """What the step does at one school."""

    school: Org
    moves: list[ClassMove] = field(default_factory=list)
    graduating: list[Org] = field(default_factory=list)
    # First grade → the names of its new classes (the names its classes had).
    first_year: dict[int, list[str]] = field(default_factory=dict)
    graduates: list[int] = field(default_factory=list)
    pairings: int = 0
    skipped: str = ""
    skipped_classes: int = 0

    @property
    def new_classes(self) -> int:
        return sum(len(names) for names in self.first_year.values())

    def row(self) -> dict:
        return {
            "school": self.school.code,
            "name": self.school.name,
            "moving_up": len(self.moves),
            "graduating_classes": len(self.graduating),
            "graduates": len(self.graduates),
            "new_classes": self.new_classes,
            "pairings_ending": self.pairings,
            "skipped": self.skipped,
            "skipped_classes": self.skipped_classes,
        }


def grade_level_of(grade: Org) -> int | None:
    """A grade's year of schooling: its level, else read from its name (初二 → 8)."""
    return grade.level if grade.level is not None else grade_level(grade.name)


def school_year_preview(*, county: Org) -> list[SchoolPlan]:
    """What starting the next school year would do at each open school of ``county``:
    nothing is written. The same plan is what ``services.school_year_start`` carries out."""
    step = Org.steplen
    schools = list(
        Org.objects.filter(
            path__startswith=county.path, kind=OrgKind.SCHOOL, closed_on__isnull=True
        ).order_by("path")
    )
    grades = {
        g.path: g for g in Org.objects.filter(path__startswith=county.path, kind=OrgKind.GRADE)
    }
    classes = Org.objects.filter(
        path__startswith=county.path, kind=OrgKind.CLASS, closed_on__isnull=True
    ).order_by("path")
    by_school: dict[str, list[tuple[Org, Org | None]]] = {s.path: [] for s in schools}
    for school_class in classes:
        grade = grades.get(school_class.path[:-step])
        school_path = school_class.path[: -2 * step] if grade else school_class.path[:-step]
        if school_path in by_school:
            by_school[school_path].append((school_class, grade))
    plans = []
    for school in schools:
        plan = SchoolPlan(school=school)
        plans.append(plan)
        stage = STAGES.get(school.stage)
        if stage is None:
            plan.skipped = (
                _("幼儿园不按年级升级")
                if school.stage == SchoolStage.KINDERGARTEN
                else _("未填写学段")
            )
            plan.skipped_classes = len(by_school[school.path])
            continue
        firsts, lasts = stage
        for school_class, grade in by_school[school.path]:
            level = grade_level_of(grade) if grade is not None and grade.is_open else None
            if level is None or not min(firsts) <= level <= max(lasts):
                plan.skipped_classes += 1
            elif level in lasts:
                plan.graduating.append(school_class)
            else:
                new_name = class_name_next(school_class.name, level)
                plan.moves.append(ClassMove(school_class, level, new_name))
                if level in firsts:
                    plan.first_year.setdefault(level, []).append(school_class.name)
    _count_graduates(plans)
    return plans


def _count_graduates(plans: list[SchoolPlan]) -> None:
    owner = {c.pk: plan for plan in plans for c in plan.graduating}
    if not owner:
        return
    children = Child.objects.filter(school_class__in=list(owner), status=ChildStatus.ACTIVE)
    child_plan = {}
    for pk, class_id in children.order_by("pk").values_list("pk", "school_class_id"):
        owner[class_id].graduates.append(pk)
        child_plan[pk] = owner[class_id]
    in_force = Pairing.objects.filter(
        Q(child__in=list(child_plan)) | Q(buddy__in=list(child_plan)), ended_on__isnull=True
    )
    for child_id, buddy_id in in_force.values_list("child_id", "buddy_id"):
        plan = child_plan.get(child_id) or child_plan.get(buddy_id)
        if plan is not None:
            plan.pairings += 1


def school_year_counties(user: AnyUser) -> QuerySet[Org]:
    """The counties whose school year a user may start and undo: county admins their
    county, superusers every county."""
    counties = Org.objects.filter(kind=OrgKind.COUNTY).order_by("path")
    if not user.is_authenticated or not user.is_active:
        return counties.none()
    if user.is_superuser:
        return counties
    ids = [
        m.org_id
        for m in user_memberships(user)
        if m.role == Role.COUNTY_ADMIN and m.org.kind == OrgKind.COUNTY
    ]
    return counties.filter(pk__in=ids)


def school_year_latest(*, county: Org) -> SchoolYearStart | None:
    """The county's latest step in force (not undone)."""
    return (
        SchoolYearStart.objects.filter(county=county, undone_at__isnull=True)
        .order_by("-year", "-started_at")
        .first()
    )


def graduates_waiting(*, step: SchoolYearStart, school: Org) -> QuerySet[Child]:
    """A primary school's graduates of ``step`` who have not moved on to a middle school."""
    return Child.objects.filter(
        pk__in=step.changes.get("left", []),
        school=school,
        status=ChildStatus.LEFT,
        left_on=first_day(step.year),
    ).order_by("name_pinyin", "pk")


def middle_schools_near(school: Org) -> QuerySet[Org]:
    """The open middle schools of a primary school's township first, then of its county."""
    township = school.path[: -Org.steplen]
    return Org.objects.filter(
        path__startswith=township,
        kind=OrgKind.SCHOOL,
        stage__in=MIDDLE_STAGES,
        closed_on__isnull=True,
    ).order_by("path")


def first_middle_classes(middle: Org) -> list[Org]:
    """A middle school's open 7th-grade classes (where primary graduates go)."""
    grades = [
        g
        for g in Org.objects.filter(path__startswith=middle.path, kind=OrgKind.GRADE)
        if g.is_open and grade_level_of(g) == 7
    ]
    if not grades:
        return []
    scope = Q(pk__in=[])
    for grade in grades:
        scope |= Q(path__startswith=grade.path)
    return list(
        Org.objects.filter(scope, kind=OrgKind.CLASS, closed_on__isnull=True).order_by("path")
    )


def teacher_checks_pending(*, schools: QuerySet[Org]) -> QuerySet[ClassTeacherCheck]:
    """Classes that moved up whose class teacher the school has not yet confirmed."""
    return (
        ClassTeacherCheck.objects.filter(
            school__in=schools, confirmed_at__isnull=True, step__undone_at__isnull=True
        )
        .select_related("school", "school_class")
        .order_by("school__path", "school_class__path")
    )
