"""The county's school list (学校名单): read it, validate every row, commit atomically.

The list an education bureau keeps: 学校名称, 学校标识码 (10 digits, the national school
identifier and the school's ``Org.code``), 所在乡镇 (name or 9-digit code), 办学类型/学段
and, optionally, class counts (班级数 for every grade, or one column per grade: 一年级 /
一年级班级数 / 1年级 …, or 一年级 … under a merged 班级数 cell).

As the register import: the file is read by ``carenet.exchange.reading``, the header is
found below title lines, blank and footer lines are skipped, each bad row is reported by
its Excel row number with the column and a Chinese message; ``schools_preview`` writes
nothing, ``schools_commit`` writes every good row in one transaction. The school code is
the key: a second import of the same file changes nothing; a changed name, township or
stage updates the school; class counts only ever add classes (``classes_set`` without
shrinking).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from carenet.exchange.columns import normalise_header
from carenet.exchange.importer.cells import FOOTER, cell_text
from carenet.exchange.importer.header import HEADER_SEARCH_ROWS, merge_fill
from carenet.exchange.importer.results import CellError, ImportPreview, RowResult
from carenet.exchange.reading import RegisterError, Sheet, read_sheets
from carenet.orgs.grades import grade_level
from carenet.orgs.models import Org, OrgKind, SchoolStage
from carenet.schoolyear.schools import (
    SCHOOL_CODE,
    class_counts,
    classes_set,
    parent_path,
    school_create,
    school_move,
    school_rename,
    school_stage_set,
    stage_levels,
)

__all__ = ["RegisterError", "SchoolPlan", "schools_commit", "schools_preview"]

# Field key → the header texts that mean it (the first is canonical).
SCHOOL_COLUMNS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "序"),
    "name": ("学校名称", "学校", "校名", "学校全称", "单位名称", "学校(机构)名称"),
    "code": (
        "学校标识码",
        "标识码",
        "学校识别码",
        "学校代码",
        "学校编码",
        "学校标识代码",
        "机构标识码",
    ),
    "township": (
        "所在乡镇",
        "乡镇",
        "所属乡镇",
        "乡镇名称",
        "乡镇街道",
        "所在乡镇街道",
        "乡镇代码",
    ),
    "stage": ("办学类型", "学段", "学校类型", "办学层次", "学校类别", "类型"),
    "classes": ("班级数", "班数", "班级数量", "每年级班级数"),
}
_HEADERS = {name: key for key, names in SCHOOL_COLUMNS.items() for name in names}
_CLASS_SUFFIX = re.compile(r"(班级数|班数|班级数量|班级)$")

STAGES: dict[str, str] = {
    "小学": SchoolStage.PRIMARY,
    "完全小学": SchoolStage.PRIMARY,
    "中心小学": SchoolStage.PRIMARY,
    "初中": SchoolStage.MIDDLE,
    "初级中学": SchoolStage.MIDDLE,
    "九年一贯制": SchoolStage.NINE_YEAR,
    "九年一贯制学校": SchoolStage.NINE_YEAR,
    "九年制": SchoolStage.NINE_YEAR,
    "一贯制": SchoolStage.NINE_YEAR,
    "完全中学": SchoolStage.FULL_SECONDARY,
    "完中": SchoolStage.FULL_SECONDARY,
    "教学点": SchoolStage.TEACHING_POINT,
    "小学教学点": SchoolStage.TEACHING_POINT,
    "幼儿园": SchoolStage.KINDERGARTEN,
    "学前教育": SchoolStage.KINDERGARTEN,
}
# A school's stage from its name, when the stage column is empty (longest ending first).
_NAME_ENDINGS = (
    ("九年一贯制学校", SchoolStage.NINE_YEAR),
    ("教学点", SchoolStage.TEACHING_POINT),
    ("幼儿园", SchoolStage.KINDERGARTEN),
    ("初级中学", SchoolStage.MIDDLE),
    ("小学", SchoolStage.PRIMARY),
)
_TOWNSHIP_ENDING = re.compile(r"(街道办事处|街道|办事处|镇|乡)$")


def _column_key(label: str, group: str) -> str | int | None:
    """A header cell's field key, or a grade level (int) for a column of class counts."""
    label, group = normalise_header(label), normalise_header(group)
    if group and _HEADERS.get(group) == "classes" and label != group:
        return grade_level(label)  # 班级数 over 一年级 / 二年级 …
    key = _HEADERS.get(label)
    if key:
        return key
    if label and ("年级" in label or label[0] in "初高"):
        return grade_level(_CLASS_SUFFIX.sub("", label))
    return None


@dataclass
class _Header:
    rows: list[int]  # 0-based
    columns: dict[int, str | int]
    texts: dict[int, str]


def _find_header(sheet: Sheet) -> _Header | None:
    rows = sheet.rows[:HEADER_SEARCH_ROWS]
    filled = merge_fill(sheet, HEADER_SEARCH_ROWS)

    def cell(r: int, c: int) -> str:
        if (r, c) in filled:
            return cell_text(filled[(r, c)])
        row = rows[r]
        return cell_text(row[c]) if c < len(row) and isinstance(row[c], str) else ""

    best: tuple[tuple[int, int], _Header] | None = None
    for r in range(len(rows)):
        for group in (None, r - 1) if r else (None,):
            columns: dict[int, str | int] = {}
            texts: dict[int, str] = {}
            width = max(len(rows[r]), len(rows[group]) if group is not None else 0)
            for c in range(min(width, 200)):
                label = cell(r, c)
                upper = cell(group, c) if group is not None else ""
                if not label:
                    label, upper = upper, ""
                key = _column_key(label, upper)
                if key is not None and key not in columns.values():
                    columns[c] = key
                    texts[c] = f"{upper}/{label}" if upper and upper != label else label
            keys = set(columns.values())
            if not {"name", "code"} <= keys:
                continue
            header_rows = [r] if group is None else [group, r]
            score = (len(keys), -len(header_rows))
            if best is None or score > best[0]:
                best = (score, _Header(header_rows, columns, texts))
    return best[1] if best else None


@dataclass
class SchoolPlan:
    """What one good row does."""

    code: str
    name: str
    township: Org
    stage: str
    counts: dict[int, int]  # level → classes (only those the file states)
    school: Org | None = None  # on file already
    changes: list[str] = field(default_factory=list)  # what an update changes, in words


def _plain(value: object) -> str:
    return "".join(unicodedata.normalize("NFKC", cell_text(value)).split())


class _Townships:
    """The county's townships by 9-digit code and by name (with or without 镇/乡/街道)."""

    def __init__(self, county: Org) -> None:
        self.by_code: dict[str, Org] = {}
        self.by_name: dict[str, list[Org]] = {}
        for township in Org.objects.filter(
            path__startswith=county.path, kind=OrgKind.TOWNSHIP, closed_on__isnull=True
        ):
            self.by_code[township.code] = township
            for name in {township.name, _TOWNSHIP_ENDING.sub("", township.name)}:
                self.by_name.setdefault(name, []).append(township)

    def find(self, text: str) -> Org | None:
        if text.isdigit():
            return self.by_code.get(text)
        found = self.by_name.get(text) or self.by_name.get(_TOWNSHIP_ENDING.sub("", text))
        return found[0] if found and len(found) == 1 else None


def _stage(text: str, name: str) -> str | None:
    if text:
        return STAGES.get(text) or (text if text in SchoolStage.values else None)
    for ending, stage in _NAME_ENDINGS:
        if name.endswith(ending):
            return stage
    return None


class _Validator:
    def __init__(self, header: _Header, county: Org) -> None:
        self.header = header
        self.county = county
        self.townships = _Townships(county)
        self.index: dict[str | int, int] = {key: c for c, key in header.columns.items()}
        self.seen: dict[str, int] = {}  # code → Excel row
        self.existing = {
            o.code: o
            for o in Org.objects.filter(code__regex=r"^[0-9]{10}$").only(
                "pk", "code", "name", "kind", "county_code", "stage", "path", "closed_on"
            )
        }

    def column(self, key: str | int) -> str:
        c = self.index.get(key)
        return self.header.texts[c] if c is not None else SCHOOL_COLUMNS.get(key, ("",))[0]  # type: ignore[arg-type]  # a level (int): none

    def cell(self, cells: list[object], key: str | int) -> object:
        c = self.index.get(key)
        return cells[c] if c is not None and c < len(cells) else None

    def validate(self, row: int, cells: list[object]) -> tuple[SchoolPlan | None, list[CellError]]:
        errors: list[CellError] = []

        def fail(key: str, message: str) -> None:
            errors.append(CellError(key, self.column(key), message))

        name = "".join(cell_text(self.cell(cells, "name")).split())
        if not name:
            fail("name", _("缺少学校名称"))
        elif len(name) > 100:
            fail("name", _("学校名称不能超过 100 个字"))
        code = _plain(self.cell(cells, "code"))
        if not code:
            fail("code", _("缺少学校标识码"))
        elif not SCHOOL_CODE.match(code):
            fail("code", _("学校标识码应为 10 位数字：%(value)s") % {"value": code[:20]})
        elif code in self.seen:
            fail("code", _("学校标识码与第 %(row)d 行重复") % {"row": self.seen[code]})
        else:
            self.seen[code] = row
            other = self.existing.get(code)
            if other is not None and (
                other.kind != OrgKind.SCHOOL or other.county_code != self.county.county_code
            ):
                fail("code", _("学校标识码 %(code)s 已属于其他县或其他单位") % {"code": code})
        township_text = _plain(self.cell(cells, "township"))
        township = None
        if "township" not in self.index:
            fail("township", _("文件中没有“所在乡镇”列"))
        elif not township_text:
            fail("township", _("缺少所在乡镇"))
        else:
            township = self.townships.find(township_text)
            if township is None:
                fail(
                    "township",
                    _("乡镇“%(value)s”不在%(county)s的乡镇中")
                    % {"value": township_text[:30], "county": self.county.name},
                )
        stage_text = _plain(self.cell(cells, "stage"))
        stage = _stage(stage_text, name)
        if stage is None:
            allowed = "、".join(str(label) for label in SchoolStage.labels)
            message = (
                _("办学类型“%(value)s”无法识别，可填：%(allowed)s")
                if stage_text
                else _("缺少办学类型，可填：%(allowed)s")
            )
            fail("stage", message % {"value": stage_text[:20], "allowed": allowed})
        counts = self._counts(cells, stage, fail)
        if errors:
            return None, errors
        assert township is not None and stage is not None
        return SchoolPlan(code, name, township, stage, counts), []

    def _counts(self, cells: list[object], stage: str | None, fail) -> dict[int, int]:
        counts: dict[int, int] = {}
        levels = stage_levels(stage) if stage else ()
        for key in self.index:
            if key != "classes" and not isinstance(key, int):
                continue
            text = _plain(self.cell(cells, key))
            if not text:
                continue
            try:
                number = float(text)
            except ValueError:
                number = -1.0
            if number < 0 or number > 40 or not number.is_integer():
                fail(key, _("班级数应为 0 到 40 的整数：%(value)s") % {"value": text[:10]})
                continue
            if key == "classes":
                for level in levels:
                    counts.setdefault(level, int(number))
            elif key in levels or not number:
                counts[key] = int(number)  # type: ignore[index]  # a level: "classes" went above
            elif stage:
                fail(key, _("该校的办学类型没有这个年级"))
        return counts


def _is_blank(cells: list[object], seq: int | None) -> bool:
    return not any(cell_text(v) for c, v in enumerate(cells) if c != seq)


def _is_footer(cells: list[object]) -> bool:
    for value in cells:
        text = cell_text(value)
        if text:
            return bool(FOOTER.match(text))
    return False


def _plan_changes(plan: SchoolPlan) -> str:
    """Look up the school on file: 'create', 'update' (with ``plan.changes``) or
    'unchanged'."""
    school = Org.objects.filter(code=plan.code, kind=OrgKind.SCHOOL).first()
    if school is None:
        return "create"
    plan.school = school
    if school.name != plan.name:
        plan.changes.append(_("名称改为%(name)s") % {"name": plan.name})
    if parent_path(school) != plan.township.path:
        plan.changes.append(_("移至%(township)s") % {"township": plan.township.name})
    if school.stage != plan.stage:
        label = SchoolStage(plan.stage).label
        plan.changes.append(_("学段改为%(stage)s") % {"stage": label})
    have = class_counts(school)
    more = sum(max(0, n - have.get(level, 0)) for level, n in plan.counts.items())
    if more:
        plan.changes.append(_("增加 %(n)d 个班") % {"n": more})
    return "update" if plan.changes else "unchanged"


def schools_preview(*, data: bytes, filename: str, county: Org) -> ImportPreview:
    """Read and validate a whole school list; say what each row would do. Writes nothing.
    Raises RegisterError when the file is not a school list."""
    best: tuple[Sheet, _Header] | None = None
    for sheet in read_sheets(data, filename):
        header = _find_header(sheet)
        if header and (best is None or len(header.columns) > len(best[1].columns)):
            best = (sheet, header)
    if best is None:
        raise RegisterError(_("没有找到表头：文件中需要有“学校名称”和“学校标识码”两列"))
    sheet, header = best
    validator = _Validator(header, county)
    seq = validator.index.get("seq")
    results: list[RowResult] = []
    first = header.rows[-1] + 1
    for index, cells in enumerate(sheet.all_rows()):
        if index < first:
            continue
        row = index + 1
        cells = list(cells)
        if _is_blank(cells, seq) or _is_footer(cells):
            results.append(RowResult(row, "skip", [], []))
            continue
        plan, errors = validator.validate(row, cells)
        if plan is None:
            results.append(RowResult(row, "reject", errors, cells))
            continue
        action: Any = _plan_changes(plan)
        results.append(RowResult(row, action, [], [], plan))  # type: ignore[arg-type]  # a school row's plan
    return ImportPreview(
        filename=filename,
        header_rows=[r + 1 for r in header.rows],
        columns={c: str(k) for c, k in header.columns.items()},
        rows=results,
        headers=header.texts,
    )


@transaction.atomic
def schools_commit(*, preview: ImportPreview) -> ImportPreview:
    """Write every good row of a preview in one transaction (nothing if one write fails)."""
    for result in preview.rows:
        plan: SchoolPlan | None = result.plan  # type: ignore[assignment]  # see schools_preview
        if plan is None or result.action not in ("create", "update"):
            continue
        try:
            _write(plan)
        except ValidationError as exc:  # the database changed since the preview
            raise RegisterError(
                _("第 %(row)d 行无法写入：%(error)s")
                % {"row": result.row, "error": "；".join(exc.messages)}
            ) from None
    return preview


def _write(plan: SchoolPlan) -> None:
    school = plan.school
    if school is None:
        school = school_create(
            township=plan.township, name=plan.name, code=plan.code, stage=plan.stage
        )
    else:
        if school.name != plan.name:
            school = school_rename(school=school, name=plan.name)
        if school.stage != plan.stage:
            school = school_stage_set(school=school, stage=plan.stage)
        if parent_path(school) != plan.township.path:
            school = school_move(school=school, township=plan.township)
    if plan.counts:
        classes_set(school=school, counts=plan.counts, shrink=False)
