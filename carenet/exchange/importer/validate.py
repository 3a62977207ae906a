"""Row validation: one row's cells → a ``RowPlan`` (the child's values, the family's,
the away periods) or the cell errors that reject it."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carenet.children.idcheck import id_number_warnings
from carenet.children.models import AwayPeriod, Child
from carenet.children.rules import id_disagreements
from carenet.children.selectors import away_cutoff
from carenet.exchange.importer.cells import (
    CATEGORIES,
    CATEGORY_SPLIT,
    COMMUTE,
    DASHES,
    EDUCATION,
    ETHNICITIES,
    FOOTER,
    GENDERS,
    HEALTH,
    HUKOU,
    HUKOU_UNSTATED,
    IMMUNIZATION,
    KINSHIP,
    MULTI_CHOICES,
    OTHER_ID_TYPES,
    QUALITY,
    RESIDENT_ID_TYPES,
    SCHOOLING,
    STAGES,
    YES_NO,
    cell_code,
    cell_text,
    code_label,
    parse_date,
    picker,
    recall,
    split_work_place,
    work_place_in,
)
from carenet.exchange.importer.leftbehind import LeftBehindReader, place_kind
from carenet.exchange.importer.results import CellError
from carenet.lib.crypto import blind_indexer
from carenet.lib.idcard import InvalidIdNumber, parse_id_number
from carenet.lib.names import clean_name
from carenet.lib.phone import InvalidPhone, parse_phone
from carenet.orgs.grades import grade_name
from carenet.orgs.models import Org, OrgKind, SchoolStage
from carenet.orgs.placement import placement
from carenet.schoolyear.schools import stage_levels

# ---------------------------------------------------------------------------- rows


@dataclass(slots=True)
class RowPlan:
    id_number: str
    id_hash: str
    child_values: dict[str, Any]  # Child fields (only those the file states)
    family: dict[str, dict[str, Any]]  # relation → FamilyMember fields stated
    away: dict[str, dt.date]  # relation → stated away start
    # Relations away without a date (a work place, a 留守类型 or a 2016 flag says so).
    derived_away: set[str]
    place: tuple[str, str] | None
    existing: Child | None = None
    # What would change for a child on file (``plan_changes``); None for a new child.
    child_changes: dict[str, Any] | None = None
    family_changes: dict[str, dict[str, Any]] | None = None
    away_ops: list[tuple[str, dt.date, AwayPeriod | None]] | None = None
    # The rule that opens each period of ``derived_away`` ("work_place", "code", "flags";
    # None: the register has no column saying where the parents are but the dates), the
    # rule that settles a child with no parent away, and what the child will count as
    # after the commit ((type, rule), ``matching.plan_changes``): see ``leftbehind``.
    derived_rules: dict[str, str] | None = None
    stated_rule: str = "none"
    counted: tuple[str, str] | None = None

    def __reduce__(self):  # pickled by position (a helper's rows), every field
        return RowPlan, tuple(getattr(self, name) for name in ROW_PLAN_FIELDS)


ROW_PLAN_FIELDS = tuple(f.name for f in fields(RowPlan))


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
    """When a parent the register says is away without a date (a work place away, a
    留守类型, a 2016 flag: ``leftbehind``) left: 1 September of the school year, at the
    latest the first of the month three months ago, so that the child counts as
    left-behind (away ≥ 3 months) from the day of the import."""
    school_year = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    return min(school_year, (today - relativedelta(months=3)).replace(day=1))


class Validator:
    """Turns one row's cells into a plan, collecting cell errors."""

    def __init__(self, columns: dict[int, str], texts: dict[int, str], school: Org) -> None:
        self.columns = sorted(columns.items())
        self.texts = texts
        self.column_of = {key: texts[c] for c, key in columns.items()}
        self.today = timezone.localdate()
        self.derived_start = derived_away_start(self.today)
        self.away_cutoff = away_cutoff(self.today)  # the periods that count (the preview's)
        self.villages = sorted(
            Org.objects.filter(kind=OrgKind.VILLAGE, county_code=school.county_code).values_list(
                "name", "pk"
            ),
            key=lambda pair: -len(pair[0]),
        )
        self.blind_index = blind_indexer()
        self.stage = school.stage if school.kind == OrgKind.SCHOOL else ""
        # Most columns repeat a few values (a work place, a relation): see ``cached``.
        self._memo: dict[str, dict[object, Any]] = {}
        self.width = self.columns[-1][0] + 1
        # A row's cells are picked in one call: the child's by key, the family's in order.
        child = [(c, key) for c, key in self.columns if "." not in key and ":" not in key]
        self.child_keys = [key for _c, key in child]
        self.pick_child = picker([c for c, _key in child])
        family = [(c, key) for c, key in self.columns if "." in key]
        self.pick_family = picker([c for c, _key in family])
        # Cells read by a function of the cell alone, in the order their errors are listed.
        readers = _child_cell_readers(self)
        self.child_cells = [
            (key, self._memo.setdefault(key, {}), readers[key])
            for key in _CHILD_CELL_ORDER
            if key in readers and key in self.child_keys
        ]
        self.family_columns = [
            (key, relation, self._member_cell(name, relation), self._memo.setdefault(key, {}))
            for _c, key in family
            for relation, name in [key.split(".", 1)]
        ]
        # The 学籍 table's 成员1… / 成员2…: whose they are is read from each row.
        self.members = sorted(
            {relation for _key, relation, _r, _m in self.family_columns if relation[:6] == "member"}
        )
        # Ticked choices under a group cell (家庭经济来源 over 打工收入 / 种养殖业 …).
        marks = [(c, key.split(":", 1)) for c, key in self.columns if ":" in key]
        self.marks = [
            (field, word, self._memo.setdefault(f"{field}:{word}", {}))
            for _c, (field, word) in marks
        ]
        self.pick_marks = picker([c for c, _key in marks])
        self.mark_readers = {
            field: (readers[field], self._memo.setdefault(f"{field}:", {}))
            for field, _word, _memo in self.marks
        }
        # 班号 without 年级: the grade follows from 入学年月 and the school year.
        self.grade_from_enrollment = (
            "grade" not in self.child_keys and "enrolled" in self.child_keys
        )
        self.distress = "distress_kinds" in self.child_keys or "distress_kinds" in self.mark_readers
        # Work places, employers, 留守类型 and the 2016 flags, read together.
        self.left_behind = LeftBehindReader(
            self.child_keys,
            [key for _c, key in family],
            self.column,
            self.away_cutoff,
            members=bool(self.members),
        )

    def place(self, cells: tuple[object, object]) -> tuple[str, str] | None:
        """``placement`` of the (年级, 班级) cells."""
        return placement(cell_text(cells[0]), cell_text(cells[1]))

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

    def cached(self, key: str, value: object, compute: Callable[[Any], Any]) -> Any:
        """``compute(value)``, once per distinct value of a column: most columns of a
        register repeat a few values (性别, 年级, 务工地点, 与儿童关系 …)."""
        return recall(self._memo.setdefault(key, {}), value, compute)

    def validate(
        self, cells: list[object]
    ) -> tuple[RowPlan | None, list[CellError], list[CellError]]:
        """(the plan or None, the errors that reject the row, the row's warnings)."""
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
        other_document = None
        if "id_type" in get:  # 学籍: only a resident ID number files a child
            other_document = cached("id_type", get["id_type"], _other_document)
        if other_document is not None:
            fail("id_type", other_document)
        else:
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
        gender = birth = None
        if "gender" in get:
            gender = cached("gender", get["gender"], _gender)
            if gender is None:
                fail("gender", _("性别应填写“男”或“女”"))
        if "birth_date" in get:
            birth = cached("birth_date", get["birth_date"], _date_or_none)
            if birth is None:
                fail("birth_date", _("出生日期无法识别，请填写如 2015-03-04 的日期"))
        if parsed is not None and (gender is not None or birth is not None):
            disagreements = id_disagreements(
                parsed,
                gender=gender,
                birth_date=birth[0] if birth else None,
                precision=birth[1] if birth else "day",
            )
            for key, message in disagreements.items():
                fail(key, message)
        for key, memo, read in self.child_cells:
            value = get.get(key)
            if value is None:
                continue
            updates, error = recall(memo, value, read)
            if error is not None:
                fail(key, error)
            elif updates:
                values.update(updates)
        if self.marks:
            self._ticked(cells, values, fail)
        place = None
        if "class" in get:
            grade = get.get("grade")
            if self.grade_from_enrollment and "enrolled" in get:
                grade = False  # no birth date: the row is rejected for its ID number
                if parsed is not None:
                    grade, error = self._enrolled_grade(get["enrolled"], parsed.birth_date)
                    if error is not None:
                        fail("enrolled", error)
            if grade is not False:
                place = cached("place", (grade, get["class"]), self.place)
                if place is None:
                    fail("class", _("无法识别班级，请同时填写年级和班级（如 三年级、2班）"))
        family_cells = self.pick_family(cells)
        family, away = self._family(family_cells, fail)
        warnings: list[CellError] = []
        if parsed is not None:
            said = id_number_warnings(parsed)  # two set lookups: every row may pay for it
            if said:
                column = self.column("id_number")
                warnings.extend(
                    CellError(
                        "id_number",
                        column,
                        _("%(column)s：%(message)s") % {"column": column, "message": message},
                    )
                    for message in said
                )
        derived: set[str] = set()
        rules: dict[str, str] | None = None
        stated = "away_since" if away else "none"
        if self.left_behind.active:
            rules, stated, said = self.left_behind.read(
                get, family_cells, family, away, values, fail
            )
            derived = set(rules)
            warnings.extend(CellError("left_behind", "", message) for message in said)
        if errors or parsed is None:
            return None, errors, warnings
        return (
            RowPlan(
                id_number=parsed.value,
                id_hash=self.blind_index(parsed.value),
                child_values=values,
                family=family,
                away=away,
                derived_away=derived,
                place=place,
                derived_rules=rules,
                stated_rule=stated,
            ),
            errors,
            warnings,
        )

    def _ticked(
        self, cells: list[object], values: dict[str, Any], fail: Callable[[str, str], None]
    ) -> None:
        """The choices ticked (√) in a row's mark columns, read as their field's text."""
        ticked: dict[str, list[str]] = {}
        for (field, word, memo), value in zip(self.marks, self.pick_marks(cells), strict=True):
            if value is not None and value != "" and recall(memo, value, _is_ticked):
                ticked.setdefault(field, []).append(word)
        for field, words in ticked.items():
            read, memo = self.mark_readers[field]
            updates, error = recall(memo, "、".join(words), read)
            if error is not None:
                fail(field, error)
            elif updates:
                values.update(updates)

    def _enrolled_grade(self, value: object, birth: dt.date) -> tuple[str | bool, str | None]:
        """The grade of a pupil from the 入学年月 cell (with their birth year where the
        school's stage leaves the first grade open: a 九年一贯制 school's pupils start in
        一年级 or 七年级), as (grade name, None) or (False, error)."""
        ambiguous = self.stage not in _FIRST_LEVEL
        key = (value, birth.year if ambiguous else 0)
        return recall(self._memo.setdefault("enrolled", {}), key, self._grade_of_entry)

    def _grade_of_entry(self, key: tuple[object, int]) -> tuple[str | bool, str | None]:
        value, birth_year = key
        try:
            entry = parse_date(value)[0]
        except ValueError:
            return False, _("入学年月无法识别，请填写如 201409 的年月")
        # The school year a pupil entered (September; a spring entry belongs to the
        # school year before) and the one of today.
        entered = entry.year if entry.month >= 7 else entry.year - 1
        today = self.today
        current = today.year if today.month >= 9 else today.year - 1
        first = _FIRST_LEVEL.get(self.stage)
        if first is None:  # by the pupil's age on entry: 6 → 一年级, 12 → 七年级, 15 → 高一
            age = entered - birth_year
            first = 10 if age >= 14 else 7 if age >= 10 else 1
        level = first + current - entered
        if level == first - 1 and today.month in (7, 8):
            level = first  # a new pupil registered in the summer before the school year
        levels = stage_levels(self.stage) or tuple(range(1, 13))
        if level not in levels:
            shown = grade_name(level) if 1 <= level <= 12 else str(level)
            return False, _("按入学年月推算应在“%(grade)s”，不是本校的年级：请填写“年级”列") % {
                "grade": shown
            }
        return grade_name(level), None

    def _family(self, cells: tuple, fail: Callable[[str, str], None]):
        """The family members' fields and away dates stated by a row's family cells."""
        family: dict[str, dict[str, Any]] = {}
        away: dict[str, dt.date] = {}
        for (key, relation, read, memo), value in zip(self.family_columns, cells, strict=True):
            if value is None or value == "":
                continue
            if read is None:  # an ID number: one per row, nothing to remember
                if not (type(value) is str and len(value) == 18):
                    text = cell_text(value)
                    if not text or text in DASHES:
                        continue
                if relation in self.members:  # read with the member's document type
                    family.setdefault(relation, {})["_id"] = value
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
            outcome = recall(memo, value, read)
            if outcome is None:  # blank
                continue
            updates, start, error = outcome
            if error is not None:
                fail(key, error)
            elif start is not None:
                away[relation] = start
            elif updates:
                family.setdefault(relation, {}).update(updates)
        if self.members:
            self._members(family, fail)
        return family, away

    def _members(self, family: dict[str, dict[str, Any]], fail: Callable[[str, str], None]):
        """The 学籍 table's 成员1… / 成员2… put in their places: 父亲/母亲 → father/mother,
        祖父/祖母/外祖父/外祖母 → the grandparents; and the guardian (kinship: the relation
        as written) is the member marked 是否监护人 who is not a parent, or where no one is
        marked, the first member who is not a parent. A column naming a person (父亲姓名)
        wins over a member's."""
        members = [(m, family.pop(m)) for m in self.members if m in family]
        marked = any(values.get("_guardian") for _m, values in members)
        guardian_found = False
        for member, values in members:
            kinship, relation = values.pop("_kinship", ("", None))
            is_guardian = values.pop("_guardian", False)
            resident_id = values.pop("_resident_id", True)
            raw_id = values.pop("_id", None)
            if raw_id is not None and resident_id:
                try:
                    values["id_number"] = parse_id_number(
                        repr(raw_id) if isinstance(raw_id, float) else raw_id, today=self.today
                    ).value
                except InvalidIdNumber as exc:
                    fail(f"{member}.id_number", str(exc))
            if not values:  # a relation and nothing else: no one to file
                continue
            if relation is not None:
                held = family.setdefault(relation, {})
                for field, value in values.items():
                    held.setdefault(field, value)
            if guardian_found or relation in ("father", "mother") or (marked and not is_guardian):
                continue
            guardian_found = True
            held = family.setdefault("guardian", {})
            if kinship:
                held.setdefault("kinship", kinship)
            for field, value in values.items():
                if field not in ("work_province", "work_city"):
                    held.setdefault(field, value)

    def _member_cell(
        self, name: str, relation: str = ""
    ) -> Callable[[object], _MemberCell | None] | None:
        """How a family member's cell of the column ``name`` is read: a function of the
        cell alone (``None`` for a blank cell), so it is computed once per distinct cell."""
        if name == "id_number":
            return None
        member = relation[:6] == "member"

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
            text = clean_name(value) if name == "name" else cell_text(value)
            if not text:
                return None
            if text in DASHES and name not in ("work_place", "away_since"):
                return None  # struck out: a grandparent or parent who died (the 2016 form)
            if name == "phone":
                try:
                    return {"phone": parse_phone(value)}, None, None
                except InvalidPhone as exc:
                    return None, None, str(exc)
            if name == "work_place":
                if place_kind(text) != "away":  # 在家, 本村, 不详 …: not a work city
                    return {"work_province": "", "work_city": ""}, None, None
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
            if name == "birth_date":
                try:
                    born = parse_date(value)[0]
                except ValueError:
                    return None, None, _("出生日期无法识别，请填写如 1985-03-04 的日期")
                if born > self.today:
                    return None, None, _("出生日期不能晚于今天")
                return {"birth_date": born}, None, None
            if name == "kinship" and member:  # 成员N关系: whose the member's columns are
                kinship = code_label(text)[:20]
                return {"_kinship": (kinship, KINSHIP.get(cell_code(kinship)))}, None, None
            if name == "is_guardian":
                flag = _yes_no(code_label(text))
                if flag is None:
                    return None, None, _("是否监护人应填写“是”或“否”（1 或 0）")
                return {"_guardian": bool(flag)}, None, None
            if name == "id_type":  # a member's other document: their number is not kept
                return {"_resident_id": _other_document(text) is None}, None, None
            if name == "employer" and member:  # 工作单位: a work place where it names one
                if len(text) > 100:
                    return None, None, _("内容过长（最多 %(n)d 个字）") % {"n": 100}
                place = work_place_in(text)
                if place is None:
                    return {"employer": text}, None, None
                return (
                    {"employer": text, "work_province": place[0], "work_city": place[1]},
                    None,
                    None,
                )
            if name == "age":
                try:
                    age = int(float(unicodedata.normalize("NFKC", text).rstrip("岁")))
                except ValueError:
                    age = -1
                if not 14 <= age <= 110:
                    return None, None, _("年龄应为 14 到 110 之间的整数")
                return {"age": age}, None, None
            if name == "education":
                choice = EDUCATION.get(cell_code(text))
                if choice is None:
                    return (
                        None,
                        None,
                        _("无法识别，应为：文盲或半文盲、小学、初中、高中或中专、大专及以上"),
                    )
                return {"education": choice}, None, None
            if name == "guardianship_quality":
                choice = QUALITY.get(cell_code(text)) or QUALITY.get(cell_code(text)[:2])
                if choice is None:
                    return None, None, _("无法识别，应为：较好、一般、差、无人监护")
                return {"guardianship_quality": choice}, None, None
            limit = _MEMBER_TEXT_LIMITS.get(name, 200)
            if len(text) > limit:
                return None, None, _("内容过长（最多 %(n)d 个字）") % {"n": limit}
            return {name: text}, None, None

        return read


# One family member's cell, read: (fields to set, away start, error message).
_MemberCell = tuple[dict[str, Any] | None, dt.date | None, str | None]
# Distinct values remembered per column: enough for the days of birth of a school, not
# for a column of unique values (phones, student numbers) that would only fill memory.
_SCHOOLING_CHOICES = gettext_lazy(
    "在校、休学、辍学、转出、毕业、未到学龄、幼儿园、未入园、小学、初中、高中、中职、不在学"
)
# The first grade (year of schooling) of a school's stage; other stages (九年一贯制,
# 完全中学, none) start where the pupil's age on entry says.
_FIRST_LEVEL: dict[str, int] = {
    SchoolStage.PRIMARY: 1,
    SchoolStage.TEACHING_POINT: 1,
    SchoolStage.MIDDLE: 7,
}
_IMMUNIZATION_CHOICES = gettext_lazy("已全程接种、未全程接种、不详")


# A child's cell, read: (fields to set, error message).
_ChildCell = tuple[dict[str, Any] | None, str | None]
# The child's columns read by a function of the cell alone, in the order their errors
# are listed (after the name, the ID number, the gender and the birth date).
_CHILD_CELL_ORDER = (
    *_CHILD_TEXT_ORDER,
    "boarding",
    "commute",
    "health",
    "illness",
    "schooling",
    "immunization",
    "categories",
    "residence",
    "hukou_type",
    "hukou_registered",
    "migrant_child",
    "orphan",
    "needs_aid",
    "income_sources",
    "assistance",
    "distress_kinds",
)
# Yes/no columns: 是/否, 1/0 (the 学籍 table's codes), √.
_FLAGS = ("hukou_registered", "migrant_child", "orphan", "needs_aid")


def _child_cell_readers(validator: Validator) -> dict[str, Callable[[object], _ChildCell]]:
    """How each of ``_CHILD_CELL_ORDER``'s cells is read: a function of the cell alone,
    so that ``recall`` computes it once per distinct cell."""

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
            chosen = table.get(cell_code(value))
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

    def flag(key: str) -> Callable[[object], _ChildCell]:
        def read(value: object) -> _ChildCell:
            answer = _yes_no(value)
            if answer is None:
                answer = _yes_no(code_label(cell_text(value)))
            if answer is None:
                return None, _("应填写“是”或“否”（1 或 0）")
            return {key: bool(answer)}, None

        return read

    def commute(value: object) -> _ChildCell:
        code = cell_code(code_label(cell_text(value)))
        answer = COMMUTE.get(code)
        if answer is None:
            return None, _("就读方式应填写“走读”或“住校”（1 或 2）")
        return {"boarding": bool(answer)}, None

    def hukou_type(value: object) -> _ChildCell:
        code = cell_code(code_label(cell_text(value)))
        if code in HUKOU_UNSTATED:
            return None, None
        answer = HUKOU.get(code)
        if answer is None:
            return None, _("户口性质应填写“农业户口”或“非农业户口”（1 或 2）")
        return {"rural_hukou": bool(answer)}, None

    def schooling(value: object) -> _ChildCell:
        code = cell_code(code_label(cell_text(value)))
        chosen = SCHOOLING.get(code)
        if chosen is not None:
            return {"schooling": chosen}, None
        stage = STAGES.get(code)
        if stage is not None:
            return {"schooling": "enrolled", "stage": stage}, None
        return None, _("无法识别，应为：%(choices)s") % {"choices": str(_SCHOOLING_CHOICES)}

    def illness(value: object) -> _ChildCell:
        text = cell_text(value)
        if text in DASHES:
            return None, None
        return {"health_notes": text[:200]}, None

    def health(value: object) -> _ChildCell:
        chosen = HEALTH.get(cell_code(code_label(cell_text(value))))  # 学籍: '10-健康或良好'
        if chosen is not None:
            return {"health": chosen}, None
        return _health(value), None

    def ethnicity(value: object) -> _ChildCell:
        text = cell_text(value)
        if text.isdigit() and len(text) <= 2:  # 学籍: the GB 3304 code
            name = ETHNICITIES.get(int(text))
            if name is None:
                return None, _("民族代码“%(code)s”不存在（如 01 汉族）") % {"code": text}
            return {"ethnicity": name}, None
        cleaned = _CHILD_TEXT_CLEANERS["ethnicity"](code_label(text))
        if cleaned is None:
            return None, _("内容过长（最多 %(n)d 个字）") % {"n": _TEXT_LIMITS["ethnicity"]}
        return ({"ethnicity": cleaned} if cleaned else None), None

    return {
        **{key: text(key) for key in _CHILD_TEXT_ORDER},
        "ethnicity": ethnicity,
        "boarding": boarding,
        "commute": commute,
        "health": health,
        "illness": illness,
        "schooling": schooling,
        "immunization": choice("immunization", IMMUNIZATION, _IMMUNIZATION_CHOICES),
        "categories": categories,
        "residence": lambda value: (validator.residence(cell_text(value)), None),
        "hukou_type": hukou_type,
        **{key: flag(key) for key in _FLAGS},
        **{key: _multi_choice(key) for key in MULTI_CHOICES},
    }


# A multiple-choice cell's words → their codes (``MULTI_CHOICES``), each field.
_MULTI_WORDS = {
    field: {cell_code(word): code for code, words in choices.items() for word in words}
    for field, choices in MULTI_CHOICES.items()
}
_MULTI_LABELS = {
    field: "、".join(words[0] for words in choices.values())
    for field, choices in MULTI_CHOICES.items()
}
# A word's tick: 打工收入（√）, 低保√.
_TICK = re.compile(r"[(（\[]?\s*[√✓✔]\s*[)）\]]?$")
_NOTHING = frozenset({"无", "否", "没有", "未享受", "0", *DASHES})


def _multi_choice(field: str) -> Callable[[object], _ChildCell]:
    """家庭经济来源 / 救助帮扶情况 / 困境类型: words separated by 、 or , (or ticked in a
    group's columns) → the codes stored as ",a,b,", in the order of the choices. A
    困境类型 makes the child a 困境儿童 (category ``distressed``); a 孤儿 is an orphan."""
    words = _MULTI_WORDS[field]
    order = list(MULTI_CHOICES[field])

    def read(value: object) -> _ChildCell:
        chosen: set[str] = set()
        updates: dict[str, Any] = {}
        for word in CATEGORY_SPLIT.split(cell_text(value)):
            word = _TICK.sub("", word).strip()
            if not word or word in _NOTHING:
                continue
            code = words.get(cell_code(word))
            if code is None and field == "distress_kinds" and word in ("孤儿", "孤儿儿童"):
                updates["orphan"] = True
                continue
            if code is None:
                return None, _("无法识别“%(word)s”，应为：%(choices)s") % {
                    "word": word,
                    "choices": _MULTI_LABELS[field],
                }
            chosen.add(code)
        stored = [code for code in order if code in chosen]
        updates[field] = "," + ",".join(stored) + "," if stored else ""
        if field == "distress_kinds" and stored:
            updates[ADD_CATEGORY] = "distressed"
        return updates, None

    return read


# A child value that adds a category to those the child has (``plan_changes``).
ADD_CATEGORY = "+categories"


def _is_ticked(value: object) -> bool:
    """A mark column's cell ticked: √, (√), 是, 1 …"""
    code = cell_code(value).strip("()[]")
    return YES_NO.get(code) == "1"


def _other_document(value: object) -> str | None:
    """The message rejecting a row whose 身份证件类型 is not a resident ID number's
    (护照, 港澳居民来往内地通行证 …), or None for a resident ID (居民身份证, 户口簿, 港澳台
    居民居住证; a blank type too). CareNet files a child by the resident ID number."""
    text = cell_text(value)
    code = cell_code(text)
    if not code or code in RESIDENT_ID_TYPES:
        return None
    label = code_label(text)
    if cell_code(label) in RESIDENT_ID_TYPES:
        return None
    kind = OTHER_ID_TYPES.get(code, label)
    return _(
        "身份证件类型为“%(kind)s”：儿童按居民身份证号建档（户口簿上的公民身份号码），"
        "请填写居民身份证号和“居民身份证”"
    ) % {"kind": kind}


def _gender(value: object) -> str | None:
    return GENDERS.get(cell_code(value)) or GENDERS.get(cell_code(code_label(cell_text(value))))


def _yes_no(value: object) -> str | None:
    return YES_NO.get(cell_code(value))


def _date_or_none(value: object) -> tuple[dt.date, str] | None:
    try:
        return parse_date(value)
    except ValueError:
        return None


def _health(value: object) -> dict[str, Any]:
    text = cell_text(value)
    values: dict[str, Any] = {}
    health = HEALTH.get(cell_code(text))
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
    for word in CATEGORY_SPLIT.split(cell_text(value)):
        if not word or word in ("无", "否"):
            continue
        category = CATEGORIES.get(cell_code(word))
        if category is None:
            unknown = word
            break
        if category not in chosen:
            chosen.append(category)
    return ("," + ",".join(chosen) + "," if chosen else ""), unknown


def _child_text(key: str) -> Callable[[object], str | None]:
    """A child's free-text cell as stored, or None when it is too long."""

    def clean(value: object) -> str | None:
        text = cell_text(value)
        if key == "ethnicity" and text and not text.endswith("族") and len(text) <= 3:
            text += "族"
        elif key == "disability" and text in DASHES:
            text = ""  # 无 / —: none
        return None if len(text) > _TEXT_LIMITS[key] else text

    return clean


_CHILD_TEXT_CLEANERS = {key: _child_text(key) for key in _CHILD_TEXT}


def is_blank(cells: list[object], seq_column: int | None) -> bool:
    for c, value in enumerate(cells):
        if c == seq_column:
            continue
        if value is not None and value != "" and (not isinstance(value, str) or value.strip()):
            return False
    return True


def is_footer(cells: list[object], id_column: int) -> bool:
    """填表人…, 注：… below the children; the line may reach the ID column (审核人：…)."""
    id_text = cell_text(cells[id_column]) if id_column < len(cells) else ""
    if id_text and not FOOTER.match(id_text):
        return False
    for value in cells:
        text = cell_text(value)
        if text:
            return bool(FOOTER.match(text))
    return False
