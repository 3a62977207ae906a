"""The register (花名册) export: ONE row generator, rendered to xlsx, CSV, print and PDF.

``register_rows`` yields the canonical columns of REGISTER.md, in order, for children
the caller has already scoped (``visible_children``); the renderers only lay the rows
out. Nothing here decides who may see what, except that ID numbers and phones are
masked unless the caller says ``unmasked``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import xlsxwriter
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from carenet.children.models import (
    AwayPeriod,
    Category,
    Child,
    ChildStatus,
    Education,
    FamilyMember,
    Gender,
    GuardianshipQuality,
    Health,
    Immunization,
    LeftBehindType,
    Pairing,
    PairingKind,
    Relation,
    Schooling,
)
from carenet.children.selectors import with_left_behind
from carenet.lib.idcard import make_id_number
from carenet.lib.phone import mask_id_number, mask_phone, mask_student_number
from carenet.orgs.models import Org, OrgKind
from carenet.reports.pdf import render_pdf
from carenet.web.templatetags.carenet_ui import person

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

# Columns Excel must keep as text: long digit strings (IDs, student numbers) and phones.
TEXT_COLUMNS = frozenset(
    {
        "身份证号",
        "学籍号",
        "父亲身份证号",
        "父亲联系电话",
        "母亲身份证号",
        "母亲联系电话",
        "监护人联系电话",
    }
)
DATE_COLUMNS = frozenset({"出生日期", "父亲外出时间", "母亲外出时间"})

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
}
# Columns repeated on every printed page (so each page says whose row it is).
_KEY_COLUMNS = 2  # 序号, 姓名
# What fits across an A4 landscape page with narrow margins at 100 %, in characters.
_PAGE_WIDTH = 138
_CHUNK = 2000


def column_width(name: str) -> int:
    return _WIDTHS.get(name, 10)


def column_groups() -> list[list[int]]:
    """The register's columns split into groups that each fit an A4 landscape page
    next to the key columns (序号, 姓名). Indexes into ``REGISTER_COLUMNS``."""
    budget = _PAGE_WIDTH - sum(column_width(c) for c in REGISTER_COLUMNS[:_KEY_COLUMNS])
    groups: list[list[int]] = [[]]
    used = 0
    for index in range(_KEY_COLUMNS, len(REGISTER_COLUMNS)):
        width = column_width(REGISTER_COLUMNS[index])
        if groups[-1] and used + width > budget:
            groups.append([])
            used = 0
        groups[-1].append(index)
        used += width
    return groups


# --------------------------------------------------------------------------- rows


def children_under(org: Org, children: QuerySet[Child] | None = None) -> QuerySet[Child]:
    """The children in care (在册) under an org: at its schools and classes, or living in
    its villages. ``children`` narrows the set (a user's ``visible_children``)."""
    children = Child.objects.all() if children is None else children
    under = (
        Q(school__path__startswith=org.path)
        | Q(school_class__path__startswith=org.path)
        | Q(village__path__startswith=org.path)
    )
    return children.filter(under, status=ChildStatus.ACTIVE)


_ORDER = ("school__path", "school_class__path", "name_pinyin", "pk")


def _chunks(children: QuerySet[Child]) -> Iterator[list[Child]]:
    """The children in register order, ``_CHUNK`` at a time, each chunk with its
    left-behind type, orgs, family, away periods and pairings in force fetched in a
    handful of queries (a county's 50,000 children: a few dozen queries in all)."""
    ids = list(children.order_by(*_ORDER).values_list("pk", flat=True))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        fetched = with_left_behind(Child.objects.filter(pk__in=chunk)).select_related(
            "school", "school_class", "village"
        )
        by_pk = {child.pk: child for child in fetched}
        for child in by_pk.values():
            child.export_family, child.export_away = {}, {}
            child.export_mentor = child.export_buddy = None
        for member in FamilyMember.objects.filter(child_id__in=chunk):
            by_pk[member.child_id].export_family[member.relation] = member
        # The latest away period of each parent (ordered by start: the last one wins).
        for period in AwayPeriod.objects.filter(child_id__in=chunk).order_by("start", "pk"):
            by_pk[period.child_id].export_away[period.relation] = period
        pairings = Pairing.objects.filter(child_id__in=chunk, ended_on__isnull=True)
        for pairing in pairings.select_related("mentor"):
            child = by_pk[pairing.child_id]
            if pairing.kind == PairingKind.MENTOR:
                child.export_mentor = pairing
            elif pairing.kind == PairingKind.BUDDY:
                child.export_buddy = pairing
        yield [by_pk[pk] for pk in chunk if pk in by_pk]


def _org_names() -> dict[str, str]:
    """Names of grades and townships by tree path: a class's grade and a village's
    township are their parents, looked up here instead of once per row."""
    orgs = Org.objects.filter(kind__in=[OrgKind.GRADE, OrgKind.TOWNSHIP])
    return dict(orgs.values_list("path", "name"))


def _parent_name(org: Org | None, names: dict[str, str]) -> str:
    if org is None:
        return ""
    return names.get(org.path[: -Org.steplen], "")


def _labels(*choices: type) -> dict[str, str]:
    """Display labels of choice values, translated once per export, not once per cell."""
    return {value: str(label) for c in choices for value, label in c.choices}


def _residence(child: Child, names: dict[str, str]) -> str:
    parts = [_parent_name(child.village, names), child.village.name if child.village else ""]
    parts.append(child.residence_group)
    return "/".join(parts).strip("/") if any(parts) else ""


def _work_place(member: FamilyMember | None) -> str:
    if member is None:
        return ""
    return "/".join(p for p in (member.work_province, member.work_city) if p)


def _away_since(child: Child, relation: str) -> dt.date | None:
    """When the parent left, if they are away now (their latest period still open)."""
    latest = child.export_away.get(relation)
    return latest.start if latest is not None and latest.end is None else None


def register_rows(children: QuerySet[Child], *, unmasked: bool) -> Iterator[list]:
    """One list per child, the values of ``REGISTER_COLUMNS`` in order.

    ``children`` must already be scoped by the caller. Dates are ``datetime.date``
    (or None), everything else a string (numbers as text) or None for the guardian's age.
    """
    phone = (lambda v: v or "") if unmasked else mask_phone
    id_number = (lambda v: v or "") if unmasked else mask_id_number
    student_number = (lambda v: v or "") if unmasked else mask_student_number
    names = _org_names()
    gender = _labels(Gender)
    health, schooling = _labels(Health), _labels(Schooling)
    left_behind, education = _labels(LeftBehindType), _labels(Education)
    quality, immunization = _labels(GuardianshipQuality), _labels(Immunization)
    category = _labels(Category)
    number = 0
    for chunk in _chunks(children):
        for child in chunk:
            number += 1
            family = child.export_family
            guardian = family.get(Relation.GUARDIAN)
            mentor = child.export_mentor
            row: list = [
                number,
                child.name,
                gender.get(child.gender, child.gender),
                child.ethnicity,
                child.birth_date,
                id_number(child.id_number),
                student_number(child.student_number),
                child.school.name if child.school else "",
                _parent_name(child.school_class, names),
                child.school_class.name if child.school_class else "",
                "是" if child.boarding else "否",
                child.registered_residence,
                _residence(child, names),
                health.get(child.health, child.health),
                child.disability,
                schooling.get(child.schooling, child.schooling),
                left_behind.get(child.left_behind_type, ""),
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
                    education.get(guardian.education, guardian.education),
                    guardian.occupation,
                    phone(guardian.phone),
                    guardian.address,
                    quality.get(guardian.guardianship_quality, guardian.guardianship_quality),
                ]
            else:
                row += ["", "", None, "", "", "", "", "", ""]
            row += [
                immunization.get(child.immunization, child.immunization),
                child.interests,
                child.personality,
                "、".join(category.get(c, c) for c in child.category_list),
                person(mentor.mentor) if mentor and mentor.mentor else "",
                child.export_buddy.buddy_name if child.export_buddy else "",
                child.notes,
            ]
            yield row


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


def _register_sheet(
    book: xlsxwriter.Workbook, rows: Iterable[Sequence], *, title: str, header: Sequence[str]
) -> int:
    """Write the register on a new sheet, ready to print; returns the number of rows."""
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
    # Print: A4 landscape, header row and key columns on every page, one column group
    # per page width (vertical breaks between groups).
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.hide_gridlines(0)  # print the grid: a register is a ruled table
    sheet.set_margins(left=0.3, right=0.3, top=0.6, bottom=0.5)
    sheet.set_header(f"&C&12{title.replace('&', '&&')}")
    sheet.set_footer("&C&P / &N")
    sheet.repeat_rows(0)
    sheet.repeat_columns(0, _KEY_COLUMNS - 1)
    if header is REGISTER_COLUMNS or list(header) == REGISTER_COLUMNS:
        sheet.set_v_pagebreaks([group[0] for group in column_groups()[1:]])
    sheet.freeze_panes(1, _KEY_COLUMNS)
    sheet.set_row(0, 30)
    for index, name in enumerate(header):
        sheet.write_string(0, index, name, formats.header)
    count = 0
    # Blank cells are not written (the column formats cover them): a register is mostly
    # blanks, and writing them doubled the time of a large export.
    for count, row in enumerate(rows, start=1):
        for index, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(count, index, value, kinds[index])
            elif type(value) is int and kinds[index] is None:
                sheet.write_number(count, index, value)
            else:
                sheet.write_string(count, index, str(value), kinds[index])
    sheet.autofilter(0, 0, max(count, 1), len(header) - 1)
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
    rows: Iterable[Sequence], *, title: str, header: Sequence[str] = REGISTER_COLUMNS
) -> bytes:
    """The register as .xlsx: IDs and phones as text cells, header frozen, filters on,
    A4 landscape print setup with the header repeated on every page."""

    def write(book: xlsxwriter.Workbook) -> None:
        _register_sheet(book, rows, title=title, header=header)

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


def print_groups(rows: Iterable[Sequence]) -> tuple[list[list], list[dict]]:
    """The rows (materialised) and, per printed page width, the headers and the cells of
    each row for that column group with the key columns in front."""
    rows = [[_text(v) for v in row] for row in rows]
    keys = list(range(_KEY_COLUMNS))
    pages = []
    for group in column_groups():
        indexes = keys + group
        pages.append(
            {
                "header": [REGISTER_COLUMNS[i] for i in indexes],
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
    rows: Iterable[Sequence], *, title: str, org: Org, today: dt.date, unmasked: bool
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
    cells, pages = print_groups(limited)
    context = {
        "title": title,
        "org": org,
        "pages": pages,
        "count": len(cells),
        "today": today,
        "unmasked": unmasked,
    }
    return render_pdf("exchange/register_pdf.html", context)
