"""Writes to a county's schools and their grades and classes.

A county administrator adds, renames, moves, merges and closes schools; a principal (or
the county) sets how many classes each grade of a school has. Nothing is ever deleted: a
closed school, grade or class keeps its history and is marked ``closed_on``.

Merging and closing look at the children on a school's roll (the moves of the org tree
and the moves of the children must happen in one transaction), so this module lives here,
above ``carenet.children``, not in ``carenet.orgs`` (see "Layers" in the README).

Errors a user can fix raise ``django.core.exceptions.ValidationError`` with a message in
Chinese; the pages show it as it is.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from carenet.children.models import Child, ChildStatus
from carenet.orgs.grades import NUMERALS, grade_name
from carenet.orgs.models import Org, OrgKind, SchoolStage

SCHOOL_CODE = re.compile(r"^\d{10}$")
MAX_CLASSES = 40  # per grade: more is a typing error
# The years of schooling (``Org.level``) each stage teaches. A kindergarten's groups
# (小班/中班/大班) are not grades of schooling: it has none here.
STAGE_LEVELS: dict[str, tuple[int, ...]] = {
    SchoolStage.PRIMARY: tuple(range(1, 7)),
    SchoolStage.MIDDLE: tuple(range(7, 10)),
    SchoolStage.NINE_YEAR: tuple(range(1, 10)),
    SchoolStage.FULL_SECONDARY: tuple(range(7, 13)),
    SchoolStage.TEACHING_POINT: tuple(range(1, 7)),
    SchoolStage.KINDERGARTEN: (),
}
_CLASS_NUMBER = re.compile(r"\((\d+)\)")


def stage_levels(stage: str) -> tuple[int, ...]:
    """The grades (years of schooling) a school of this stage has."""
    return STAGE_LEVELS.get(stage, ())


def class_name(level: int, number: int) -> str:
    """The usual name of a class: 一(1)班 … 九(3)班, 高一(2)班."""
    prefix = f"高{NUMERALS[level - 9]}" if level >= 10 else NUMERALS[level]
    return f"{prefix}({number})班"


def class_number(name: str) -> int | None:
    """The number of a class from its name: 一(3)班 → 3; None when it has none."""
    match = _CLASS_NUMBER.search(name.replace("（", "(").replace("）", ")"))
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------------------- checks


def _fresh(org: Org) -> Org:
    """The org as the database has it now (treebeard needs current paths and numchild)."""
    return Org.objects.get(pk=org.pk)


def _require_school(org: Org) -> None:
    if org.kind != OrgKind.SCHOOL:
        raise ValidationError(_("“%(name)s”不是学校。") % {"name": org.name})


def _require_township(township: Org, county_code: str) -> None:
    if township.kind != OrgKind.TOWNSHIP or township.county_code != county_code:
        raise ValidationError(_("请选择本县的乡镇。"))
    if not township.is_open:
        raise ValidationError(_("乡镇“%(name)s”已撤销。") % {"name": township.name})


def _clean_name(name: str) -> str:
    name = "".join(name.split())
    if not name:
        raise ValidationError(_("请填写学校名称。"))
    if len(name) > 100:
        raise ValidationError(_("学校名称不能超过 100 个字。"))
    return name


def _clean_code(code: str) -> str:
    code = "".join(code.split())
    if not SCHOOL_CODE.match(code):
        raise ValidationError(_("学校标识码应为 10 位数字。"))
    return code


def _clean_stage(stage: str) -> str:
    if stage not in SchoolStage.values:
        raise ValidationError(_("请选择办学类型（学段）。"))
    return stage


def children_on_roll(org: Org) -> int:
    """Children on the roll (在册) of a school, grade or class."""
    if org.kind == OrgKind.SCHOOL:
        children = Child.objects.filter(school=org)
    else:
        classes = Org.objects.filter(path__startswith=org.path, kind=OrgKind.CLASS)
        children = Child.objects.filter(school_class__in=classes)
    return children.filter(status=ChildStatus.ACTIVE).count()


def parent_path(org: Org) -> str:
    return org.path[: -Org.steplen]


def _free_code(code: str) -> str:
    """``code``, or ``code-2``, ``code-3`` … when it is taken."""
    candidate, n = code, 1
    while Org.objects.filter(code=candidate).exists():
        n += 1
        candidate = f"{code}-{n}"
    return candidate


# ---------------------------------------------------------------------------- schools


@transaction.atomic
def school_create(*, township: Org, name: str, code: str, stage: str) -> Org:
    """A new school under a township of its county, without grades (``classes_set``)."""
    _require_township(township, township.county_code)
    name, code, stage = _clean_name(name), _clean_code(code), _clean_stage(stage)
    if Org.objects.filter(code=code).exists():
        raise ValidationError(_("学校标识码 %(code)s 已被使用。") % {"code": code})
    values = dict(
        code=code, name=name, kind=OrgKind.SCHOOL, county_code=township.county_code, stage=stage
    )
    return Org.objects.add_child(_fresh(township), values)


def school_rename(*, school: Org, name: str) -> Org:
    _require_school(school)
    school.name = _clean_name(name)
    school.save(update_fields=["name"])
    return school


def school_stage_set(*, school: Org, stage: str) -> Org:
    """Change a school's stage; its grades and classes stay (``classes_set`` adds more)."""
    _require_school(school)
    school.stage = _clean_stage(stage)
    school.save(update_fields=["stage"])
    return school


@transaction.atomic
def school_move(*, school: Org, township: Org) -> Org:
    """Put a school under another township of its county. Its grades and classes move with
    it (one materialised-path rewrite); children keep their school and class."""
    _require_school(school)
    _require_township(township, school.county_code)
    school = _fresh(school)
    if parent_path(school) == township.path:
        return school
    Org.objects.move(school, _fresh(township), "last-child")
    return _fresh(school)


def _close_under(org: Org, on: dt.date) -> int:
    """Close an org and every open org under it."""
    return Org.objects.filter(path__startswith=org.path, closed_on__isnull=True).update(
        closed_on=on
    )


@transaction.atomic
def school_close(*, school: Org, on: dt.date | None = None) -> Org:
    """Close a school with its grades and classes. Refused while children are on its roll:
    they are moved first (a merge, or a transfer of each child)."""
    _require_school(school)
    school = _fresh(school)
    if not school.is_open:
        raise ValidationError(_("%(school)s已关闭。") % {"school": school.name})
    on_roll = children_on_roll(school)
    if on_roll:
        raise ValidationError(
            _(
                "%(school)s还有 %(n)d 名在册儿童，不能关闭。请先把他们转到其他学校，"
                "或把本校合并到另一所学校。"
            )
            % {"school": school.name, "n": on_roll}
        )
    _close_under(school, on or timezone.localdate())
    return _fresh(school)


@dataclass
class MergeResult:
    children: int = 0  # children whose school changed
    classes_moved: list[str] = field(default_factory=list)  # "一(3)班" as now named


def _grade_at(school: Org, level: int | None, name: str) -> Org:
    """The target school's grade for a level (or of that name), opened or created."""
    grades = Org.objects.filter(path__startswith=school.path, kind=OrgKind.GRADE)
    grade = (grades.filter(level=level) if level else grades.filter(name=name)).first()
    if grade is None:
        code = _free_code(f"{school.code}-G{level}" if level else f"{school.code}-G")
        values = dict(
            code=code,
            name=grade_name(level) if level else name,
            kind=OrgKind.GRADE,
            county_code=school.county_code,
            level=level,
        )
        return Org.objects.add_child(_fresh(school), values)
    if not grade.is_open:
        grade.closed_on = None
        grade.save(update_fields=["closed_on"])
    return grade


def _move_class(klass: Org, grade: Org, school: Org) -> Org:
    """Move a class under ``grade`` of ``school``, renumbered when its name is taken there."""
    taken = set(
        Org.objects.filter(path__startswith=grade.path, kind=OrgKind.CLASS).values_list(
            "name", flat=True
        )
    )
    name = klass.name
    if name in taken and grade.level:
        numbers = [class_number(n) or 0 for n in taken]
        name = class_name(grade.level, max(numbers, default=0) + 1)
    number = class_number(name)
    code = f"{grade.code}-{number}" if number else f"{grade.code}-C"
    Org.objects.move(_fresh(klass), _fresh(grade), "last-child")
    klass = _fresh(klass)
    klass.name = name
    klass.code = klass.code if klass.code == code else _free_code(code)
    klass.closed_on = None
    klass.save(update_fields=["name", "code", "closed_on"])
    return klass


@transaction.atomic
def school_merge(
    *,
    source: Org,
    target: Org,
    actor: Any = None,
    target_class: Org | None = None,
    on: dt.date | None = None,
) -> MergeResult:
    """Merge ``source`` into ``target`` (撤并): its children — with their care records,
    plans and history, which hang on the child — now belong to ``target``. Each class of
    ``source`` with children moves under the same grade of ``target`` (renumbered if the
    name is taken), unless ``target_class`` is given: then every child joins that class.
    ``source`` is closed with what is left of its grades and classes.

    The children's change is written with history rows (who, why); the indicators' kept
    counts of both schools stop being valid (the database triggers bump their versions)."""
    _require_school(source)
    _require_school(target)
    source, target = _fresh(source), _fresh(target)
    if source.pk == target.pk:
        raise ValidationError(_("不能把学校合并到它自己。"))
    if source.county_code != target.county_code:
        raise ValidationError(_("只能合并到本县的学校。"))
    if not source.is_open or not target.is_open:
        raise ValidationError(_("已关闭的学校不能合并。"))
    if target_class is not None and (
        target_class.kind != OrgKind.CLASS
        or not target_class.path.startswith(target.path)
        or not target_class.is_open
    ):
        raise ValidationError(_("请选择目标学校中未关闭的班级。"))
    result = MergeResult()
    children = list(Child.objects.filter(school=source).select_related("school_class"))
    if target_class is None:
        used = {child.school_class_id for child in children}
        classes = Org.objects.filter(pk__in=used).order_by("path")
        grades = {
            g.path: g for g in Org.objects.filter(path__startswith=source.path, kind=OrgKind.GRADE)
        }
        for klass in classes:
            grade = grades.get(klass.path[: -Org.steplen])
            level = grade.level if grade else None
            target_grade = _grade_at(target, level, grade.name if grade else _("其他"))
            result.classes_moved.append(_move_class(klass, target_grade, target).name)
    for child in children:
        child.school = target
        if target_class is not None:
            child.school_class = target_class
    reason = _("学校合并：%(source)s并入%(target)s") % {
        "source": source.name,
        "target": target.name,
    }
    bulk_update_with_history(
        children,
        Child,
        ["school", "school_class"],
        batch_size=500,
        default_user=actor if getattr(actor, "is_authenticated", False) else None,
        default_change_reason=reason[:100],
    )
    result.children = len(children)
    _close_under(source, on or timezone.localdate())
    return result


# ---------------------------------------------------------------------------- classes


@dataclass
class ClassesResult:
    added: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.reopened or self.closed)


def class_counts(school: Org) -> dict[int, int]:
    """Open classes per grade level of a school."""
    counts: dict[int, int] = {}
    grades = Org.objects.filter(
        path__startswith=school.path, kind=OrgKind.GRADE, level__isnull=False
    )
    levels = {g.path: g.level for g in grades}
    for path in Org.objects.filter(
        path__startswith=school.path, kind=OrgKind.CLASS, closed_on__isnull=True
    ).values_list("path", flat=True):
        level = levels.get(path[: -Org.steplen])
        if level is not None:
            counts[level] = counts.get(level, 0) + 1
    return counts


def _check_counts(school: Org, counts: dict[int, int]) -> None:
    allowed = stage_levels(school.stage)
    for level, count in counts.items():
        if not 0 <= count <= MAX_CLASSES:
            raise ValidationError(
                _("每个年级的班级数应在 0 到 %(max)d 之间。") % {"max": MAX_CLASSES}
            )
        if count and level not in allowed:
            raise ValidationError(
                _("%(grade)s不属于%(stage)s。")
                % {"grade": grade_name(level), "stage": school.get_stage_display()}
            )


def _grade_classes(grade: Org) -> list[Org]:
    classes = Org.objects.filter(path__startswith=grade.path, kind=OrgKind.CLASS)
    return sorted(classes, key=lambda c: (class_number(c.name) or 999, c.path))


def _sync_grade(school: Org, level: int, want: int, *, shrink: bool, result: ClassesResult) -> None:
    grade = Org.objects.filter(
        path__startswith=school.path, kind=OrgKind.GRADE, level=level
    ).first()
    if grade is None:
        if want == 0:
            return
        grade = _grade_at(school, level, grade_name(level))
    classes = _grade_classes(grade)
    open_classes = [c for c in classes if c.is_open]
    if len(open_classes) < want:
        if not grade.is_open:
            grade.closed_on = None
            grade.save(update_fields=["closed_on"])
        by_number = {class_number(c.name): c for c in classes}
        number = 0
        missing = want - len(open_classes)
        while missing:
            number += 1
            existing = by_number.get(number)
            if existing is not None and existing.is_open:
                continue
            if existing is not None:
                existing.closed_on = None
                existing.save(update_fields=["closed_on"])
                result.reopened.append(existing.name)
            else:
                name = class_name(level, number)
                values = dict(
                    code=_free_code(f"{school.code}-G{level}-{number}"),
                    name=name,
                    kind=OrgKind.CLASS,
                    county_code=school.county_code,
                )
                Org.objects.add_child(_fresh(grade), values)
                result.added.append(name)
            missing -= 1
    elif shrink and len(open_classes) > want:
        surplus = open_classes[want:]
        busy = [c.name for c in surplus if children_on_roll(c)]
        if busy:
            raise ValidationError(
                _("%(classes)s还有在册儿童，不能撤销。请先把儿童调到其他班级。")
                % {"classes": "、".join(busy)}
            )
        today = timezone.localdate()
        for klass in surplus:
            klass.closed_on = today
            klass.save(update_fields=["closed_on"])
            result.closed.append(klass.name)


@transaction.atomic
def classes_set(*, school: Org, counts: dict[int, int], shrink: bool = True) -> ClassesResult:
    """Give each grade (level → number of classes) of a school that many open classes.

    Missing grades and classes are added (一(1)班, 一(2)班 …; a closed class of the same
    name is opened again). With ``shrink`` a smaller number closes the surplus classes
    with the highest numbers, all or nothing: refused when one of them has children on
    its roll. Without it (an import) classes are only ever added."""
    _require_school(school)
    school = _fresh(school)
    _check_counts(school, counts)
    result = ClassesResult()
    for level in sorted(counts):
        _sync_grade(school, level, counts[level], shrink=shrink, result=result)
    return result
