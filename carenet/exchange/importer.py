"""The register importer: read any real register, validate every row, commit atomically.

Two steps, as rapidpro's ContactImport: ``import_preview`` reads the file, finds the
header, normalises and validates every row and works out what each good row would
change (it reads the database, it writes nothing); ``import_commit`` then writes all the
good rows in one transaction, in bulk, or nothing. ``error_workbook`` gives the user
the rejected rows back with a 错误原因 column to fix and re-upload.

Validation reuses ``carenet.lib`` (ID numbers, phones, names); rows are not put through
the Django forms one by one, which would take minutes for a county's 50,000 children.

Decisions (see docs/import.md in the README section on registers):
- a blank cell never erases a value already on file; a filled cell replaces it;
- rows whose values change nothing are counted as neither created nor updated
  (``unchanged``), so a file imported twice reports 0 created, 0 updated;
- 留守类型 is informational: left-behind status is derived from 外出时间. When it
  says a parent is away (双亲: both; 单亲: the one parent who has a work place) but gives
  no date, and that parent has no open away period yet, the period starts at the start
  of the school year (1 September), at the latest three months before the import day,
  so the child counts as left-behind from the day of the import, as the register says;
- a child already on file at another school is rejected (a transfer is done by the
  school the child leaves, not by listing the ID number in another school's register);
- a register may be imported into a village instead of a school (children not at a
  school: aged 0–5, out of school, taught at home; the civil-affairs registers): new
  children are filed under the village with no school or class; a child on file is
  matched wherever filed, and one at a school keeps the school (only the residence is
  updated). A child filed under a village who turns up in a school's register joins it.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from itertools import islice
from operator import itemgetter
from typing import Any, Literal, NamedTuple

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carenet.audit.refusals import id_checks_allowed, id_refusal_record, id_refusals_left
from carenet.children.forms import ID_REFUSED, ID_THROTTLED
from carenet.children.models import AwayPeriod, Child, FamilyMember
from carenet.children.selectors import visible_children
from carenet.exchange.columns import field_for_header, normalise_header
from carenet.exchange.errors import ImportConflict
from carenet.exchange.models import ImportBatch, ImportStatus
from carenet.exchange.reading import MAX_ROWS, RegisterError, Sheet, read_sheets
from carenet.indicators.triggers import suspended as stale_triggers_suspended
from carenet.lib.crypto import blind_indexer, encrypt_many
from carenet.lib.idcard import InvalidIdNumber, parse_id_number
from carenet.lib.memory import release_freed_memory
from carenet.lib.names import clean_name, name_pinyin
from carenet.lib.parallel import Split
from carenet.lib.phone import InvalidPhone, parse_phone
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import AnyUser

__all__ = [
    "CellError",
    "ImportConflict",
    "ImportPreview",
    "RegisterError",
    "RowResult",
    "error_workbook",
    "import_commit",
    "import_preview",
    "import_preview_checked",
]

Action = Literal["create", "update", "unchanged", "reject", "skip"]
BATCH = 2000
HEADER_SEARCH_ROWS = 40
# Registers of at least this many rows share the work with a helper process (the second
# core; ``carenet.lib.parallel``): below it, forking costs more than it saves.
HELPER_MIN_ROWS = 10_000

# ---------------------------------------------------------------------------- results


@dataclass
class CellError:
    field: str
    column: str  # the header text as in the file
    message: str


@dataclass(slots=True)
class RowResult:
    row: int  # as Excel shows it
    action: Action
    errors: list[CellError]
    cells: list[object]  # the original row, kept for a rejected row only
    plan: _RowPlan | None = field(default=None, repr=False)

    def __reduce__(self):  # pickled by position: twice as fast to load (a helper's rows)
        return RowResult, (self.row, self.action, self.errors, self.cells, self.plan)


@dataclass
class ImportPreview:
    filename: str
    header_rows: list[int]  # Excel row numbers of the header (two for a two-level header)
    columns: dict[int, str]  # column index → field key
    rows: list[RowResult]
    headers: dict[int, str] = field(default_factory=dict)  # column index → header text
    header_cells: list[list[object]] = field(default_factory=list)
    # Rows refused for an ID number on file that the user may not see (Excel numbers).
    refused: list[int] = field(default_factory=list)

    def _count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def created(self) -> int:
        return self._count("create")

    @property
    def updated(self) -> int:
        return self._count("update")

    @property
    def unchanged(self) -> int:
        return self._count("unchanged")

    @property
    def skipped(self) -> int:
        return self._count("skip")

    @property
    def rejected(self) -> int:
        return self._count("reject")

    @property
    def rejected_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.action == "reject"]

    def as_json(self) -> dict[str, Any]:
        """The CONTRACT's ``--json`` object."""
        return {
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "rejected": [
                {
                    "row": r.row,
                    "errors": [
                        {"field": e.field, "column": e.column, "message": e.message}
                        for e in r.errors
                    ],
                }
                for r in self.rejected_rows
            ],
        }


# ---------------------------------------------------------------------------- values


def _text(value: object) -> str:
    """A cell as trimmed text: 13812345678.0 → '13812345678', a date → ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\u3000", " ").replace("\xa0", " ").strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _code(value: object) -> str:
    """Text for matching against a list of words: half-width, no spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", _text(value)).split()).lower()


_DATE_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_DATE_YEAR = re.compile(r"^(\d{4})\s*年?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: object) -> tuple[dt.date, str]:
    """A date cell or text in any common spelling, with its precision (day/month/year).

    Raises ValueError when the text is not a date.
    """
    if isinstance(value, dt.datetime):
        return value.date(), "day"
    if isinstance(value, dt.date):
        return value, "day"
    if isinstance(value, float | int) and not isinstance(value, bool):
        if 1 <= value < 80000 and float(value).is_integer():  # an Excel serial number
            return _EXCEL_EPOCH + dt.timedelta(days=int(value)), "day"
    text = unicodedata.normalize("NFKC", _text(value))
    text = re.split(r"[ T]\d{1,2}:\d{2}", text)[0].strip()
    for pattern, precision in (
        (_DATE_FULL, "day"),
        (_DATE_COMPACT, "day"),
        (_DATE_MONTH, "month"),
        (_DATE_YEAR, "year"),
    ):
        match = pattern.match(text)
        if match:
            parts = [int(p) for p in match.groups()] + [1, 1]
            return dt.date(parts[0], parts[1], parts[2]), precision
    raise ValueError(text)


def _same_date(given: tuple[dt.date, str], actual: dt.date) -> bool:
    day, precision = given
    if precision == "year":
        return day.year == actual.year
    if precision == "month":
        return (day.year, day.month) == (actual.year, actual.month)
    return day == actual


def _words(mapping: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_code(word): value for value, words in mapping.items() for word in words}


GENDERS = _words(
    {"M": ("男", "男性", "男生", "m", "male"), "F": ("女", "女性", "女生", "f", "female")}
)
YES_NO = _words(
    {
        "1": ("是", "寄宿", "住校", "寄宿生", "y", "yes", "1", "√", "✓", "true", "有"),
        "": ("否", "走读", "不寄宿", "非寄宿", "走读生", "n", "no", "0", "×", "false", "无"),
    }
)
SCHOOLING = _words(
    {
        "enrolled": ("在校", "在读", "就读", "正常", "在籍", "在校就读", "enrolled"),
        "suspended": ("休学", "suspended"),
        "dropped_out": ("辍学", "失学", "dropped_out"),
        "transferred": ("转出", "转学", "已转出", "transferred"),
        "graduated": ("毕业", "已毕业", "graduated"),
        "preschool": ("未到学龄", "学龄前", "未入学", "preschool"),
    }
)
IMMUNIZATION = _words(
    {
        "complete": ("已全程接种", "全程接种", "已接种", "是", "完成", "已完成", "complete"),
        "incomplete": ("未全程接种", "未完成", "部分接种", "否", "未接种", "incomplete"),
        "unknown": ("不详", "不清楚", "未知", "unknown"),
    }
)
EDUCATION = _words(
    {
        "none": ("文盲或半文盲", "文盲", "半文盲", "无"),
        "primary": ("小学",),
        "junior": ("初中",),
        "senior": ("高中或中专", "高中", "中专", "职高", "技校", "中职"),
        "college": ("大专及以上", "大专", "本科", "大学", "研究生", "专科"),
    }
)
QUALITY = _words(
    {
        "good": ("较好", "好", "良好"),
        "fair": ("一般",),
        "poor": ("差", "较差"),
        "none": ("无人监护", "无"),
    }
)
CATEGORIES = _words(
    {
        "poor": ("特困", "特困生", "困难", "poor"),
        "gifted": ("特长", "特长生", "gifted"),
        "special": ("特殊", "特殊儿童", "special"),
        "single_parent": ("单亲", "单亲家庭", "single_parent"),
        "potential": ("潜能生", "潜能", "potential"),
    }
)
HEALTH = _words(
    {
        "healthy": ("健康", "良好", "好", "正常", "健康良好"),
        "fair": ("一般",),
        "poor": ("较差", "差", "体弱"),
        "chronic": ("慢性病",),
        "disabled": ("残疾",),
    }
)
LEFT_BEHIND = _words(
    {
        "both": ("双亲", "双亲留守", "2", "父母均外出", "父母外出"),
        "one": ("单亲", "单亲留守", "1", "父亲外出", "母亲外出"),
        "none": ("非留守", "否", "0", "无", "不是"),
    }
)
_CATEGORY_SPLIT = re.compile(r"[、,，/;；\s]+")
_FOOTER = re.compile(
    r"^(填表人|填报人|审核人|审核|制表人|制表|负责人|校长签字|联系人|注[:：]|注\s|备注[:：]|"
    r"说明[:：]|合计|总计|填表日期|填报日期|统计人|经办人)"
)
_MUNICIPALITIES = ("北京", "天津", "上海", "重庆")
_PROVINCES = {
    **{
        p: p + "省"
        for p in "河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 "
        "湖北 湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾".split()
    },
    **{m: m + "市" for m in _MUNICIPALITIES},
    "内蒙古": "内蒙古自治区",
    "广西": "广西壮族自治区",
    "西藏": "西藏自治区",
    "宁夏": "宁夏回族自治区",
    "新疆": "新疆维吾尔自治区",
    "香港": "香港特别行政区",
    "澳门": "澳门特别行政区",
}
_PROVINCE_PREFIXES = sorted(
    [(full, full) for full in _PROVINCES.values()] + [(s, f) for s, f in _PROVINCES.items()],
    key=lambda pair: -len(pair[0]),
)


def split_work_place(text: str) -> tuple[str, str]:
    """'广东省深圳市' / '广东/深圳' / '广东 深圳市' → ('广东省', '深圳市' | '深圳')."""
    text = text.strip()
    parts = [p for p in re.split(r"[/\\\s,，、-]+", text) if p]
    if len(parts) >= 2:
        first = _PROVINCES.get(parts[0], parts[0])
        return first[:20], "".join(parts[1:])[:30]
    for prefix, full in _PROVINCE_PREFIXES:
        if text.startswith(prefix):
            rest = text[len(prefix) :].strip()
            if full[:2] in _MUNICIPALITIES and not rest:
                return full, full
            return full, rest[:30]
    return "", text[:30]


_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS.update({"七": 7, "八": 8, "九": 9, "十": 10})
NUMERALS = ("零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text in ("十一", "十二"):
        return 10 + _CN_DIGITS[text[1]]
    if len(text) == 1 and text in _CN_DIGITS:
        return _CN_DIGITS[text]
    return None


_GRADE = re.compile(r"^(初|高)?([一二三四五六七八九十]{1,2}|\d{1,2})(年级|年)?")
_CLASS_IN_BRACKETS = re.compile(r"[(（]\s*(\d{1,2}|[一二三四五六七八九十]{1,2})\s*[)）]")
_CLASS_NUMBER = re.compile(r"(\d{1,2}|[一二三四五六七八九十]{1,2})\s*班")


def _grade_name(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace(" ", "")
    match = _GRADE.match(text)
    if match and (match.group(3) or match.group(1) or text == match.group(0)):
        number = _number(match.group(2))
        if number is not None:
            if match.group(1) == "初":
                number += 6
            if match.group(1) != "高" and 1 <= number <= 12:
                return f"{NUMERALS[number]}年级"
    return text


def placement(grade_text: str, class_text: str) -> tuple[str, str] | None:
    """(grade name, class name) as the org tree names them: ('三年级', '三(2)班')."""
    grade_text, class_text = grade_text.strip(), class_text.strip()
    if not class_text:
        return None
    normal = unicodedata.normalize("NFKC", class_text).replace(" ", "")
    number = None
    match = _CLASS_IN_BRACKETS.search(normal) or _CLASS_NUMBER.search(normal)
    if match:
        number = _number(match.group(1))
    elif normal.isdigit():
        number = int(normal)
    if not grade_text:
        head = re.split(r"[(（]", normal)[0]
        if match and head and head != normal:
            grade_text = head
        elif match and match.start() > 0:
            grade_text = normal[: match.start()]
    if not grade_text:
        return None
    grade = _grade_name(grade_text)
    if number is None:
        return grade, normal
    prefix = grade[:-2] if grade.endswith("年级") else grade
    return grade, f"{prefix}({number})班"


# ---------------------------------------------------------------------------- header


@dataclass
class _Header:
    rows: list[int]  # 0-based indexes
    columns: dict[int, str]
    texts: dict[int, str]


def _merge_fill(sheet: Sheet, limit: int) -> dict[tuple[int, int], object]:
    """(row, col) → the value of the merged range covering it, for the top rows."""
    filled: dict[tuple[int, int], object] = {}
    for (r1, c1), (r2, c2) in sheet.merged:
        if r1 >= limit or r1 >= len(sheet.rows):
            continue
        top = sheet.rows[r1]
        value = top[c1] if c1 < len(top) else ""
        for r in range(r1, min(r2, limit) + 1):
            for c in range(c1, min(c2, 200) + 1):
                filled[(r, c)] = value
    return filled


def _find_header(sheet: Sheet) -> _Header | None:
    rows = sheet.rows[:HEADER_SEARCH_ROWS]
    filled = _merge_fill(sheet, HEADER_SEARCH_ROWS)

    def cell(r: int, c: int) -> str:
        if (r, c) in filled:
            return _text(filled[(r, c)])
        row = rows[r]
        return _text(row[c]) if c < len(row) and isinstance(row[c], str) else ""

    def mapping(sub: int, group: int | None) -> tuple[dict[int, str], dict[int, str]]:
        columns: dict[int, str] = {}
        texts: dict[int, str] = {}
        width = max(len(rows[sub]), len(rows[group]) if group is not None else 0)
        for c in range(min(width, 200)):
            label, upper = cell(sub, c), cell(group, c) if group is not None else ""
            if not label:
                label, upper = upper, ""
            key = field_for_header(label, upper or None)
            if key and key not in columns.values():
                columns[c] = key
                both = normalise_header(upper) and normalise_header(upper) != normalise_header(
                    label
                )
                texts[c] = f"{upper}/{label}" if both else label
        return columns, texts

    best: tuple[tuple[int, int], _Header] | None = None
    for r in range(len(rows)):
        options = [([r], None)]
        if r + 1 < len(rows):
            options.append(([r, r + 1], r))
        for header_rows, group in options:
            columns, texts = mapping(header_rows[-1], group)
            keys = set(columns.values())
            if not {"name", "id_number"} <= keys:
                continue
            score = (len(keys), -len(header_rows))
            if best is None or score > best[0]:
                best = (score, _Header(header_rows, columns, texts))
    return best[1] if best else None


# ---------------------------------------------------------------------------- rows


@dataclass(slots=True)
class _RowPlan:
    id_number: str
    id_hash: str
    child_values: dict[str, Any]  # Child fields (only those the file states)
    family: dict[str, dict[str, Any]]  # relation → FamilyMember fields stated
    away: dict[str, dt.date]  # relation → stated away start
    derived_away: set[str]  # relations the 留守类型 says are away, without a date
    place: tuple[str, str] | None
    existing: Child | None = None
    # What would change for a child on file (``_plan_changes``); None for a new child.
    child_changes: dict[str, Any] | None = None
    family_changes: dict[str, dict[str, Any]] | None = None
    away_ops: list[tuple[str, dt.date, AwayPeriod | None]] | None = None

    def __reduce__(self):  # pickled by position (a helper's rows), every field
        return _RowPlan, tuple(getattr(self, name) for name in _ROW_PLAN_FIELDS)


_ROW_PLAN_FIELDS = tuple(f.name for f in fields(_RowPlan))


_TEXT_LIMITS = {
    "ethnicity": 20,
    "student_number": 30,
    "registered_residence": 200,
    "interests": 200,
    "personality": 200,
    "notes": 5000,
    "disability": 200,
}
_CHILD_TEXT_ORDER = (
    "ethnicity",
    "student_number",
    "registered_residence",
    "disability",
    "interests",
    "personality",
    "notes",
)
_CHILD_TEXT = set(_CHILD_TEXT_ORDER)
_MEMBER_TEXT_LIMITS = {
    "name": 50,
    "employer": 100,
    "kinship": 20,
    "health": 50,
    "occupation": 50,
    "address": 200,
}


def derived_away_start(today: dt.date) -> dt.date:
    """When a parent the register says is away (留守类型, no date) left: 1 September of
    the school year, at the latest the first of the month three months ago, so that the
    child counts as left-behind (away ≥ 3 months) from the day of the import."""
    school_year = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    return min(school_year, (today - relativedelta(months=3)).replace(day=1))


class _Validator:
    """Turns one row's cells into a plan, collecting cell errors."""

    def __init__(self, columns: dict[int, str], texts: dict[int, str], school: Org) -> None:
        self.columns = sorted(columns.items())
        self.texts = texts
        self.column_of = {key: texts[c] for c, key in columns.items()}
        self.today = timezone.localdate()
        self.derived_start = derived_away_start(self.today)
        self.villages = sorted(
            Org.objects.filter(kind=OrgKind.VILLAGE, county_code=school.county_code).values_list(
                "name", "pk"
            ),
            key=lambda pair: -len(pair[0]),
        )
        self.blind_index = blind_indexer()
        # Most columns repeat a few values (a work place, a relation): see ``cached``.
        self._memo: dict[str, dict[object, Any]] = {}
        self.width = self.columns[-1][0] + 1
        # A row's cells are picked in one call: the child's by key, the family's in order.
        child = [(c, key) for c, key in self.columns if "." not in key]
        self.child_keys = [key for _c, key in child]
        self.pick_child = _picker([c for c, _key in child])
        family = [(c, key) for c, key in self.columns if "." in key]
        self.pick_family = _picker([c for c, _key in family])
        # Cells read by a function of the cell alone, in the order their errors are listed.
        readers = _child_cell_readers(self)
        self.child_cells = [
            (key, self._memo.setdefault(key, {}), readers[key])
            for key in _CHILD_CELL_ORDER
            if key in readers and key in self.child_keys
        ]
        self.family_columns = [
            (key, relation, self._member_cell(name), self._memo.setdefault(key, {}))
            for _c, key in family
            for relation, name in [key.split(".", 1)]
        ]

    def place(self, cells: tuple[object, object]) -> tuple[str, str] | None:
        """``placement`` of the (年级, 班级) cells."""
        return placement(_text(cells[0]), _text(cells[1]))

    def column(self, key: str) -> str:
        return self.column_of.get(key) or {"class": "班级"}.get(key, key)

    def residence(self, text: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, pk in self.villages:
            at = text.find(name)
            if name and at >= 0:
                rest = text[at + len(name) :].strip(" /、,，-")
                group = re.match(r"^([一二三四五六七八九十\d]{1,3}组)", rest)
                result = {"village_id": pk}
                if group:
                    result["residence_group"] = group.group(1)
                    rest = rest[group.end() :].strip(" /、,，-")
                if rest:
                    result["residence_address"] = rest[:200]
                break
        else:
            result = {"residence_address": text[:200]}
        return result

    def cached(self, key: str, value: object, compute: Callable[[object], Any]) -> Any:
        """``compute(value)``, once per distinct value of a column: most columns of a
        register repeat a few values (性别, 年级, 务工地点, 与儿童关系 …)."""
        return _recall(self._memo.setdefault(key, {}), value, compute)

    def validate(self, cells: list[object]) -> tuple[_RowPlan | None, list[CellError]]:
        if len(cells) < self.width:
            cells = [*cells, *[""] * (self.width - len(cells))]
        get: dict[str, object] = {
            key: value
            for key, value in zip(self.child_keys, self.pick_child(cells), strict=True)
            if value is not None and value != ""
        }
        errors: list[CellError] = []

        def fail(key: str, message: str) -> None:
            errors.append(CellError(field=key, column=self.column(key), message=message))

        cached = self.cached
        name = clean_name(get.get("name"))
        if not name:
            fail("name", _("姓名不能为空"))
        elif len(name) > 50:
            fail("name", _("姓名过长（最多 50 个字）"))
        raw_id = get.get("id_number")
        parsed = None
        try:
            parsed = parse_id_number(
                repr(raw_id) if isinstance(raw_id, float) else raw_id, today=self.today
            )
        except InvalidIdNumber as exc:
            fail("id_number", str(exc))
        values: dict[str, Any] = {"name": name}
        if parsed is not None:
            values["id_number"] = parsed.value
            values["gender"] = parsed.gender
            values["birth_date"] = parsed.birth_date
        if "gender" in get:
            gender = cached("gender", get["gender"], _gender)
            if gender is None:
                fail("gender", _("性别应填写“男”或“女”"))
            elif parsed is not None and gender != parsed.gender:
                fail("gender", _("性别与身份证号不符（第17位奇数为男，偶数为女）"))
        if "birth_date" in get:
            birth = cached("birth_date", get["birth_date"], _date_or_none)
            if birth is None:
                fail("birth_date", _("出生日期无法识别，请填写如 2015-03-04 的日期"))
            elif parsed is not None and not _same_date(birth, parsed.birth_date):
                fail("birth_date", _("出生日期与身份证号不符"))
        for key, memo, read in self.child_cells:
            value = get.get(key)
            if value is None:
                continue
            updates, error = _recall(memo, value, read)
            if error is not None:
                fail(key, error)
            elif updates:
                values.update(updates)
        place = None
        if "class" in get:
            place = cached("place", (get.get("grade"), get["class"]), self.place)
            if place is None:
                fail("class", _("无法识别班级，请同时填写年级和班级（如 三年级、2班）"))
        family, away = self._family(self.pick_family(cells), fail)
        derived: set[str] = set()
        if "left_behind_type" in get:
            kind = cached(
                "left_behind_type", get["left_behind_type"], lambda v: LEFT_BEHIND.get(_code(v))
            )
            if kind == "both":
                derived = {"father", "mother"}
            elif kind == "one":
                working = [
                    r
                    for r in ("father", "mother")
                    if family.get(r, {}).get("work_city") or family.get(r, {}).get("employer")
                ]
                derived = set(working) if len(working) == 1 else set()
            derived -= set(away)
        if errors or parsed is None:
            return None, errors
        return (
            _RowPlan(
                id_number=parsed.value,
                id_hash=self.blind_index(parsed.value),
                child_values=values,
                family=family,
                away=away,
                derived_away=derived,
                place=place,
            ),
            errors,
        )

    def _family(self, cells: tuple, fail: Callable[[str, str], None]):
        """The family members' fields and away dates stated by a row's family cells."""
        family: dict[str, dict[str, Any]] = {}
        away: dict[str, dt.date] = {}
        for (key, relation, read, memo), value in zip(self.family_columns, cells, strict=True):
            if value is None or value == "":
                continue
            if read is None:  # an ID number: one per row, nothing to remember
                if not (type(value) is str and len(value) == 18) and not _text(value):
                    continue
                try:
                    id_number = parse_id_number(
                        repr(value) if isinstance(value, float) else value, today=self.today
                    ).value
                except InvalidIdNumber as exc:
                    fail(key, str(exc))
                    continue
                family.setdefault(relation, {})["id_number"] = id_number
                continue
            outcome = _recall(memo, value, read)
            if outcome is None:  # blank
                continue
            updates, start, error = outcome
            if error is not None:
                fail(key, error)
            elif start is not None:
                away[relation] = start
            elif updates:
                family.setdefault(relation, {}).update(updates)
        return family, away

    def _member_cell(self, name: str) -> Callable[[object], _MemberCell | None] | None:
        """How a family member's cell of the column ``name`` is read: a function of the
        cell alone (``None`` for a blank cell), so it is computed once per distinct cell."""
        if name == "id_number":
            return None

        def read(value: object) -> _MemberCell | None:
            if (
                name == "phone"
                and type(value) is str
                and len(value) == 11
                and value.isascii()
                and value.isdigit()
                and value[0] == "1"
                and value[1] in "3456789"
            ):
                return {"phone": value}, None, None  # a mobile, as parse_phone gives it
            text = clean_name(value) if name == "name" else _text(value)
            if not text:
                return None
            if name == "phone":
                try:
                    return {"phone": parse_phone(value)}, None, None
                except InvalidPhone as exc:
                    return None, None, str(exc)
            if name == "work_place":
                province, city = split_work_place(text)
                return {"work_province": province, "work_city": city}, None, None
            if name == "away_since":
                try:
                    start = parse_date(value)[0]
                except ValueError:
                    return None, None, _("外出时间无法识别，请填写如 2023-02-01 的日期")
                if start > self.today:
                    return None, None, _("外出时间不能晚于今天")
                return None, start, None
            if name == "age":
                try:
                    age = int(float(unicodedata.normalize("NFKC", text).rstrip("岁")))
                except ValueError:
                    age = -1
                if not 14 <= age <= 110:
                    return None, None, _("年龄应为 14 到 110 之间的整数")
                return {"age": age}, None, None
            if name == "education":
                choice = EDUCATION.get(_code(text))
                if choice is None:
                    return (
                        None,
                        None,
                        _("无法识别，应为：文盲或半文盲、小学、初中、高中或中专、大专及以上"),
                    )
                return {"education": choice}, None, None
            if name == "guardianship_quality":
                choice = QUALITY.get(_code(text)) or QUALITY.get(_code(text)[:2])
                if choice is None:
                    return None, None, _("无法识别，应为：较好、一般、差、无人监护")
                return {"guardianship_quality": choice}, None, None
            limit = _MEMBER_TEXT_LIMITS.get(name, 200)
            if len(text) > limit:
                return None, None, _("内容过长（最多 %(n)d 个字）") % {"n": limit}
            return {name: text}, None, None

        return read


def _memo_key(value: object) -> object:
    """A cell as a dict key: 1 == 1.0 == True as keys, but not as cells (``_text`` gives
    '1', '1', '是'), so the type goes with the value (with each value of a tuple)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is tuple:
        return tuple(map(_memo_key, value))
    return (kind, value)


# One family member's cell, read: (fields to set, away start, error message).
_MemberCell = tuple[dict[str, Any] | None, dt.date | None, str | None]
# Distinct values remembered per column: enough for the days of birth of a school, not
# for a column of unique values (phones, student numbers) that would only fill memory.
_MEMO_LIMIT = 5_000
_SCHOOLING_CHOICES = gettext_lazy("在校、休学、辍学、转出、毕业、未到学龄")
_IMMUNIZATION_CHOICES = gettext_lazy("已全程接种、未全程接种、不详")


def _picker(indexes: list[int]) -> Callable[[list[object]], tuple]:
    """The cells at ``indexes`` of a row, as a tuple, in one call."""
    if len(indexes) > 1:
        return itemgetter(*indexes)
    return lambda cells: tuple(cells[c] for c in indexes)


_MISSING = object()


def _recall(memo: dict[object, Any], value: object, compute: Callable[[object], Any]) -> Any:
    """``compute(value)``, remembered in ``memo`` (up to ``_MEMO_LIMIT`` values)."""
    key = value if type(value) is str else _memo_key(value)
    result = memo.get(key, _MISSING)
    if result is _MISSING:
        result = compute(value)
        if len(memo) < _MEMO_LIMIT:
            memo[key] = result
    return result


# A child's cell, read: (fields to set, error message).
_ChildCell = tuple[dict[str, Any] | None, str | None]
# The child's columns read by a function of the cell alone, in the order their errors
# are listed (after the name, the ID number, the gender and the birth date).
_CHILD_CELL_ORDER = (
    *_CHILD_TEXT_ORDER,
    "boarding",
    "health",
    "schooling",
    "immunization",
    "categories",
    "residence",
)


def _child_cell_readers(validator: _Validator) -> dict[str, Callable[[object], _ChildCell]]:
    """How each of ``_CHILD_CELL_ORDER``'s cells is read: a function of the cell alone,
    so that ``_recall`` computes it once per distinct cell."""

    def text(key: str) -> Callable[[object], _ChildCell]:
        clean = _CHILD_TEXT_CLEANERS[key]

        def read(value: object) -> _ChildCell:
            cleaned = clean(value)
            if cleaned is None:
                return None, _("内容过长（最多 %(n)d 个字）") % {"n": _TEXT_LIMITS[key]}
            return ({key: cleaned} if cleaned else None), None

        return read

    def choice(key: str, table: dict[str, str], label) -> Callable[[object], _ChildCell]:
        def read(value: object) -> _ChildCell:
            chosen = table.get(_code(value))
            if chosen is None:
                return None, _("无法识别，应为：%(choices)s") % {"choices": str(label)}
            return {key: chosen}, None

        return read

    def boarding(value: object) -> _ChildCell:
        flag = _yes_no(value)
        if flag is None:
            return None, _("是否寄宿应填写“是”或“否”")
        return {"boarding": bool(flag)}, None

    def categories(value: object) -> _ChildCell:
        stored, word = _categories(value)
        if word is not None:
            return None, _("无法识别的特殊类别“%(word)s”，应为：特困、特长、特殊、单亲、潜能生") % {
                "word": word
            }
        return {"categories": stored}, None

    return {
        **{key: text(key) for key in _CHILD_TEXT_ORDER},
        "boarding": boarding,
        "health": lambda value: (_health(value), None),
        "schooling": choice("schooling", SCHOOLING, _SCHOOLING_CHOICES),
        "immunization": choice("immunization", IMMUNIZATION, _IMMUNIZATION_CHOICES),
        "categories": categories,
        "residence": lambda value: (validator.residence(_text(value)), None),
    }


def _gender(value: object) -> str | None:
    return GENDERS.get(_code(value))


def _yes_no(value: object) -> str | None:
    return YES_NO.get(_code(value))


def _date_or_none(value: object) -> tuple[dt.date, str] | None:
    try:
        return parse_date(value)
    except ValueError:
        return None


def _health(value: object) -> dict[str, Any]:
    text = _text(value)
    values: dict[str, Any] = {}
    health = HEALTH.get(_code(text))
    if health is None:
        health = "disabled" if "残" in text else "chronic" if "病" in text else None
        values["health_notes"] = text[:200]
    if health:
        values["health"] = health
    return values


def _categories(value: object) -> tuple[str, str | None]:
    """(the categories as stored, the first word not understood or None)."""
    chosen: list[str] = []
    unknown = None
    for word in _CATEGORY_SPLIT.split(_text(value)):
        if not word or word in ("无", "否"):
            continue
        category = CATEGORIES.get(_code(word))
        if category is None:
            unknown = word
            break
        if category not in chosen:
            chosen.append(category)
    return ("," + ",".join(chosen) + "," if chosen else ""), unknown


def _child_text(key: str) -> Callable[[object], str | None]:
    """A child's free-text cell as stored, or None when it is too long."""

    def clean(value: object) -> str | None:
        text = _text(value)
        if key == "ethnicity" and text and not text.endswith("族") and len(text) <= 3:
            text += "族"
        return None if len(text) > _TEXT_LIMITS[key] else text

    return clean


_CHILD_TEXT_CLEANERS = {key: _child_text(key) for key in _CHILD_TEXT}


def _is_blank(cells: list[object], seq_column: int | None) -> bool:
    for c, value in enumerate(cells):
        if c == seq_column:
            continue
        if value is not None and value != "" and (not isinstance(value, str) or value.strip()):
            return False
    return True


def _is_footer(cells: list[object], id_column: int) -> bool:
    """填表人…, 注：… below the children; the line may reach the ID column (审核人：…)."""
    id_text = _text(cells[id_column]) if id_column < len(cells) else ""
    if id_text and not _FOOTER.match(id_text):
        return False
    for value in cells:
        text = _text(value)
        if text:
            return bool(_FOOTER.match(text))
    return False


# ---------------------------------------------------------------------------- preview


def import_preview(
    *,
    data: bytes,
    filename: str,
    school: Org,
    user: AnyUser | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportPreview:
    """Read and validate a whole register; say what each row would do. Writes nothing.

    A row whose ID number is on file at another school is refused: as today if ``user``
    may see that child, else with the words of ``children.forms.ID_REFUSED`` (no user,
    the command line: always), its row number in ``refused``."""
    with _gc_paused():
        preview = _preview(data, filename, school, user, progress)
    release_freed_memory()  # the sheet's native cells, read
    return preview


def import_preview_checked(
    *,
    data: bytes,
    filename: str,
    school: Org,
    user: AnyUser | None,
    request: HttpRequest | None = None,
) -> ImportPreview:
    """``import_preview`` of a new upload (web or command line), with its refusals logged
    and counted (``carenet.audit.refusals``): a user whose budget is spent cannot have a
    register checked at all, and a register with more refused rows than the budget left
    is refused whole, without saying which rows — a register is no oracle either."""
    if not id_checks_allowed(user=user):
        raise RegisterError(str(ID_THROTTLED))
    preview = import_preview(data=data, filename=filename, school=school, user=user)
    if not preview.refused:
        return preview
    where = _("导入花名册 %(file)s") % {"file": filename[:60]}
    left = id_refusals_left(user=user)
    if len(preview.refused) > left:
        # What is left of the budget is spent, without row numbers (the log is read by
        # county administrators, who may have uploaded the register themselves).
        detail = _("%(where)s：%(n)d 行身份证号无法使用，超出核验次数，整表不予导入") % {
            "where": where,
            "n": len(preview.refused),
        }
        id_refusal_record(
            request=request, user=user, details=[detail] * left, county_code=school.county_code
        )
        raise RegisterError(str(ID_THROTTLED))
    details = [_("%(where)s 第 %(row)d 行") % {"where": where, "row": n} for n in preview.refused]
    id_refusal_record(request=request, user=user, details=details, county_code=school.county_code)
    return preview


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cycle collector off while a register is read, validated or written.

    Those build a million small objects that live until the end (cells, values, rows to
    write) and make no reference cycles; with the collector on, each of its passes walks
    them all again (about a third of the validation time for 50,000 rows). Memory is
    still freed by reference counting; the collector runs again afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _preview(
    data: bytes,
    filename: str,
    school: Org,
    user: AnyUser | None,
    progress: Callable[[int, int], None] | None,
) -> ImportPreview:
    sheets = read_sheets(data, filename)
    for sheet in sheets:
        header = _find_header(sheet)
        if header is not None:
            break
    else:
        raise RegisterError(
            _("这不是儿童花名册：表格前 %(n)d 行里找不到同时含“姓名”和“身份证号”的表头行")
            % {"n": HEADER_SEARCH_ROWS}
        )
    columns, texts = header.columns, header.texts
    by_key = {key: c for c, key in columns.items()}
    validator = _Validator(columns, texts, school)
    first = header.rows[-1] + 1
    data_rows = _DataRows(sheet, first)
    total = data_rows.count
    if total > MAX_ROWS:
        raise RegisterError(_("文件超过 %(n)d 行，请拆分后分批导入") % {"n": MAX_ROWS})
    seq_column, id_column = by_key.get("seq"), by_key["id_number"]
    name_column = by_key["name"]

    def validate_chunk(index: int) -> list[RowResult]:
        """The results of the rows of chunk ``index`` (``BATCH`` rows)."""
        chunk: list[RowResult] = []
        start = index * BATCH
        for offset, cells in enumerate(data_rows.chunk(start, BATCH), start):
            number = first + offset + 1
            id_cell = cells[id_column] if id_column < len(cells) else None
            if not (type(id_cell) is str and len(id_cell) == 18 and id_cell[:17].isdigit()):
                # Not the usual ID number: the row may be blank, a footer or the header again.
                if _is_blank(cells, seq_column) or _is_footer(cells, id_column):
                    chunk.append(RowResult(number, "skip", [], []))
                    continue
                if name_column < len(cells) and field_for_header(cells[name_column]) == "name":
                    chunk.append(RowResult(number, "skip", [], []))  # the header repeated
                    continue
            plan, errors = validator.validate(cells)
            # Only a rejected row's cells are shown again (the error workbook).
            chunk.append(
                RowResult(number, "reject", errors, cells)
                if errors
                else RowResult(number, "create", errors, [], plan)
            )
        return chunk

    chunks = -(-total // BATCH)
    validated: dict[int, list[RowResult]] = {}
    # A large register: a helper process validates chunks meanwhile.
    with Split(validate_chunk, chunks, helper=total >= HELPER_MIN_ROWS) as split:
        for index, chunk in split.results():
            validated[index] = chunk
            if progress:
                progress(min(total, len(validated) * BATCH), total)
    results = [result for index in range(chunks) for result in validated.pop(index)]
    seen: dict[str, int] = {}
    for result in results:
        plan = result.plan
        if plan is None:
            continue
        earlier = seen.get(plan.id_hash)
        if earlier is None:
            seen[plan.id_hash] = result.row
            continue
        result.action, result.plan = "reject", None
        result.errors.append(
            CellError(
                "id_number",
                validator.column("id_number"),
                _("身份证号与第 %(row)d 行重复") % {"row": earlier},
            )
        )
    refused = _plan_changes(results, school, validator, user)
    # Rows rejected only now (a repeated ID number, no class, another school's child)
    # get their cells back for the error workbook.
    late = {r.row - first - 1: r for r in results if r.action == "reject" and not r.cells}
    for offset, cells in data_rows.pick(late):
        late[offset].cells = cells
    return ImportPreview(
        filename=filename,
        header_rows=[r + 1 for r in header.rows],
        columns=columns,
        rows=results,
        headers=texts,
        header_cells=[list(sheet.rows[r]) for r in header.rows],
        refused=refused,
    )


class _DataRows:
    """The rows below the header, by offset (0 = the first row below it), read forward
    from the sheet (``Sheet.all_rows``); going back starts the sheet again."""

    def __init__(self, sheet: Sheet, first: int) -> None:
        self.sheet = sheet
        self.first = first
        self.count = max(0, sheet.height - first)
        self._rows: Iterator[list[object]] | None = None
        self._at = 0  # the offset of the row self._rows gives next

    def chunk(self, start: int, size: int) -> list[list[object]]:
        """The rows from offset ``start``, at most ``size`` of them."""
        if self.sheet.native is None:  # a CSV: its rows are lists already
            return self.sheet.rows[self.first + start : self.first + start + size]
        if self._rows is None or start < self._at:
            self._rows = islice(self.sheet.all_rows(), self.first, None)
            self._at = 0
        if start > self._at:  # rows another process validates: read past them
            next(islice(self._rows, start - self._at - 1, None), None)
        rows = list(islice(self._rows, size))
        self._at = start + len(rows)
        return rows

    def pick(self, offsets: Iterable[int]) -> Iterator[tuple[int, list[object]]]:
        """(offset, row) of each of ``offsets``, in one pass over the sheet."""
        wanted = sorted(set(offsets))
        if not wanted:
            return
        rows = islice(self.sheet.all_rows(), self.first, None)
        at = 0
        for offset in wanted:
            row = next(islice(rows, offset - at, None), None)
            at = offset + 1
            if row is not None:
                yield offset, row


_COMPARED_CHILD_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "id_number",
    "ethnicity",
    "student_number",
    "boarding",
    "registered_residence",
    "village_id",
    "residence_group",
    "residence_address",
    "health",
    "health_notes",
    "disability",
    "schooling",
    "immunization",
    "interests",
    "personality",
    "categories",
    "notes",
)


def _chunks(items: list, size: int = 500) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _plan_changes(
    results: list[RowResult], school: Org, validator: _Validator, user: AnyUser | None
) -> list[int]:
    """Match good rows to children on file and work out what would really change. The
    rows refused for an ID number the user may not see (see ``import_preview``)."""
    good = [r for r in results if r.plan is not None]
    existing: dict[str, Child] = {}
    # As few queries as the backend's parameter limit allows (999 on SQLite).
    size = min(5000, (connection.features.max_query_params or 5001) - 1)
    for chunk in _chunks([r.plan.id_hash for r in good], size):
        for child in Child.objects.filter(id_number_hash__in=chunk):
            existing[child.id_number_hash] = child
    ids = [c.pk for c in existing.values()]
    members: dict[tuple[int, str], FamilyMember] = {}
    latest: dict[tuple[int, str], AwayPeriod] = {}
    for chunk in _chunks(ids, size):
        for member in FamilyMember.objects.filter(child_id__in=chunk):
            members[(member.child_id, member.relation)] = member
        for period in AwayPeriod.objects.filter(child_id__in=chunk).order_by("start"):
            latest[(period.child_id, period.relation)] = period
    classes = _existing_classes(school)
    into_village = school.kind == OrgKind.VILLAGE
    # Files the user may not see: at another school, or (a village's register) anywhere.
    # A child filed under a village joins the school whose register names them. The command
    # line (no user) may update any child's residence from a village's register.
    elsewhere = [
        c.pk
        for c in existing.values()
        if (c.school_id is not None and c.school_id != school.pk) or into_village
    ]
    seen_elsewhere: set[int] = set()
    if user is not None:
        for chunk in _chunks(elsewhere, size):
            visible = visible_children(user).filter(pk__in=chunk).values_list("pk", flat=True)
            seen_elsewhere.update(visible)
    refused: list[int] = []
    for result in good:
        plan = result.plan
        child = existing.get(plan.id_hash)
        if (
            into_village
            and user is not None
            and child is not None
            and child.pk not in seen_elsewhere
        ):
            result.action, result.plan = "reject", None
            refused.append(result.row)
            result.errors.append(
                CellError("id_number", validator.column("id_number"), str(ID_REFUSED))
            )
            continue
        if into_village:
            plan.place = None  # filed under the village: no class
            plan.child_values["village_id"] = school.pk
            if child is not None and child.school_id is not None:
                # At a school: the school keeps the file; only the residence is news.
                plan.child_values = {
                    f: v for f, v in plan.child_values.items() if f in _RESIDENCE_FIELDS
                }
                plan.family, plan.away, plan.derived_away = {}, {}, set()
        if child is None:
            if plan.place is None and not into_village:
                result.action, result.plan = "reject", None
                result.errors.append(
                    CellError("class", validator.column("class"), _("新建档的儿童必须填写班级"))
                )
            continue
        if not into_village and child.school_id is None:
            # Filed under a village (not at a school): the school's register enrolls them.
            if plan.place is None:
                result.action, result.plan = "reject", None
                result.errors.append(
                    CellError("class", validator.column("class"), _("新入校的儿童必须填写班级"))
                )
                continue
        elif not into_village and child.school_id != school.pk:
            result.action = "reject"
            result.plan = None
            if child.pk in seen_elsewhere:
                message = _("该身份证号已在其他学校建档，请原学校先办理转出后再导入")
            else:
                message = str(ID_REFUSED)
                refused.append(result.row)
            result.errors.append(CellError("id_number", validator.column("id_number"), message))
            continue
        plan.existing = child
        plan.family_changes, plan.away_ops = {}, []
        plan.child_changes = {
            f: v
            for f, v in plan.child_values.items()
            if f in _COMPARED_CHILD_FIELDS and getattr(child, f) != v
        }
        if plan.place is not None:
            class_id = classes.get(plan.place)
            if class_id is None or class_id != child.school_class_id:
                plan.child_changes["school_class"] = plan.place
            if child.school_id is None:
                plan.child_changes["school_id"] = school.pk
        for relation, values in plan.family.items():
            member = members.get((child.pk, relation))
            if member is None:
                plan.family_changes[relation] = dict(values)
            else:
                changed = {f: v for f, v in values.items() if getattr(member, f) != v}
                if changed:
                    plan.family_changes[relation] = changed
        for relation in ("father", "mother"):
            period = latest.get((child.pk, relation))
            start = plan.away.get(relation)
            if start is None:
                if relation in plan.derived_away and (period is None or period.end is not None):
                    plan.away_ops.append((relation, validator.derived_start, None))
                continue
            if period is None or (period.end is not None and start >= period.end):
                plan.away_ops.append((relation, start, None))
            elif period.start != start:
                plan.away_ops.append((relation, start, period))
        plan.away, plan.derived_away = {}, set()
        if plan.child_changes or plan.family_changes or plan.away_ops:
            result.action = "update"
        else:
            result.action = "unchanged"
    return refused


# What a village's register changes of a child at a school (``_plan_changes``).
_RESIDENCE_FIELDS = ("village_id", "residence_group", "residence_address")


def _existing_classes(school: Org) -> dict[tuple[str, str], int]:
    grades = {
        g.path: g.name for g in Org.objects.filter(path__startswith=school.path, kind="grade")
    }
    classes: dict[tuple[str, str], int] = {}
    for org in Org.objects.filter(path__startswith=school.path, kind=OrgKind.CLASS):
        grade = grades.get(org.path[: -Org.steplen])
        if grade is not None:
            classes.setdefault((grade, org.name), org.pk)
            parsed = placement(grade, org.name)
            if parsed is not None:
                classes.setdefault(parsed, org.pk)
    return classes


# ---------------------------------------------------------------------------- commit


def _classes_for(places: set[tuple[str, str]], school: Org) -> dict[tuple[str, str], int]:
    """The class org of each (grade, class), creating the missing grades and classes."""
    known = _existing_classes(school)
    missing = sorted(p for p in places if p not in known)
    if not missing:
        return known
    school = Org.objects.get(pk=school.pk)  # fresh numchild for treebeard
    grades = {
        g.name: g for g in Org.objects.filter(path__startswith=school.path, kind=OrgKind.GRADE)
    }
    taken = set(Org.objects.filter(code__startswith=school.code).values_list("code", flat=True))

    def free(code: str) -> str:
        candidate, n = code, 1
        while candidate in taken:
            n += 1
            candidate = f"{code}-{n}"
        taken.add(candidate)
        return candidate

    for grade_name, class_name in missing:
        grade = grades.get(grade_name)
        if grade is None:
            number = NUMERALS.index(grade_name[:-2]) if grade_name[:-2] in NUMERALS else None
            code = free(f"{school.code}-G{number}" if number else f"{school.code}-G")
            grade = Org.objects.add_child(
                school,
                dict(
                    code=code,
                    name=grade_name[:100],
                    kind=OrgKind.GRADE,
                    county_code=school.county_code,
                ),
            )
            school.refresh_from_db()
            grades[grade_name] = grade
        match = re.search(r"\((\d+)\)", class_name)
        code = free(f"{grade.code}-{match.group(1)}" if match else f"{grade.code}-C")
        org = Org.objects.add_child(
            grade,
            dict(
                code=code, name=class_name[:100], kind=OrgKind.CLASS, county_code=school.county_code
            ),
        )
        grade.refresh_from_db()
        known[(grade_name, class_name)] = org.pk
    return known


def _history_reason(filename: str) -> str:
    return (_("花名册导入：%(file)s") % {"file": filename})[:100]


def import_commit(
    *,
    preview: ImportPreview,
    school: Org,
    actor,
    progress: Callable[[int, int], None] | None = None,
    batch: ImportBatch | None = None,
) -> ImportBatch:
    """Write every good row of a preview in one transaction: all of them or nothing.

    Records the import as an ``ImportBatch`` (complete); a given ``batch`` (the web's,
    already ``processing``) is filled in instead of creating one.

    The rows are written with raw ``executemany`` (``COPY`` on PostgreSQL) over values
    prepared here (encrypted, blind-indexed, timestamped), not through model instances
    and Django's INSERT compiler: a county's register is ~9 rows a child (the child,
    three family members, their history rows, the away periods). Every created or
    changed child and family member gets its django-simple-history row ('+' or '~',
    the user, the date, the file as the change reason), as ``save()`` would give it;
    the history rows are copied by the database from the rows just written.
    """
    user = actor if getattr(actor, "is_authenticated", False) else None
    if user is None:
        from simple_history.models import HistoricalRecords

        request = getattr(HistoricalRecords.context, "request", None)
        candidate = getattr(request, "user", None)
        user = candidate if getattr(candidate, "is_authenticated", False) else None
    reason = _history_reason(preview.filename)
    plans = [r.plan for r in preview.rows if r.action in ("create", "update") and r.plan]
    # Raw COPY on PostgreSQL raises the driver's own error, not Django's wrapper.
    duplicate = (IntegrityError, connection.Database.IntegrityError)
    try:
        return _commit(preview, school, user, reason, plans, progress, batch)
    except duplicate:
        # Another import (the same file, twice at once) created one of these children
        # after this preview was made: everything here was rolled back.
        raise ImportConflict(_("另一个导入同时写入了相同的儿童，请稍后重试")) from None


def _commit(
    preview: ImportPreview,
    school: Org,
    user,
    reason: str,
    plans: list[_RowPlan],
    progress: Callable[[int, int], None] | None,
    batch: ImportBatch | None,
) -> ImportBatch:
    total = len(plans)
    with _gc_paused(), transaction.atomic():
        if batch is None:
            batch = ImportBatch(
                user=user,
                school=school,
                county_code=school.county_code,
                filename=preview.filename[:255],
            )
        places = {p.place for p in plans if p.place is not None}
        classes = _classes_for(places, school) if places else {}
        # The kept indicator counts to drop: the school's (or village's), and those of
        # the children on file, wherever they are filed (a village's register).
        units = {school.pk}
        for p in plans:
            if p.existing is not None:
                units.add(p.existing.school_id or p.existing.village_id)
        units.discard(None)
        writer = _RawWriter(timezone.now(), user.pk if user is not None else None, reason)
        derived_start = derived_away_start(timezone.localdate())
        new = [p for p in plans if p.existing is None]
        with (
            writer.bulk_load(len(new)),
            stale_triggers_suspended(
                connection, [m._meta.db_table for m in _BULK_TABLES], sorted(units)
            ),
        ):
            child_ids = writer.allocate_ids(Child, len(new))

            def prepare_chunk(index: int) -> list[tuple[type, _DatabaseRows]]:
                """The database rows of chunk ``index`` of the new children."""
                start = index * BATCH
                return _created_rows(
                    new[start : start + BATCH],
                    child_ids[start : start + BATCH],
                    school,
                    classes,
                    writer,
                    derived_start,
                )

            done = 0

            def insert(prepared: list[tuple[type, _DatabaseRows]]) -> None:
                nonlocal done
                for model, rows in prepared:
                    writer.insert_new(model, rows)
                    if model is Child:
                        done += len(rows.rows)
                if progress:
                    progress(done, total)

            chunks = -(-len(new) // BATCH)
            # Many new children: a helper process prepares chunks' rows (the values
            # encrypted, the pinyin) while this one writes those already prepared.
            with Split(prepare_chunk, chunks, helper=len(new) >= HELPER_MIN_ROWS) as split:
                for _index, prepared in split.results():
                    insert(prepared)
            changed = [p for p in plans if p.existing is not None]
            for chunk in _chunks(changed, BATCH):
                _write_changes(chunk, classes, writer)
                done += len(chunk)
                if progress:
                    progress(done, total)
        batch.created = preview.created
        batch.updated = preview.updated
        batch.skipped = preview.skipped
        batch.rejected = preview.rejected
        batch.total = len(preview.rows)
        batch.processed = batch.total
        batch.status = ImportStatus.COMPLETE
        batch.finished_at = timezone.now()
        batch.save()
    return batch


# A first import of at least this many children into (nearly) empty tables drops the
# tables' secondary indexes and builds them again at the end, in the same transaction
# (SQLite only): building an index from sorted data is several times cheaper than
# inserting 450,000 rows into a dozen random-order B-trees.
BULK_LOAD_MIN = 5000
_BULK_TABLES = (Child, FamilyMember, AwayPeriod)
# The import connection's page cache while it writes (SQLite; KiB, the PRAGMA's
# negative form): the default 2 MB spills pages to the WAL mid-transaction.
_SQLITE_CACHE_KIB = 16384


@dataclass
class _ModelSpec:
    """How ``_RawWriter`` turns a model's values into database values."""

    attnames: list[str]
    columns: list[str]
    defaults: list[Any]  # database values, by column
    encrypted: list[str]  # EncryptedCharField attnames, encrypted in one batch
    preps: list[tuple[str, Callable[[Any], Any]]]  # other conversions, by attname


class _DatabaseRows(NamedTuple):
    columns: list[str]  # the columns of ``rows``
    rows: list[tuple]
    fixed: dict[str, Any]  # column → the value it has in every row


class _RawWriter:
    """Bulk writes of prepared rows through Django's connection (and its transaction).

    A model's rows are dicts ``attname → value``, turned into database values column by
    column (``database_rows``: encrypted fields in one ``crypto.encrypt_many`` batch,
    dates and datetimes through the backend's adapters); missing fields take the model's
    default, as the model's constructor would. New rows get their primary keys here,
    before they are written (``allocate_ids``), so nothing has to be read back; their
    history rows are copied by the database from the rows written (``copy_history``: the
    same ciphertext).
    """

    def __init__(self, now: dt.datetime, user_id: int | None, reason: str) -> None:
        self.connection = connection
        self.blind_index = blind_indexer()
        self.ops = connection.ops
        self.postgres = connection.vendor == "postgresql"
        self.now = now
        self.now_db = self.ops.adapt_datetimefield_value(now)
        self.user_id = user_id
        self.reason = reason
        self._specs: dict[type, _ModelSpec] = {}
        self._literals: dict[tuple[type, object], str] = {}
        self._sequences: dict[type, str] = {}
        self.pinyin: dict[str, tuple[str, str]] = {}

    # ---------------------------------------------------------------- values

    def _spec(self, model) -> _ModelSpec:
        spec = self._specs.get(model)
        if spec is not None:
            return spec
        from django.db import models

        from carenet.lib.crypto import EncryptedCharField, EncryptedJSONField

        spec = self._specs[model] = _ModelSpec([], [], [], [], [])
        for f in model._meta.concrete_fields:
            default = None if f.primary_key else f.get_default()
            if default is not None:
                default = f.get_db_prep_save(default, self.connection)
            if isinstance(default, str):
                default = str(default)  # a TextChoices member → plain text
            spec.attnames.append(f.attname)
            spec.columns.append(f.column)
            spec.defaults.append(default)
            if isinstance(f, EncryptedJSONField):
                spec.preps.append((f.attname, f.get_prep_value))
            elif isinstance(f, EncryptedCharField):
                spec.encrypted.append(f.attname)
            elif isinstance(f, models.DateTimeField):
                spec.preps.append((f.attname, self.ops.adapt_datetimefield_value))
            elif isinstance(f, models.DateField):
                spec.preps.append((f.attname, self.ops.adapt_datefield_value))
            elif not isinstance(
                f,
                models.CharField
                | models.TextField
                | models.BooleanField
                | models.IntegerField
                | models.ForeignKey,
            ):
                spec.preps.append(
                    (f.attname, lambda v, f=f: f.get_db_prep_save(v, self.connection))
                )
        return spec

    def database_rows(
        self, model, rows: list[dict[str, Any]], constants: dict[str, Any] | None = None
    ) -> _DatabaseRows:
        """The database values of objects given as ``rows`` dicts (``attname → value``;
        converted in place).

        Missing fields take the model's default, as the model's constructor would give
        them; ``constants`` are database values shared by every row (the timestamps).
        Columns that no row states and the constants come back once, as ``fixed``,
        not in every row: SQLite binds each parameter of each row, and a register's
        rows leave half of the columns at their defaults. Work is done column by
        column: the encrypted fields of all the rows are encrypted in one
        ``encrypt_many`` call."""
        spec = self._spec(model)
        for attname, prep in spec.preps:
            for row in rows:
                value = row.get(attname)
                if value is not None:
                    row[attname] = prep(value)
        for attname in spec.encrypted:
            present = [row for row in rows if row.get(attname) not in (None, "")]
            tokens = encrypt_many([str(row[attname]) for row in present])
            for row, token in zip(present, tokens, strict=True):
                row[attname] = token
        constants = constants or {}
        stated = set().union(*rows) - set(constants)
        attnames, columns, defaults, fixed = [], [], [], {}
        for attname, column, default in zip(
            spec.attnames, spec.columns, spec.defaults, strict=True
        ):
            if attname in stated:
                attnames.append(attname)
                columns.append(column)
                defaults.append(default)
            else:
                fixed[column] = constants.get(attname, default)
        values = [tuple(map(row.get, attnames, defaults)) for row in rows]
        return _DatabaseRows(columns, values, fixed)

    def prepare_instance(self, obj) -> dict[str, Any]:
        """An object's database values by attname."""
        spec = self._spec(type(obj))
        prepared = self.database_rows(type(obj), [{a: getattr(obj, a) for a in spec.attnames}])
        return dict(zip(spec.attnames, prepared.rows[0], strict=True))

    # ---------------------------------------------------------------- statements

    def allocate_ids(self, model, n: int) -> list[int]:
        """``n`` primary keys for new rows of ``model``, taken before they are written.

        PostgreSQL: from the table's sequence (safe beside other writers). SQLite: after
        the highest id ever used (AUTOINCREMENT's ``sqlite_sequence``); the import's
        transaction holds SQLite's only write lock, so no one else takes them.
        """
        if n <= 0:
            return []
        meta = model._meta
        with self.connection.cursor() as cursor:
            if self.postgres:
                sequence = self._sequences.get(model)
                if sequence is None:
                    cursor.execute(
                        "SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column]
                    )
                    sequence = self._sequences[model] = cursor.fetchone()[0]
                cursor.execute(  # the regclass is resolved once, not once per id
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, n]
                )
                return sorted(row[0] for row in cursor.fetchall())
            quote = self.ops.quote_name
            cursor.execute(f"SELECT max({quote(meta.pk.column)}) FROM {quote(meta.db_table)}")
            highest = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [meta.db_table])
            row = cursor.fetchone()
            start = max(highest, row[0] if row else 0) + 1
        return list(range(start, start + n))

    def insert(self, model, prepared: _DatabaseRows) -> None:
        """Insert ``database_rows``, their primary keys included (``allocate_ids``)."""
        if not prepared.rows:
            return
        table = self.ops.quote_name(model._meta.db_table)
        columns = prepared.columns + list(prepared.fixed)
        names = ", ".join(self.ops.quote_name(c) for c in columns)
        with self.connection.cursor() as cursor:
            if self.postgres:
                shared = tuple(prepared.fixed.values())
                raw = cursor.cursor  # psycopg 3: COPY, the fast way into PostgreSQL
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in prepared.rows:
                        copy.write_row(row + shared)
            else:
                marks = ["%s"] * len(prepared.columns)
                marks += [self._literal(cursor, v) for v in prepared.fixed.values()]
                sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(marks)})"
                cursor.executemany(sql, prepared.rows)

    def _literal(self, cursor, value: object) -> str:
        """``value`` as an SQLite literal, quoted by SQLite itself (``quote()``)."""
        key = (type(value), value)
        literal = self._literals.get(key)
        if literal is None:
            cursor.execute("SELECT quote(%s)", [value])
            literal = self._literals[key] = cursor.fetchone()[0]
        return literal.replace("%", "%%")  # Django's cursor formats %s

    def create(
        self, model, rows: list[dict[str, Any]], constants: dict[str, Any] | None = None
    ) -> None:
        """Insert new objects (``database_rows``' input) with ``insert_new``."""
        if rows:
            self.insert_new(model, self.database_rows(model, rows, constants))

    def insert_new(self, model, prepared: _DatabaseRows) -> None:
        """Insert the ``database_rows`` of new objects, with their '+' history rows if the
        model keeps history. Rows without an id are given one here (``allocate_ids``)."""
        if not prepared.rows:
            return
        columns = prepared.columns
        if "id" in columns:
            at = columns.index("id")
            ids = [row[at] for row in prepared.rows]
        else:
            ids = self.allocate_ids(model, len(prepared.rows))
            rows = [(pk, *row) for pk, row in zip(ids, prepared.rows, strict=True)]
            fixed = {c: v for c, v in prepared.fixed.items() if c != "id"}  # no id stated
            prepared = _DatabaseRows(["id", *columns], rows, fixed)
        self.insert(model, prepared)
        if hasattr(model, "history"):
            self.copy_history(model, ids, "+")

    def copy_history(self, model, ids: list[int], history_type: str) -> None:
        """One django-simple-history row per object, copied by the database from the rows
        of ``ids`` as they are now, with the date, the user and the change reason."""
        from django.conf import settings

        if not ids or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            return
        quote = self.ops.quote_name
        historical = model.history.model
        tracked = [f.attname for f in historical.tracked_fields]
        source = ", ".join(quote(model._meta.get_field(a).column) for a in tracked)
        columns = [quote(historical._meta.get_field(a).column) for a in tracked]
        columns += ["history_date", "history_change_reason", "history_type", "history_user_id"]
        head = (
            f"INSERT INTO {quote(historical._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {source}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
            f"WHERE {quote(model._meta.pk.column)} "
        )
        extra = [self.now_db, self.reason, history_type, self.user_id]
        ordered = sorted(ids)
        with self.connection.cursor() as cursor:
            if ordered[-1] - ordered[0] + 1 == len(ordered):  # a block of new rows
                cursor.execute(
                    head + "BETWEEN %s AND %s ORDER BY 1", [*extra, ordered[0], ordered[-1]]
                )
            elif self.postgres:
                cursor.execute(head + "= ANY(%s) ORDER BY 1", [*extra, ordered])
            else:
                size = max(1, (self.connection.features.max_query_params or 999) - len(extra))
                for chunk in _chunks(ordered, size):
                    marks = ", ".join(["%s"] * len(chunk))
                    cursor.execute(head + f"IN ({marks}) ORDER BY 1", [*extra, *chunk])

    def update(self, model, fields: list[str], rows: list[tuple]) -> None:
        """``rows`` are (value of each field…, pk)."""
        if not rows:
            return
        quote = self.ops.quote_name
        meta = model._meta
        sets = ", ".join(f"{quote(meta.get_field(f).column)} = %s" for f in fields)
        sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    @contextmanager
    def bulk_load(self, new_children: int) -> Iterator[None]:
        """Around the writes of an import: on SQLite a bigger page cache for this
        connection, and for a large first import (``BULK_LOAD_MIN``) the secondary
        indexes of the tables still smaller than the import dropped and built again at
        the end. It all happens inside the import's transaction: if the import fails,
        the rollback restores the indexes with everything else."""
        if self.postgres:
            yield
            return
        tables = []
        for model in _BULK_TABLES:
            tables.append(model._meta.db_table)
            if getattr(model, "history", None) is not None:
                tables.append(model.history.model._meta.db_table)
        rebuild: list[tuple[str, str]] = []
        with self.connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            cache_size = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
            if new_children >= BULK_LOAD_MIN:
                quote = self.ops.quote_name
                for table in tables:
                    cursor.execute(f"SELECT max(rowid) FROM {quote(table)}")
                    if (cursor.fetchone()[0] or 0) >= new_children:
                        continue  # a table this size keeps its indexes
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                        "AND tbl_name = %s AND sql IS NOT NULL ORDER BY name",
                        [table],
                    )
                    for name, sql in cursor.fetchall():
                        if not sql.lstrip().upper().startswith("CREATE UNIQUE"):
                            rebuild.append((name, sql))
                for name, _sql in rebuild:
                    cursor.execute(f"DROP INDEX {quote(name)}")
        try:
            yield
            with self.connection.cursor() as cursor:
                for _name, sql in rebuild:
                    cursor.execute(sql)
        finally:
            with self.connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")

    def member_row(self, child_id: int, relation: str, stated: dict[str, Any]) -> dict[str, Any]:
        """A new family member's fields (``create``'s input), with its ID number's index."""
        row = dict(stated, child_id=child_id, relation=relation)
        row["id_number_hash"] = self.blind_index(stated.get("id_number") or "")
        return row

    def name_pinyin(self, name: str) -> tuple[str, str]:
        cached = self.pinyin.get(name)
        if cached is None:
            cached = self.pinyin[name] = name_pinyin(name)
        return cached


def _created_rows(
    plans: list[_RowPlan],
    child_ids: list[int],
    school: Org,
    classes: dict[tuple[str, str], int],
    writer: _RawWriter,
    derived_start: dt.date,
) -> list[tuple[type, _DatabaseRows]]:
    """The database rows of new children (with their ids, ``child_ids``), of their family
    members and of their away periods (without ids: ``_RawWriter.insert_new`` gives
    them). A function of its arguments alone: a helper process may compute it."""
    children: list[dict[str, Any]] = []
    at_school = school.kind != OrgKind.VILLAGE  # else filed under the village, no class
    for plan, pk in zip(plans, child_ids, strict=True):
        assert plan.place is not None or not at_school  # rejected by the preview otherwise
        values = dict(plan.child_values, id=pk)
        values["name_pinyin"], values["name_initials"] = writer.name_pinyin(values["name"])
        values["school_class_id"] = classes[plan.place] if at_school else None
        values["id_number_hash"] = plan.id_hash
        children.append(values)
    shared = {"county_code": school.county_code}
    stamps = {**shared, "school_id": school.pk if at_school else None}
    stamps["created_at"] = writer.now_db
    stamps["updated_at"] = writer.now_db
    members: list[dict[str, Any]] = []
    periods: list[dict[str, Any]] = []
    for plan, pk in zip(plans, child_ids, strict=True):
        for relation, stated in plan.family.items():
            members.append(writer.member_row(pk, relation, stated))
        for relation, start in plan.away.items():
            periods.append(_period_row(pk, relation, start))
        for relation in sorted(plan.derived_away):
            periods.append(_period_row(pk, relation, derived_start))
    return [
        (Child, writer.database_rows(Child, children, stamps)),
        (FamilyMember, writer.database_rows(FamilyMember, members, shared)),
        (AwayPeriod, writer.database_rows(AwayPeriod, periods, shared)),
    ]


def _period_row(child_id: int, relation: str, start: dt.date) -> dict[str, Any]:
    """A new away period's fields (``_RawWriter.create``'s input)."""
    return {"child_id": child_id, "relation": relation, "start": start}


def _write_changes(
    plans: list[_RowPlan], classes: dict[tuple[str, str], int], writer: _RawWriter
) -> None:
    """Update children on file (``plans`` of children that exist) and their family members
    and away periods, with history rows for what changed."""
    groups: dict[tuple[str, ...], list[tuple]] = {}
    updated: list[int] = []
    for plan in plans:
        child = plan.existing
        if not plan.child_changes:
            continue
        changed: set[str] = {"updated_at"}
        for f, v in plan.child_changes.items():
            if f == "school_class":
                child.school_class_id = classes[v]
                changed.add("school_class_id")
            else:
                setattr(child, f, v)
                changed.add(f)
        if "name" in plan.child_changes:
            child.name_pinyin, child.name_initials = writer.name_pinyin(child.name)
            changed |= {"name_pinyin", "name_initials"}
        child.updated_at = writer.now
        prepared = writer.prepare_instance(child)
        fields = tuple(sorted(changed))
        groups.setdefault(fields, []).append(tuple(prepared[f] for f in fields) + (prepared["id"],))
        updated.append(child.pk)
    for fields, rows in groups.items():
        writer.update(Child, list(fields), rows)
    writer.copy_history(Child, updated, "~")

    new_members: list[dict[str, Any]] = []
    member_groups: dict[tuple[str, ...], list[tuple]] = {}
    changed_members: list[int] = []
    new_periods: list[dict[str, Any]] = []
    moved_periods: list[tuple] = []
    existing_members: dict[tuple[int, str], FamilyMember] = {}
    wanted = [p.existing.pk for p in plans if p.family_changes]
    for ids in _chunks(wanted):
        for member in FamilyMember.objects.filter(child_id__in=ids):
            existing_members[(member.child_id, member.relation)] = member
    blind_index = writer.blind_index
    for plan in plans:
        child = plan.existing
        for relation, values in plan.family_changes.items():
            member = existing_members.get((child.pk, relation))
            if member is None:
                row = writer.member_row(child.pk, relation, values)
                row["county_code"] = child.county_code
                new_members.append(row)
                continue
            fields = set(values)
            for f, v in values.items():
                setattr(member, f, v)
            if "id_number" in values:
                member.id_number_hash = blind_index(member.id_number or "")
                fields.add("id_number_hash")
            prepared = writer.prepare_instance(member)
            names = tuple(sorted(fields))
            member_groups.setdefault(names, []).append(
                tuple(prepared[f] for f in names) + (prepared["id"],)
            )
            changed_members.append(member.pk)
        for relation, start, period in plan.away_ops:
            if period is None:
                row = _period_row(child.pk, relation, start)
                row["county_code"] = child.county_code
                new_periods.append(row)
            else:
                moved_periods.append((writer.ops.adapt_datefield_value(start), period.pk))
    writer.create(FamilyMember, new_members)
    writer.create(AwayPeriod, new_periods)
    for names, rows in member_groups.items():
        writer.update(FamilyMember, list(names), rows)
    writer.copy_history(FamilyMember, changed_members, "~")
    writer.update(AwayPeriod, ["start"], moved_periods)


# ---------------------------------------------------------------------------- errors


def error_workbook(preview: ImportPreview) -> bytes:
    """The header and the rejected rows, with a 错误原因 column and the bad cells in red."""
    import io

    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(_("错误行"))
    bold = book.add_format({"bold": True, "bg_color": "#E2EFDA", "border": 1, "text_wrap": True})
    bad = book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "border": 1})
    reason = book.add_format({"font_color": "#9C0006", "text_wrap": True})
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    bad_date = book.add_format(
        {"num_format": "yyyy-mm-dd", "bg_color": "#FFC7CE", "font_color": "#9C0006"}
    )
    header_cells = preview.header_cells or [[preview.headers.get(c, "") for c in preview.columns]]
    width = max([len(r) for r in header_cells] + [len(r.cells) for r in preview.rejected_rows])
    key_column = {key: c for c, key in preview.columns.items()}
    for r, cells in enumerate(header_cells):
        for c in range(width):
            value = cells[c] if c < len(cells) else ""
            sheet.write_string(r, c, _text(value), bold)
        sheet.write_string(r, width, _("错误原因") if r == len(header_cells) - 1 else "", bold)
    sheet.freeze_panes(len(header_cells), 0)
    for offset, result in enumerate(preview.rejected_rows):
        r = len(header_cells) + offset
        marked = {key_column.get(e.field) for e in result.errors}
        for c, value in enumerate(result.cells):
            fmt = bad if c in marked else None
            if isinstance(value, dt.date | dt.datetime):
                sheet.write_datetime(r, c, value, bad_date if c in marked else dates)
            elif isinstance(value, float | int) and not isinstance(value, bool):
                sheet.write_number(r, c, value, fmt)
            else:
                sheet.write_string(r, c, _text(value), fmt)
        text = "；".join(
            _("第%(row)d行 %(column)s：%(message)s")
            % {"row": result.row, "column": e.column, "message": e.message}
            for e in result.errors
        )
        sheet.write_string(r, width, text, reason)
    sheet.set_column(width, width, 60)
    book.close()
    return out.getvalue()
