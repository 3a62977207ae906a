"""The register (花名册) export: ONE row generator, rendered to xlsx, CSV, print and PDF.

``register_rows`` reads the children the caller has already scoped (``visible_children``)
with their family, away periods, pairings and left-behind status, masks ID numbers and
phones unless the caller says ``unmasked``, and yields one row per child in a ``Layout``:

- ``canonical`` (关爱网花名册): the columns of REGISTER.md, what the import reads back;
- ``mca2016`` (民政部2016农村留守儿童花名册): the civil-affairs form of the 2016 national
  survey (国发〔2016〕13号), with its title, 填报单位/填报日期 line and signature footer; by
  default only the children left behind by the civil-affairs definition (民政口径);
- ``xueji`` (学籍系统留守儿童标识): the 学籍 system's 留守 flags, coded as its filling rules
  say (0 非留守 / 1 单亲留守 / 2 双亲留守), for the children at a school.

A layout is a header and a function from one child (as the generator read it) to a row:
the query, the masking and the left-behind status are never copied. Nothing here decides
who may see what, except the masking.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import xlsxwriter
from django.db.models import Choices, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carenet.children.models import (
    Assistance,
    Category,
    Child,
    ChildStatus,
    Education,
    FamilyMember,
    Gender,
    GuardianshipQuality,
    Health,
    Immunization,
    IncomeSource,
    LeftBehindType,
    Relation,
    Schooling,
    Stage,
    code_labels,
)
from carenet.children.selectors import living_or_schooled_under, with_left_behind
from carenet.exchange.selectors import ExportChild, register_chunks
from carenet.lib.idcard import make_id_number
from carenet.lib.names import user_name
from carenet.lib.phone import mask_id_number, mask_phone, mask_student_number
from carenet.orgs.models import Org, OrgKind, SchoolStage
from carenet.reports.pdf import render_pdf

# The canonical columns of the register, in export order (REGISTER.md). They are the
# official headers of a Chinese form, so they are data, not messages to translate.
REGISTER_COLUMNS: list[str] = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "身份证号",
    "学籍号",
    "学校",
    "年级",
    "班级",
    "是否寄宿",
    "户籍地",
    "现居住地（乡镇/村/组）",
    "健康状况",
    "残疾类别等级",
    "就学情况",
    "留守类型（单亲/双亲）",
    "父亲姓名",
    "父亲身份证号",
    "父亲联系电话",
    "父亲务工地点（省/市）",
    "父亲务工单位",
    "父亲外出时间",
    "母亲姓名",
    "母亲身份证号",
    "母亲联系电话",
    "母亲务工地点",
    "母亲务工单位",
    "母亲外出时间",
    "监护人姓名",
    "与儿童关系",
    "监护人年龄",
    "监护人身体状况",
    "监护人文化程度",
    "监护人职业",
    "监护人联系电话",
    "监护人住址",
    "监护类型（较好/一般/差/无人监护…）",
    "计划免疫接种",
    "兴趣爱好",
    "性格特征",
    "特殊类别（特困/特长/特殊/单亲/潜能生）",
    "帮扶教师",
    "学习帮手",
    "备注",
]

# Columns Excel must keep as text: long digit strings (IDs, student numbers), phones, and
# the 学籍 system's codes (0/1/2, not numbers to add up). By header, in every layout.
TEXT_COLUMNS = frozenset(
    {
        "身份证号",
        "学籍号",
        "父亲身份证号",
        "父亲联系电话",
        "母亲身份证号",
        "母亲联系电话",
        "监护人联系电话",
        "公民身份证号码",
        "父亲公民身份证号码",
        "母亲公民身份证号码",
        "委托监护人电话",
        "委托监护人公民身份证号码",
        "全国学籍号",
        "身份证件类型",
        "身份证件号",
        "是否留守儿童",
        "是否进城务工人员随迁子女",
        "是否孤儿",
        "是否需要申请资助",
    }
)
DATE_COLUMNS = frozenset(
    {
        "出生日期",
        "父亲外出时间",
        "母亲外出时间",
        *(f"{word}出生日期" for word in ("祖父", "祖母", "外祖父", "外祖母", "父亲", "母亲")),
    }
)

# Column widths (characters) for the sheet and the printed page; default 10.
_WIDTHS = {
    "序号": 6,
    "姓名": 10,
    "性别": 5,
    "民族": 7,
    "出生日期": 11,
    "身份证号": 21,
    "学籍号": 21,
    "学校": 16,
    "是否寄宿": 6,
    "户籍地": 18,
    "现居住地（乡镇/村/组）": 24,
    "残疾类别等级": 12,
    "留守类型（单亲/双亲）": 11,
    "父亲身份证号": 21,
    "母亲身份证号": 21,
    "父亲联系电话": 14,
    "母亲联系电话": 14,
    "监护人联系电话": 14,
    "父亲务工地点（省/市）": 16,
    "母亲务工地点": 16,
    "父亲务工单位": 18,
    "母亲务工单位": 18,
    "父亲外出时间": 11,
    "母亲外出时间": 11,
    "监护人住址": 22,
    "监护类型（较好/一般/差/无人监护…）": 12,
    "计划免疫接种": 11,
    "兴趣爱好": 16,
    "性格特征": 16,
    "特殊类别（特困/特长/特殊/单亲/潜能生）": 16,
    "备注": 24,
    # The 2016 form (民政部) and the 学籍 flags.
    "公民身份证号码": 21,
    "父亲公民身份证号码": 21,
    "母亲公民身份证号码": 21,
    "委托监护人公民身份证号码": 21,
    "户籍所在地": 18,
    "现居住地": 22,
    "残疾类别及等级": 12,
    "就学情况": 8,
    "父亲当前务工地点": 16,
    "母亲当前务工地点": 16,
    "委托监护人电话": 14,
    "委托监护人居住地址": 22,
    "监护类型": 14,
    "家庭经济来源": 16,
    "救助帮扶情况": 16,
    "全国学籍号": 21,
    "身份证件号": 21,
    **{f"{word}出生日期": 11 for word in ("祖父", "祖母", "外祖父", "外祖母", "父亲", "母亲")},
}
# Columns repeated on every printed page (so each page says whose row it is).
_KEY_COLUMNS = 2  # 序号, 姓名
# What fits across an A4 landscape page with narrow margins at 100 %, in characters.
_PAGE_WIDTH = 138


def column_width(name: str) -> int:
    return _WIDTHS.get(name, 10)


def column_groups(header: Sequence[str] = REGISTER_COLUMNS) -> list[list[int]]:
    """A register's columns split into groups that each fit an A4 landscape page next to
    the key columns (the first two: 序号, 姓名). Indexes into ``header``."""
    budget = _PAGE_WIDTH - sum(column_width(c) for c in header[:_KEY_COLUMNS])
    groups: list[list[int]] = [[]]
    used = 0
    for index in range(_KEY_COLUMNS, len(header)):
        width = column_width(header[index])
        if groups[-1] and used + width > budget:
            groups.append([])
            used = 0
        groups[-1].append(index)
        used += width
    return groups


# --------------------------------------------------------------------------- rows


def register_children(org: Org, children: QuerySet[Child]) -> QuerySet[Child]:
    """The children on the roll (在册) of an org's register: by residence or school
    (``children.selectors.living_or_schooled_under``: at its schools and classes, or
    living in its villages), of the scope ``children`` (a user's ``visible_children``,
    the command line's ``operator_scope``)."""
    return children.filter(living_or_schooled_under(org), status=ChildStatus.ACTIVE)


def _org_names() -> dict[str, str]:
    """Names of grades and townships by tree path: a class's grade and a village's
    township are their parents, looked up here instead of once per row."""
    orgs = Org.objects.filter(kind__in=[OrgKind.GRADE, OrgKind.TOWNSHIP])
    return dict(orgs.values_list("path", "name"))


def _parent_name(org: Org | None, names: dict[str, str]) -> str:
    if org is None:
        return ""
    return names.get(org.path[: -Org.steplen], "")


def _labels(*choices: type[Choices]) -> dict[str, str]:
    """Display labels of choice values, translated once per export, not once per cell."""
    return {value: str(label) for c in choices for value, label in c.choices}


def _residence(child: ExportChild, names: dict[str, str]) -> str:
    parts = [_parent_name(child.village, names), child.village.name if child.village else ""]
    parts.append(child.residence_group)
    return "/".join(parts).strip("/") if any(parts) else ""


def _work_place(member: FamilyMember | None) -> str:
    if member is None:
        return ""
    return "/".join(p for p in (member.work_province, member.work_city) if p)


def _away_since(child: ExportChild, relation: str) -> dt.date | None:
    """When the parent left, if they are away now (their latest period still open)."""
    latest = child.export_away.get(relation)
    return latest.start if latest is not None and latest.end is None else None


class RowContext:
    """What the rows of one export share, computed once, not once per cell: the masking
    of ID numbers, student numbers and phones, the display labels, the org names."""

    def __init__(self, *, unmasked: bool) -> None:
        self.unmasked = unmasked
        self.phone: Callable[[str], str] = _as_stored if unmasked else mask_phone
        self.id_number: Callable[[str], str] = _as_stored if unmasked else mask_id_number
        self.student_number: Callable[[str], str] = _as_stored if unmasked else mask_student_number
        self.names = _org_names()
        self.gender = _labels(Gender)
        self.health, self.schooling = _labels(Health), _labels(Schooling)
        self.left_behind, self.education = _labels(LeftBehindType), _labels(Education)
        self.quality, self.immunization = _labels(GuardianshipQuality), _labels(Immunization)
        self.category = _labels(Category)

    @cached_property
    def levels(self) -> dict[str, int]:
        """The year of schooling of every grade, by tree path (a class's grade is its
        parent): read once, for the layouts that name a child's stage."""
        grades = Org.objects.filter(kind=OrgKind.GRADE, level__isnull=False)
        return dict(grades.values_list("path", "level"))


def _as_stored(value: str | None) -> str:
    return value or ""


def _canonical_row(number: int, child: ExportChild, ctx: RowContext) -> list:
    """The values of ``REGISTER_COLUMNS``, in order."""
    family = child.export_family
    guardian = family.get(Relation.GUARDIAN)
    mentor = child.export_mentor
    id_number, phone, names = ctx.id_number, ctx.phone, ctx.names
    row: list = [
        number,
        child.name,
        ctx.gender.get(child.gender, child.gender),
        child.ethnicity,
        child.birth_date,
        id_number(child.id_number),
        ctx.student_number(child.student_number),
        child.school.name if child.school else "",
        _parent_name(child.school_class, names),
        child.school_class.name if child.school_class else "",
        "是" if child.boarding else "否",
        child.registered_residence,
        _residence(child, names),
        ctx.health.get(child.health, child.health),
        child.disability,
        ctx.schooling.get(child.schooling, child.schooling),
        ctx.left_behind.get(child.left_behind_type, ""),
    ]
    for relation in (Relation.FATHER, Relation.MOTHER):
        parent = family.get(relation)
        row += [
            parent.name if parent else "",
            id_number(parent.id_number) if parent else "",
            phone(parent.phone) if parent else "",
            _work_place(parent),
            parent.employer if parent else "",
            _away_since(child, relation),
        ]
    if guardian is not None:
        row += [
            guardian.name,
            guardian.kinship,
            guardian.age,
            guardian.health,
            ctx.education.get(guardian.education, guardian.education),
            guardian.occupation,
            phone(guardian.phone),
            guardian.address,
            ctx.quality.get(guardian.guardianship_quality, guardian.guardianship_quality),
        ]
    else:
        row += ["", "", None, "", "", "", "", "", ""]
    row += [
        ctx.immunization.get(child.immunization, child.immunization),
        child.interests,
        child.personality,
        "、".join(ctx.category.get(c, c) for c in child.category_list),
        user_name(mentor.mentor) if mentor and mentor.mentor else "",
        child.export_buddy.buddy_name if child.export_buddy else "",
        child.notes,
    ]
    return row


def register_rows(
    children: QuerySet[Child],
    *,
    unmasked: bool,
    layout: Layout | None = None,
    left_behind_only: bool | None = None,
) -> Iterator[list]:
    """One list per child, the values of the layout's header in order (by default the
    canonical ``REGISTER_COLUMNS``).

    ``children`` must already be scoped by the caller; the layout may narrow them (the
    2016 form lists the children left behind by the civil-affairs definition unless
    ``left_behind_only`` is False; the 学籍 flags only the children at a school). Dates are
    ``datetime.date`` (or None), everything else a string (numbers as text) or None for the
    guardian's age.
    """
    layout = layout or CANONICAL
    only_left_behind = layout.left_behind_only if left_behind_only is None else left_behind_only
    if only_left_behind:
        children = with_left_behind(children).filter(civil_left_behind=True)
    if layout.at_school_only:
        children = children.filter(school__isnull=False)
    ctx = RowContext(unmasked=unmasked)
    row = layout.row
    number = 0
    for chunk in register_chunks(children):
        for child in chunk:
            number += 1
            yield row(number, child, ctx)


# --------------------------------------------------------------------------- layouts

# The 2016 form's own words (国发〔2016〕13号, 农村留守儿童基本情况登记表 and 花名册): data,
# not messages to translate, like the canonical headers.
MCA2016_TITLE = "农村留守儿童花名册"
MCA2016_SIGNATURES = "单位负责人（签名）：　　　　　　复核人（签名）：　　　　　　填表人（签名）："
_GRANDPARENTS = (
    (Relation.GRANDFATHER, "祖父"),
    (Relation.GRANDMOTHER, "祖母"),
    (Relation.M_GRANDFATHER, "外祖父"),
    (Relation.M_GRANDMOTHER, "外祖母"),
)
MCA2016_COLUMNS: list[str] = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "公民身份证号码",
    "是否登记户口",
    "户籍所在地",
    "现居住地",
    "身体状况",
    "残疾类别及等级",
    "患病类型",
    "是否学校寄宿",
    "就学情况",
    *(f"{word}{part}" for _r, word in _GRANDPARENTS for part in ("姓名", "出生日期")),
    *(
        f"{word}{part}"
        for word in ("父亲", "母亲")
        for part in ("姓名", "出生日期", "公民身份证号码", "当前务工地点", "联系电话")
    ),
    "父母双方同时外出",
    "父母一方外出、另一方无监护能力",
    "无监护能力（父亲/母亲）",
    "有无委托监护人",
    "委托监护人姓名",
    "委托监护人电话",
    "委托监护人公民身份证号码",
    "与被监护人关系",
    "委托监护人居住地址",
    "监护类型",
    "家庭经济来源",
    "救助帮扶情况",
    "备注",
]
# 就学情况 as the form words it, for the states of a child not at school.
_MCA_SCHOOLING: dict[str, str] = {
    Schooling.KINDERGARTEN: "幼儿园",
    Schooling.NOT_IN_KINDERGARTEN: "未入园",
    Schooling.NOT_SCHOOL_AGE: "未入园",
    Schooling.DROPPED_OUT: "辍学",
    Schooling.OUT_OF_SCHOOL: "不在学",
}
# A stage of schooling in the form's words: the child's ``stage`` (filed under a village),
# the school's stage.
_MCA_STAGES: dict[str, str] = {
    Stage.PRIMARY: "小学",
    Stage.JUNIOR: "初中",
    Stage.SENIOR: "高中",
    Stage.VOCATIONAL: "中职",
    SchoolStage.PRIMARY: "小学",
    SchoolStage.TEACHING_POINT: "小学",
    SchoolStage.MIDDLE: "初中",
    SchoolStage.KINDERGARTEN: "幼儿园",
}
# 监护类型: the form's five states; the guardian's guardianship quality gives most of them.
_MCA_GUARDIANSHIP: dict[str, str] = {
    GuardianshipQuality.NONE: "无人监护",
    GuardianshipQuality.POOR: "受委托监护人监护能力不足",
    GuardianshipQuality.FAIR: "监护情况一般",
    GuardianshipQuality.GOOD: "监护情况较好",
}
_MCA_HEALTH: dict[str, str] = {Health.DISABLED: "残疾", Health.CHRONIC: "患病"}


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def _stage(child: ExportChild, ctx: RowContext) -> str:
    """小学/初中/高中 from the grade's year of schooling, else the school's stage, else
    the stage of a child filed under a village; 幼儿园/未入园/辍学/不在学 from the schooling."""
    if child.schooling in _MCA_SCHOOLING:
        return _MCA_SCHOOLING[child.schooling]
    level = ctx.levels.get(child.school_class.path[: -Org.steplen]) if child.school_class else None
    if level:
        return "小学" if level <= 6 else "初中" if level <= 9 else "高中"
    if child.school is not None:
        return _MCA_STAGES.get(child.school.stage, "")
    return _MCA_STAGES.get(child.stage, "")


def _current_work_place(child: ExportChild, relation: str, parent: FamilyMember | None) -> str:
    """Where a parent works now: the province and city while away (外出 without a place),
    在家 when not away, nothing without a parent on file."""
    if parent is None:
        return ""
    if _away_since(child, relation) is None:
        return "在家"
    return parent.work_province + parent.work_city or "外出"


def _village_address(child: ExportChild, names: dict[str, str]) -> str:
    """The township, the village and the address within it (or the village group)."""
    village = child.village.name if child.village else ""
    township = _parent_name(child.village, names)
    detail = child.residence_address or child.residence_group
    if village and detail.startswith(village):
        village = ""
    return f"{township}{village}{detail}"


def _guardianship_type(child: ExportChild, guardian: FamilyMember | None) -> str:
    """监护类型: 无人监护 when the guardian's assessment says so or both parents are away
    with nobody entrusted; 父或母无监护能力 when one is away and the one at home cannot
    guard, nobody entrusted; else the entrusted guardian's assessment."""
    quality = guardian.guardianship_quality if guardian is not None else ""
    nobody_entrusted = not (guardian is not None and guardian.name)
    if quality == GuardianshipQuality.NONE or (
        nobody_entrusted and child.father_away and child.mother_away
    ):
        return "无人监护"
    other_unable = (child.father_away and child.mother_unable) or (
        child.mother_away and child.father_unable
    )
    if other_unable and nobody_entrusted:
        return "父或母无监护能力"
    return _MCA_GUARDIANSHIP.get(quality, "")


def _mca2016_row(number: int, child: ExportChild, ctx: RowContext) -> list:
    """The values of ``MCA2016_COLUMNS``, in order, in the form's words (是/否)."""
    family = child.export_family
    guardian = family.get(Relation.GUARDIAN)
    id_number, phone = ctx.id_number, ctx.phone
    hukou = child.hukou_registered
    health = _MCA_HEALTH.get(child.health) or ("残疾" if child.disability else "健康")
    row: list = [
        number,
        child.name,
        ctx.gender.get(child.gender, child.gender),
        child.ethnicity,
        child.birth_date,
        id_number(child.id_number),
        # Not said: a child with an ID number has one from the household register.
        _yes_no(True if hukou is None else hukou),
        child.registered_residence,
        _village_address(child, ctx.names),
        health,
        child.disability,
        child.health_notes if child.health == Health.CHRONIC else "",
        _yes_no(child.boarding),
        _stage(child, ctx),
    ]
    for relation, _word in _GRANDPARENTS:
        member = family.get(relation)
        row += [
            member.name if member else "",
            member.birth_date if member else None,
        ]
    for relation in (Relation.FATHER, Relation.MOTHER):
        parent = family.get(relation)
        row += [
            parent.name if parent else "",
            parent.birth_date if parent else None,
            id_number(parent.id_number) if parent else "",
            _current_work_place(child, relation, parent),
            phone(parent.phone) if parent else "",
        ]
    unable = [w for w, f in (("父亲", child.father_unable), ("母亲", child.mother_unable)) if f]
    entrusted = child.guardian_entrusted
    if entrusted is None:
        entrusted = guardian is not None and bool(guardian.name)
    row += [
        _yes_no(child.father_away and child.mother_away),
        _yes_no(
            (child.father_away and child.mother_unable)
            or (child.mother_away and child.father_unable)
        ),
        "、".join(unable),
        _yes_no(entrusted),
        guardian.name if guardian else "",
        phone(guardian.phone) if guardian else "",
        id_number(guardian.id_number) if guardian else "",
        guardian.kinship if guardian else "",
        guardian.address if guardian else "",
        _guardianship_type(child, guardian),
        "、".join(code_labels(IncomeSource, child.income_sources)),
        "、".join(code_labels(Assistance, child.assistance)),
        child.notes,
    ]
    return row


# The 学籍 system's codes (全国中小学生学籍信息管理系统, 学生基本信息 filling rules).
XUEJI_LEFT_BEHIND: dict[str, str] = {
    LeftBehindType.NONE: "0",
    LeftBehindType.ONE_PARENT: "1",
    LeftBehindType.BOTH_PARENTS: "2",
}
XUEJI_ID_TYPE = "1"  # 居民身份证
XUEJI_COLUMNS: list[str] = [
    "全国学籍号",
    "姓名",
    "身份证件类型",
    "身份证件号",
    "学校",
    "年级",
    "班级",
    "是否留守儿童",
    "是否进城务工人员随迁子女",
    "是否孤儿",
    "是否需要申请资助",
]


def _xueji_row(number: int, child: ExportChild, ctx: RowContext) -> list:
    """The values of ``XUEJI_COLUMNS``, in order, coded as the 学籍 system reads them. 留守
    is the education system's definition (a parent away three months or more)."""
    row: list = [
        ctx.student_number(child.student_number),
        child.name,
        XUEJI_ID_TYPE,
        ctx.id_number(child.id_number),
        child.school.name if child.school else "",
        _parent_name(child.school_class, ctx.names),
        child.school_class.name if child.school_class else "",
        XUEJI_LEFT_BEHIND.get(child.left_behind_type, "0"),
        "1" if child.migrant_child else "0",
        "1" if child.orphan else "0",
        "1" if child.needs_aid else "0",
    ]
    return row


@dataclass(frozen=True)
class Layout:
    """A register layout: its header and its row over one child of ``register_rows``."""

    key: str
    label: Promise | str
    header: list[str]
    row: Callable[[int, ExportChild, RowContext], list]
    # The words of its title: "{org}留守儿童花名册".
    title: str
    # The paper form's title row, 填报单位/填报日期 line and signature footer (mca2016).
    paper_form: bool = False
    left_behind_only: bool = False
    at_school_only: bool = False


CANONICAL = Layout(
    key="canonical",
    label=gettext_lazy("关爱网花名册"),
    header=REGISTER_COLUMNS,
    row=_canonical_row,
    title="留守儿童花名册",
)
MCA2016 = Layout(
    key="mca2016",
    label=gettext_lazy("民政部2016农村留守儿童花名册"),
    header=MCA2016_COLUMNS,
    row=_mca2016_row,
    title=MCA2016_TITLE,
    paper_form=True,
    left_behind_only=True,
)
XUEJI = Layout(
    key="xueji",
    label=gettext_lazy("学籍系统留守儿童标识"),
    header=XUEJI_COLUMNS,
    row=_xueji_row,
    title="学籍系统留守儿童标识",
    at_school_only=True,
)
LAYOUTS: dict[str, Layout] = {layout.key: layout for layout in (CANONICAL, MCA2016, XUEJI)}


class Counted:
    """Wraps rows to count them as a renderer consumes them (for the export's log line)."""

    def __init__(self, rows: Iterable[Sequence]) -> None:
        self.rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[Sequence]:
        for row in self.rows:
            self.count += 1
            yield row


# --------------------------------------------------------------------------- renderers


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# A spreadsheet program opening a CSV runs a cell that starts with one of these as a formula
# (CSV injection); OWASP's advice is a leading apostrophe, which shows the text as written.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def csv_cell(value: object) -> str:
    """A value as a CSV cell no spreadsheet runs: text that would start a formula gets a
    leading apostrophe; numbers, negative ones included, are left as they are."""
    text = _text(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def render_csv(rows: Iterable[Sequence], *, header: Sequence[str] = REGISTER_COLUMNS) -> bytes:
    """UTF-8 with a byte-order mark, so Excel and WPS open it without mojibake; no cell
    starts a formula (``csv_cell``)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(name) for name in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


@dataclass
class _Formats:
    header: object
    text: object
    date: object
    cell: object


def _formats(book: xlsxwriter.Workbook) -> _Formats:
    header = {"bold": True, "text_wrap": True, "align": "center", "valign": "vcenter"}
    return _Formats(
        header=book.add_format({**header, "border": 1, "bg_color": "#E2EFDA"}),
        text=book.add_format({"num_format": "@"}),
        date=book.add_format({"num_format": "yyyy-mm-dd"}),
        cell=None,
    )


@dataclass(frozen=True)
class PaperForm:
    """What a paper form has around its table: the unit and the day on the line above the
    header (填报单位/填报日期), the signatures below the last row."""

    unit: str
    on: dt.date


def _register_sheet(
    book: xlsxwriter.Workbook,
    rows: Iterable[Sequence],
    *,
    title: str,
    header: Sequence[str],
    paper: PaperForm | None = None,
    paper_title: str = "",
) -> int:
    """Write the register on a new sheet, ready to print; returns the number of rows.

    With ``paper`` the sheet is laid out as the paper form: ``paper_title`` on a merged
    first row, 填报单位/填报日期 on the second, the header on the third, the signature
    footer below the last child."""
    sheet = book.add_worksheet(_("花名册"))
    formats = _formats(book)
    kinds: list = []
    for index, name in enumerate(header):
        if name in TEXT_COLUMNS:
            kind = formats.text
        elif name in DATE_COLUMNS:
            kind = formats.date
        else:
            kind = formats.cell
        kinds.append(kind)
        sheet.set_column(index, index, column_width(name), kind)
    top = 2 if paper is not None else 0  # the header's row
    # Print: A4 landscape, header row and key columns on every page, one column group
    # per page width (vertical breaks between groups).
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.hide_gridlines(0)  # print the grid: a register is a ruled table
    sheet.set_margins(left=0.3, right=0.3, top=0.6, bottom=0.5)
    if paper is None:  # a paper form has its title on its first row
        sheet.set_header(f"&C&12{title.replace('&', '&&')}")
    sheet.set_footer("&C&P / &N")
    sheet.repeat_rows(top)
    sheet.repeat_columns(0, _KEY_COLUMNS - 1)
    groups = column_groups(header)
    if len(groups) > 1:
        sheet.set_v_pagebreaks([group[0] for group in groups[1:]])
    sheet.freeze_panes(top + 1, _KEY_COLUMNS)
    last = len(header) - 1
    if paper is not None:
        big = book.add_format({"bold": True, "font_size": 16, "align": "center"})
        sheet.set_row(0, 28)
        sheet.merge_range(0, 0, 0, last, paper_title, big)
        sheet.write_string(1, 0, f"填报单位（盖章）：{paper.unit}")
        sheet.write_string(
            1, max(last - 6, 1), f"填报日期：{paper.on.year}年{paper.on.month}月{paper.on.day}日"
        )
    sheet.set_row(top, 30)
    for index, name in enumerate(header):
        sheet.write_string(top, index, name, formats.header)
    count = 0
    # Blank cells are not written (the column formats cover them): a register is mostly
    # blanks, and writing them doubled the time of a large export.
    for count, row in enumerate(rows, start=1):
        line = top + count
        for index, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(line, index, value, formats.date)
            elif type(value) is int and kinds[index] is None:
                sheet.write_number(line, index, value)
            else:
                sheet.write_string(line, index, str(value), kinds[index])
    sheet.autofilter(top, 0, top + max(count, 1), last)
    if paper is not None:
        sheet.write_string(top + count + 2, 0, MCA2016_SIGNATURES)
    return count


def _workbook_bytes(write, *, title: str, constant_memory: bool) -> bytes:
    """Run ``write(book)`` on a new workbook and return the file. Constant-memory mode
    streams rows to a temporary file instead of holding 50,000 rows of cells."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        book = xlsxwriter.Workbook(
            path,
            {
                "constant_memory": constant_memory,
                "default_format_properties": {"font_name": "宋体", "font_size": 10},
            },
        )
        book.set_properties({"title": title, "author": "CareNet 关爱网"})
        write(book)
        book.close()
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def render_xlsx(
    rows: Iterable[Sequence],
    *,
    title: str,
    header: Sequence[str] | None = None,
    layout: Layout | None = None,
    paper: PaperForm | None = None,
) -> bytes:
    """The register as .xlsx: IDs and phones as text cells, header frozen, filters on,
    A4 landscape print setup with the header repeated on every page. ``header`` defaults
    to the layout's (canonical by default); a layout of a paper form (mca2016) is laid out
    as the form with ``paper`` (its unit and day; default: the title, today)."""
    layout = layout or CANONICAL
    header = layout.header if header is None else header
    if layout.paper_form and paper is None:
        paper = PaperForm(unit="", on=timezone.localdate())
    if not layout.paper_form:
        paper = None

    def write(book: xlsxwriter.Workbook) -> None:
        _register_sheet(
            book, rows, title=title, header=header, paper=paper, paper_title=layout.title
        )

    return _workbook_bytes(write, title=title, constant_memory=True)


# An example row for the blank template: a made-up child with a valid ID number.
_EXAMPLE = {
    "序号": 1,
    "姓名": "王子涵",
    "性别": "男",
    "民族": "汉族",
    "出生日期": dt.date(2015, 3, 4),
    "身份证号": make_id_number("340827", dt.date(2015, 3, 4), 1, "M"),
    "学籍号": "G340827201503040013",
    "学校": "华阳小学",
    "年级": "四年级",
    "班级": "四(1)班",
    "是否寄宿": "否",
    "现居住地（乡镇/村/组）": "华阳镇/红星村/三组",
    "健康状况": "健康",
    "就学情况": "在校",
    "父亲姓名": "王建国",
    "父亲联系电话": "13812345678",
    "父亲务工地点（省/市）": "浙江省/杭州市",
    "父亲外出时间": dt.date(2024, 2, 18),
    "监护人姓名": "李秀英",
    "与儿童关系": "祖母",
    "监护人年龄": 63,
    "监护人联系电话": "13912345678",
    "监护类型（较好/一般/差/无人监护…）": "一般",
    "计划免疫接种": "已全程接种",
}


def render_template_xlsx() -> bytes:
    """A blank register to fill in: the header row, and a sheet with notes and an example."""

    title = _("留守儿童花名册")

    def write(book: xlsxwriter.Workbook) -> None:
        _register_sheet(book, [], title=title, header=REGISTER_COLUMNS)
        notes = book.add_worksheet(_("填写说明"))
        bold = book.add_format({"bold": True})
        text = book.add_format({"num_format": "@"})
        date = book.add_format({"num_format": "yyyy-mm-dd"})
        lines = [
            _("填写说明"),
            _("1. 在“花名册”工作表中每行填写一名儿童，不要改动表头。"),
            _("2. 姓名、身份证号必填；身份证号须为18位，末位可为X。"),
            _("3. 身份证号、学籍号、电话请按文本填写，避免显示为科学计数法。"),
            _("4. 日期可写作 2015-03-04、2015/3/4 或 2015年3月4日。"),
            _("5. 已有身份证号的儿童将被更新，不会重复建档。"),
            _("示例（请勿粘贴到花名册中）："),
        ]
        for index, line in enumerate(lines):
            notes.write_string(index, 0, line, bold if index in (0, len(lines) - 1) else None)
        top = len(lines)
        for index, name in enumerate(REGISTER_COLUMNS):
            notes.set_column(index, index, column_width(name))
            notes.write_string(top, index, name, bold)
            value = _EXAMPLE.get(name)
            if isinstance(value, dt.date):
                notes.write_datetime(top + 1, index, value, date)
            elif isinstance(value, int):
                notes.write_number(top + 1, index, value)
            elif value:
                notes.write_string(top + 1, index, value, text)

    return _workbook_bytes(write, title=title, constant_memory=False)


def print_groups(
    rows: Iterable[Sequence], header: Sequence[str] = REGISTER_COLUMNS
) -> tuple[list[Sequence], list[dict]]:
    """The rows (materialised) and, per printed page width, the headers and the cells of
    each row for that column group with the key columns in front."""
    rows = [[_text(v) for v in row] for row in rows]
    keys = list(range(_KEY_COLUMNS))
    pages: list[dict] = []
    for group in column_groups(header):
        indexes = keys + group
        pages.append(
            {
                "header": [header[i] for i in indexes],
                "rows": [[row[i] for i in indexes] for row in rows],
            }
        )
    return rows, pages


# The PDF is laid out page by page: beyond a large school's register it takes minutes and
# thousands of pages. Larger orgs print school by school (or use the .xlsx).
PDF_MAX_ROWS = 3000


class TooManyRows(ValueError):
    """More children than one printed register holds (``PDF_MAX_ROWS``)."""


def render_pdf_register(
    rows: Iterable[Sequence],
    *,
    title: str,
    org: Org,
    today: dt.date,
    unmasked: bool,
    layout: Layout | None = None,
) -> bytes:
    """The printable register as PDF (WeasyPrint, embedded CJK fonts): A4 landscape, one
    column group (``column_groups``) after the other with the key columns in front, the
    header row repeated on every page. The same rows as the .xlsx and the CSV.
    Raises ``TooManyRows`` past ``PDF_MAX_ROWS`` before laying anything out."""
    limited = []
    for row in rows:
        limited.append(row)
        if len(limited) > PDF_MAX_ROWS:
            raise TooManyRows(
                _("打印版最多 %(n)s 名儿童，请按学校分别导出，或导出 Excel 表格。")
                % {"n": PDF_MAX_ROWS}
            )
    layout = layout or CANONICAL
    cells, pages = print_groups(limited, layout.header)
    context = {
        "title": title,
        "org": org,
        "pages": pages,
        "count": len(cells),
        "today": today,
        "unmasked": unmasked,
        "signatures": MCA2016_SIGNATURES if layout.paper_form else "",
    }
    return render_pdf("exchange/register_pdf.html", context)
