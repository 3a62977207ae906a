"""The statistics table (留守儿童基本情况统计表) of an org on a date, as .xlsx.

Who is counted: the children in care of the indicators (``children_in_care``: on the
roll, left-behind on ``as_of``, under the org by school), narrowed to those the user
may see. One row per org of the next level down (a county's townships, a township's
schools, a school's grades), a total row, and the columns:

- 留守儿童总数 — the children counted;
- 按年龄段 — full years on ``as_of``: 0–5, 6–13, 14–16 and 17 and over (a pupil of 17
  is still counted by the education register; the column keeps the parts summing up);
- 按留守类型 — only the father away, only the mother away, both away (≥ 3 months);
- 按监护情况 — who cares for the child (``care_by_filters``, 建档率's rule too) and the
  entrusted guardian's relation (``combination_columns``);
- 按就学情况 — in school, not yet of school age (in a kindergarten or none), suspended,
  dropped out or out of school, transferred or graduated.

Counting is one aggregate query: ``GROUP BY`` the school (or class) and the dimensions
(age band, which parents are away, who cares for the child, the guardian's kind,
schooling), a few hundred combinations for a county, mapped to the columns in Python
(``combination_columns``). ``table_check`` verifies, before any file is written, that
each group of columns sums to the total of its row and that the rows sum to the total
row; a failure names the row and the rule in Chinese.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

import xlsxwriter
from dateutil.relativedelta import relativedelta
from django.db.models import (
    Case,
    CharField,
    Count,
    FilteredRelation,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carenet.children.models import (
    OUT_OF_SCHOOL_STATES,
    PRESCHOOL_STATES,
    AwayPeriod,
    Child,
    ChildStatus,
    GuardianshipQuality,
    Relation,
    Schooling,
)
from carenet.children.selectors import AWAY_THRESHOLD, CareBy, care_by_filters
from carenet.indicators.selectors import children_in_care
from carenet.lib.db import without_jit
from carenet.orgs.models import Membership, Org, OrgKind, Role
from carenet.orgs.selectors import AnyUser, user_memberships

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The orgs a statistics table is made for, and who makes it (over what they can see).
TABLE_KINDS = (OrgKind.COUNTY, OrgKind.TOWNSHIP, OrgKind.SCHOOL)
TABLE_ROLES = (Role.COUNTY_ADMIN, Role.TOWNSHIP_SUPERVISOR, Role.PRINCIPAL, Role.SCHOOL_ADMIN)
# The kinds of org that are a row under the table's org (villages hold no pupils).
ROW_KINDS = (OrgKind.TOWNSHIP, OrgKind.SCHOOL, OrgKind.GRADE, OrgKind.CLASS)

# Words of the guardian's relation (与儿童关系, free text in the registers).
GRANDPARENT_WORDS = ("祖", "爷", "奶", "外公", "外婆", "姥")
RELATIVE_WORDS = (
    *("伯", "叔", "婶", "姑", "舅", "姨", "哥", "姐", "兄", "嫂", "弟", "妹"),
    *("堂", "表", "亲戚", "亲属"),
)
PARENT_WORDS = ("父亲", "母亲", "父", "母", "爸爸", "妈妈", "继父", "继母")


@dataclass(frozen=True)
class ColumnGroup:
    key: str
    label: Promise
    columns: tuple[tuple[str, Promise], ...]


TOTAL = "total"
GROUPS: tuple[ColumnGroup, ...] = (
    ColumnGroup(
        "age",
        gettext_lazy("按年龄段"),
        (
            ("age_0_5", gettext_lazy("0–5岁")),
            ("age_6_13", gettext_lazy("6–13岁")),
            ("age_14_16", gettext_lazy("14–16岁")),
            ("age_17", gettext_lazy("17岁及以上")),
        ),
    ),
    ColumnGroup(
        "type",
        gettext_lazy("按留守类型"),
        (
            ("father_only", gettext_lazy("父亲外出")),
            ("mother_only", gettext_lazy("母亲外出")),
            ("both", gettext_lazy("父母均外出")),
        ),
    ),
    ColumnGroup(
        "guardian",
        gettext_lazy("按监护情况"),
        (
            ("guard_parent", gettext_lazy("父（母）一方监护")),
            ("guard_grandparent", gettext_lazy("祖辈监护")),
            ("guard_relative", gettext_lazy("其他亲属监护")),
            ("guard_other", gettext_lazy("委托他人监护")),
            ("guard_none", gettext_lazy("无人监护")),
            ("guard_unknown", gettext_lazy("监护人未登记")),
        ),
    ),
    ColumnGroup(
        "schooling",
        gettext_lazy("按就学情况"),
        (
            ("school_in", gettext_lazy("在校")),
            ("school_pre", gettext_lazy("未到学龄")),
            ("school_suspended", gettext_lazy("休学")),
            ("school_dropped", gettext_lazy("辍学或不在学")),
            ("school_other", gettext_lazy("转出或毕业")),
        ),
    ),
)
COLUMNS: tuple[str, ...] = (TOTAL, *(key for g in GROUPS for key, _label in g.columns))


# --------------------------------------------------------------------------- who and what


def table_orgs(user: AnyUser) -> QuerySet[Org]:
    """The orgs whose statistics table a user may make: counties, townships and schools
    under their county-admin, supervisor, principal or school-admin memberships."""
    orgs = Org.objects.filter(kind__in=TABLE_KINDS)
    if not user.is_authenticated or not user.is_active:
        return orgs.none()
    if user.is_superuser:
        return orgs.order_by("path")
    scope = Q(pk__in=[])
    for membership in user_memberships(user):
        if membership.role in TABLE_ROLES:
            scope |= Q(path__startswith=membership.org.path)
    return orgs.filter(scope).order_by("path")


def may_make_tables(user: AnyUser) -> bool:
    if user.is_authenticated and user.is_superuser:
        return True
    return Membership.objects.filter(user_id=user.pk, role__in=TABLE_ROLES).exists()  # type: ignore[misc]  # an anonymous pk (None) matches no row


def row_orgs(org: Org) -> list[Org]:
    """The rows of the table: the org's children in the tree that hold pupils, and the
    villages with children not at a school (filed under the village)."""
    children = Org.objects.filter(path__startswith=org.path, depth=org.depth + 1)
    filed = Child.objects.filter(school__isnull=True, status=ChildStatus.ACTIVE)
    villages = Q(kind=OrgKind.VILLAGE, pk__in=filed.values("village_id"))
    return list(children.filter(Q(kind__in=ROW_KINDS) | villages).order_by("path"))


# --------------------------------------------------------------------------- counting


def _contains_any(lookup: str, words: Iterable[str]) -> Q:
    return reduce(or_, (Q(**{f"{lookup}__contains": w}) for w in words))


def _relation_code(qs: QuerySet) -> Coalesce:
    """1 for a father among ``qs`` (rows of one child), 2 for a mother, 3 for both, 0 for
    none: one correlated sub-query, evaluated once per child (an ``EXISTS`` per parent
    would be repeated in every ``CASE`` that reads it)."""
    father = Max(Case(When(relation=Relation.FATHER, then=Value(1)), default=Value(0)))
    mother = Max(Case(When(relation=Relation.MOTHER, then=Value(2)), default=Value(0)))
    codes = qs.filter(child=OuterRef("pk")).order_by().values("child")
    codes = codes.annotate(code=father + mother).values("code")[:1]
    return Coalesce(Subquery(codes, output_field=IntegerField()), Value(0))


def _dimensions(qs: QuerySet[Child], as_of: dt.date) -> QuerySet[Child]:
    """Annotate what the columns are read from, one value per child each: the age band,
    which parents are away (``d_away``: 1 father, 2 mother, 3 both), who cares for the
    child (``d_care``: ``care_by_filters``, the rule 建档率 uses too), the entrusted
    guardian's kind (``d_guardian``, from the joined guardian row) and the schooling.
    ``combination_columns`` maps them."""
    years = {n: as_of - relativedelta(years=n) for n in (6, 14, 17)}
    away = AwayPeriod.objects.filter(
        start__lte=as_of - AWAY_THRESHOLD, relation__in=(Relation.FATHER, Relation.MOTHER)
    ).filter(Q(end__isnull=True) | Q(end__gt=as_of))
    named = Q(guardian__name__gt="")
    text = CharField()
    return qs.annotate(
        guardian=FilteredRelation("family", condition=Q(family__relation=Relation.GUARDIAN)),
    ).annotate(
        d_age=Case(
            When(birth_date__gt=years[6], then=Value("age_0_5")),
            When(birth_date__gt=years[14], then=Value("age_6_13")),
            When(birth_date__gt=years[17], then=Value("age_14_16")),
            default=Value("age_17"),
            output_field=text,
        ),
        d_away=_relation_code(away),
        d_care=Case(
            *(When(q, then=Value(str(care))) for care, q in care_by_filters(as_of).items()),
            output_field=text,
        ),
        d_guardian=Case(
            When(
                guardian__guardianship_quality=GuardianshipQuality.NONE,
                then=Value("guard_none"),
            ),
            When(
                named & _contains_any("guardian__kinship", GRANDPARENT_WORDS),
                then=Value("guard_grandparent"),
            ),
            When(
                named & _contains_any("guardian__kinship", RELATIVE_WORDS),
                then=Value("guard_relative"),
            ),
            When(named & Q(guardian__kinship__in=PARENT_WORDS), then=Value("guard_parent")),
            When(named, then=Value("guard_other")),
            default=Value(""),
            output_field=text,
        ),
    )


_DIMENSIONS = ("d_age", "d_away", "d_care", "d_guardian", "schooling")
_TYPES = {1: "father_only", 2: "mother_only", 3: "both"}
_SCHOOLING = {
    Schooling.ENROLLED: "school_in",
    Schooling.SUSPENDED: "school_suspended",
    # 幼儿园 and 未入园 (the 2016 form) are not yet of school age, like 未到学龄; 不在学
    # is out of school, like 辍学.
    **dict.fromkeys(PRESCHOOL_STATES, "school_pre"),
    **dict.fromkeys(OUT_OF_SCHOOL_STATES, "school_dropped"),
}


# The guardianship column of the children not in the care of a guardian on file.
_CARE_COLUMNS = {
    CareBy.FATHER: "guard_parent",
    CareBy.MOTHER: "guard_parent",
    CareBy.PARENTS: "guard_parent",
    CareBy.NOBODY: "guard_unknown",
}


def combination_columns(combination: dict) -> list[str]:
    """The columns a group of children with these dimensions counts in (besides the total).

    Guardianship follows who cares for the child (``d_care``, ``care_by_filters``): the
    entrusted guardian on file by their relation to the child (``d_guardian``); with no
    guardian on file, a parent at home able to guard (a one-parent left-behind child) is
    父（母）一方监护, and nobody is 监护人未登记 — the children 建档率 finds without a
    guardian (``indicators.selectors.filing_items``). A child with no parent away
    (impossible in the base, which keeps left-behind children only) counts in no type
    column, so the cross-check refuses the table instead of hiding it.
    """
    away, care = combination["d_away"], combination["d_care"]
    columns = [combination["d_age"]]
    if away in _TYPES:
        columns.append(_TYPES[away])
    columns.append(_CARE_COLUMNS.get(care) or combination["d_guardian"] or "guard_other")
    columns.append(_SCHOOLING.get(combination["schooling"], "school_other"))
    return columns


def _grouped(qs: QuerySet[Child], keys: tuple[str, ...]) -> Iterable[dict]:
    """One row per combination of ``keys`` and the dimensions, with its count."""
    return qs.values(*keys, *_DIMENSIONS).annotate(n=Count("pk")).order_by()


def _add(counts: dict[str, int], combination: dict) -> None:
    n = combination["n"]
    counts[TOTAL] += n
    for column in combination_columns(combination):
        counts[column] += n


def _empty() -> dict[str, int]:
    return dict.fromkeys(COLUMNS, 0)


@dataclass
class TableRow:
    label: str
    code: str
    counts: dict[str, int] = field(default_factory=_empty)


@dataclass
class StatisticsTable:
    org: Org
    as_of: dt.date
    rows: list[TableRow]
    total: TableRow
    row_heading: str  # what a row is: 乡镇 / 学校 / 年级

    @property
    def title(self) -> str:
        return _("%(org)s留守儿童基本情况统计表") % {"org": self.org.name}


_ROW_HEADINGS: dict[str, StrOrPromise] = {
    OrgKind.COUNTY: gettext_lazy("乡镇（单位）"),
    OrgKind.TOWNSHIP: gettext_lazy("学校"),
    OrgKind.SCHOOL: gettext_lazy("年级"),
}


def statistics_table(
    org: Org, *, as_of: dt.date, children: QuerySet[Child] | None = None
) -> StatisticsTable:
    """Count the table of ``org`` on ``as_of`` over ``children`` (the user's
    ``visible_children``) in one ``GROUP BY`` query (one snapshot: the rows and the
    total cannot disagree because of a write between two queries).

    The total row adds up every child counted; each row adds up the children of the
    schools (classes, for a school's table) under its org, found by the org tree's path.
    A child attributed to no row stays in the total only, so the column checks refuse
    the table rather than lose the child."""
    base = _dimensions(children_in_care(org, as_of=as_of, children=children), as_of)
    rows = row_orgs(org)
    by_path = {row.path: TableRow(label=row.name, code=row.code) for row in rows}
    # A county's or a township's rows contain schools; a school's rows contain classes.
    unit = "school_class_id" if org.kind in (OrgKind.SCHOOL, OrgKind.GRADE) else "stat_unit"
    # A child not at a school counts under their village (a row of a township's table).
    base = base.annotate(stat_unit=Coalesce("school_id", "village_id"))
    with without_jit():
        combinations = list(_grouped(base, (unit,)))
    unit_paths = dict(
        Org.objects.filter(pk__in={c[unit] for c in combinations}).values_list("pk", "path")
    )
    depth = len(org.path) + Org.steplen
    total = TableRow(label=_("合计"), code=org.code)
    for combination in combinations:
        _add(total.counts, combination)
        row = by_path.get(unit_paths.get(combination[unit], "")[:depth])
        if row is not None:
            _add(row.counts, combination)
    heading = str(_ROW_HEADINGS.get(org.kind, gettext_lazy("单位")))
    table_rows = [by_path[row.path] for row in rows]
    return StatisticsTable(org=org, as_of=as_of, rows=table_rows, total=total, row_heading=heading)


# --------------------------------------------------------------------------- cross-checks


class TableCheckError(ValueError):
    """The table fails its cross-checks: no file is made. ``messages`` name each failure."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("；".join(messages))
        self.messages = messages


def _label(key: str) -> str:
    if key == TOTAL:
        return _("留守儿童总数")
    for group in GROUPS:
        for column, label in group.columns:
            if column == key:
                return f"{group.label}·{label}"
    return key


def table_check(table: StatisticsTable) -> list[str]:
    """The failed cross-checks of a table, as Chinese messages (empty when it holds):

    1. in every row and in the total row, each group of columns sums to 留守儿童总数;
    2. in every column, the rows sum to the total row.
    """
    errors = []
    for row in [*table.rows, table.total]:
        total = row.counts.get(TOTAL, 0)
        for group in GROUPS:
            parts = sum(row.counts.get(key, 0) for key, _label in group.columns)
            if parts != total:
                errors.append(
                    _(
                        "“%(row)s”行：%(group)s各项之和（%(parts)s）不等于留守儿童总数"
                        "（%(total)s）。"
                    )
                    % {"row": row.label, "group": group.label, "parts": parts, "total": total}
                )
    for key in COLUMNS:
        rows = sum(row.counts.get(key, 0) for row in table.rows)
        expected = table.total.counts.get(key, 0)
        if rows != expected:
            errors.append(
                _("“%(column)s”列：各行之和（%(rows)s）不等于合计行（%(total)s）。")
                % {"column": _label(key), "rows": rows, "total": expected}
            )
    return errors


def table_verify(table: StatisticsTable) -> None:
    """Raise ``TableCheckError`` when a cross-check fails."""
    errors = table_check(table)
    if errors:
        raise TableCheckError(errors)


# --------------------------------------------------------------------------- the workbook


def render_table_xlsx(table: StatisticsTable) -> bytes:
    """The table as .xlsx, after ``table_verify`` (raises ``TableCheckError`` first):
    a title row, the org and the date, a two-level merged header, the figures as
    numbers, frozen panes, A4 landscape on one page wide."""
    table_verify(table)
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        book = xlsxwriter.Workbook(
            path, {"default_format_properties": {"font_name": "宋体", "font_size": 10}}
        )
        book.set_properties({"title": table.title, "author": "CareNet 关爱网"})
        _write_sheet(book, table)
        book.close()
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def _write_sheet(book: xlsxwriter.Workbook, table: StatisticsTable) -> None:
    sheet = book.add_worksheet(_("统计表"))
    border = {"border": 1, "valign": "vcenter"}
    title = book.add_format({"bold": True, "font_size": 16, "align": "center"})
    meta = book.add_format({"font_size": 10})
    meta_right = book.add_format({"font_size": 10, "align": "right"})
    header = book.add_format(
        {**border, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#E2EFDA"}
    )
    name = book.add_format({**border})
    number = book.add_format({**border, "num_format": "0", "align": "center"})
    total_name = book.add_format({**border, "bold": True, "align": "center"})
    total_number = book.add_format({**border, "bold": True, "num_format": "0", "align": "center"})
    note = book.add_format({"font_size": 9, "text_wrap": True, "valign": "top"})

    last = 2 + len(COLUMNS) - 1  # 序号, 单位, then the figures
    sheet.merge_range(0, 0, 0, last, table.title, title)
    sheet.set_row(0, 28)
    half = last // 2
    sheet.merge_range(1, 0, 1, half, _("填报单位：%(org)s") % {"org": table.org.name}, meta)
    sheet.merge_range(
        1,
        half + 1,
        1,
        last,
        _("统计日期：%(day)s") % {"day": table.as_of.isoformat()},
        meta_right,
    )
    # Two-level header: rows 2 and 3.
    sheet.merge_range(2, 0, 3, 0, _("序号"), header)
    sheet.merge_range(2, 1, 3, 1, table.row_heading, header)
    sheet.merge_range(2, 2, 3, 2, _("留守儿童总数"), header)
    column = 3
    for group in GROUPS:
        width = len(group.columns)
        sheet.merge_range(2, column, 2, column + width - 1, str(group.label), header)
        for offset, (_key, label) in enumerate(group.columns):
            sheet.write_string(3, column + offset, str(label), header)
        column += width
    sheet.set_row(3, 42)
    sheet.set_column(0, 0, 5)
    sheet.set_column(1, 1, 18)
    sheet.set_column(2, last, 7.5)
    top = 4
    for index, row in enumerate(table.rows, start=1):
        r = top + index - 1
        sheet.write_number(r, 0, index, number)
        sheet.write_string(r, 1, row.label, name)
        for offset, key in enumerate(COLUMNS):
            sheet.write_number(r, 2 + offset, row.counts[key], number)
    r = top + len(table.rows)
    sheet.merge_range(r, 0, r, 1, table.total.label, total_name)
    for offset, key in enumerate(COLUMNS):
        sheet.write_number(r, 2 + offset, table.total.counts[key], total_number)
    notes = _(
        "注：统计对象为统计日期在册、父母一方或双方外出务工满3个月的儿童；年龄按统计日期"
        "计算周岁；监护情况按委托监护人与儿童的关系归类，父母一方在家且具备监护能力的计入"
        "“父（母）一方监护”。各组之和等于总数、各行之和等于合计行，已在导出前核对。"
    )
    sheet.merge_range(r + 1, 0, r + 1, last, notes, note)
    sheet.set_row(r + 1, 42)
    sheet.write_string(r + 3, 1, _("填表人："), meta)
    sheet.write_string(r + 3, half, _("审核人："), meta)
    sheet.freeze_panes(top, 2)
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(2, 3)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_footer("&C&P / &N")


def table_cells(table: StatisticsTable) -> list[list]:
    """The table as plain rows (heading, then one list per row and the total): for
    screens and tests; the same figures as the workbook."""
    head = [_("序号"), table.row_heading, *(_label(k) for k in COLUMNS)]
    body = [
        [i, row.label, *(row.counts[k] for k in COLUMNS)] for i, row in enumerate(table.rows, 1)
    ]
    return [head, *body, ["", table.total.label, *(table.total.counts[k] for k in COLUMNS)]]


__all__ = [
    "COLUMNS",
    "GROUPS",
    "StatisticsTable",
    "TableCheckError",
    "TableRow",
    "may_make_tables",
    "render_table_xlsx",
    "row_orgs",
    "statistics_table",
    "table_check",
    "table_orgs",
    "table_verify",
]
