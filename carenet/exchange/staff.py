"""The staff sheet (教职工/工作人员名单): read, validate every row, then commit in one go.

Columns (any order, under their usual names; the header is found below title lines):
姓名, 手机号, 学校 (name or 10-digit 学校标识码), 乡镇 and 村 (name or code), 角色 (one or
more, 、-separated: 县级管理员, 乡镇儿童督导员, 村儿童主任, 校长, 德育主任/副校长, 教师/班主任,
心理辅导教师), 任教班级 (三(2)班、四(1)班: a teacher's membership at each class) and 班主任
(the class they are class teacher of, or 是 with one class taught).

A person is found by phone (a keyed hash) within the county: importing the same sheet twice
creates nobody and adds only the memberships that are missing. Each new user gets a
one-time activation code, returned once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from carenet.accounts.people import Grant
from carenet.accounts.services import (
    CLASS_TEACHER_TITLE,
    SUBJECT_TEACHER_TITLE,
    IssuedCode,
    activation_issue,
    membership_grant,
    person_create,
    person_find,
    username_for,
)
from carenet.audit.models import AccessAction
from carenet.audit.services import audit_log
from carenet.exchange.columns import normalise_header
from carenet.exchange.importer.cells import FOOTER, cell_text
from carenet.exchange.reading import RegisterError, read_sheets
from carenet.lib.names import clean_name
from carenet.lib.phone import InvalidPhone, parse_phone
from carenet.orgs.models import Membership, Org, OrgKind, Role
from carenet.orgs.placement import placement

HEADER_SEARCH_ROWS = 40

# Field key → the header texts that mean it (the first is canonical).
STAFF_COLUMNS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号"),
    "name": ("姓名", "教师姓名", "人员姓名", "名字"),
    "phone": ("手机号", "手机号码", "手机", "联系电话", "电话", "电话号码", "联系方式"),
    "school": ("学校", "学校名称", "所在学校", "任职学校", "学校标识码", "工作单位", "单位"),
    "township": ("乡镇", "乡镇街道", "所在乡镇", "乡镇名称", "乡镇代码"),
    "village": ("村", "村社区", "村居", "所在村", "村名称", "村代码", "行政村"),
    "role": ("角色", "职务", "岗位", "身份", "职责"),
    "classes": ("任教班级", "任课班级", "所教班级", "任教班", "授课班级"),
    "class_teacher": ("班主任", "班主任班级", "担任班主任", "所带班级", "班主任所在班级"),
}
_HEADERS = {normalise_header(text): key for key, texts in STAFF_COLUMNS.items() for text in texts}

# Role words as sheets write them → Role. Longest words are tried first.
ROLE_WORDS: dict[str, str] = {
    "县级管理员": Role.COUNTY_ADMIN,
    "县管理员": Role.COUNTY_ADMIN,
    "县级管理人员": Role.COUNTY_ADMIN,
    "县教育局": Role.COUNTY_ADMIN,
    "县民政局": Role.COUNTY_ADMIN,
    "乡镇儿童督导员": Role.TOWNSHIP_SUPERVISOR,
    "儿童督导员": Role.TOWNSHIP_SUPERVISOR,
    "督导员": Role.TOWNSHIP_SUPERVISOR,
    "村儿童主任": Role.VILLAGE_DIRECTOR,
    "村居儿童主任": Role.VILLAGE_DIRECTOR,
    "儿童主任": Role.VILLAGE_DIRECTOR,
    "校长": Role.PRINCIPAL,
    "正校长": Role.PRINCIPAL,
    "德育主任": Role.SCHOOL_ADMIN,
    "副校长": Role.SCHOOL_ADMIN,
    "政教主任": Role.SCHOOL_ADMIN,
    "德育处主任": Role.SCHOOL_ADMIN,
    "教导主任": Role.SCHOOL_ADMIN,
    "学校管理员": Role.SCHOOL_ADMIN,
    "教师": Role.TEACHER,
    "老师": Role.TEACHER,
    "班主任": Role.TEACHER,
    "任课教师": Role.TEACHER,
    "代理家长": Role.TEACHER,
    "心理辅导教师": Role.COUNSELOR,
    "心理辅导老师": Role.COUNSELOR,
    "心理教师": Role.COUNSELOR,
    "心理老师": Role.COUNSELOR,
    "心理辅导员": Role.COUNSELOR,
    "心理健康教师": Role.COUNSELOR,
}
ROLE_NAMES = "、".join(
    ("县级管理员", "乡镇儿童督导员", "村儿童主任", "校长", "德育主任", "教师", "班主任")
    + ("心理辅导教师",)
)
_SPLIT = re.compile(r"[、,，/;；\s]+")
_YES = {"是", "√", "✓", "y", "yes", "1"}
_NO = {"否", "×", "n", "no", "0", "无", "-", "—"}
_SCHOOL_CODE = re.compile(r"^\d{10}$")
_DIVISION_CODE = re.compile(r"^\d{9}(\d{3})?$")


@dataclass
class CellError:
    field: str
    column: str
    message: str


@dataclass
class StaffRow:
    row: int  # as Excel shows it
    action: str = "create"  # create / update / unchanged / reject / skip
    errors: list[CellError] = field(default_factory=list)
    name: str = ""
    phone: str = ""
    grants: list[Grant] = field(default_factory=list)


@dataclass
class StaffImport:
    rows: list[StaffRow]
    activations: list[IssuedCode] = field(default_factory=list)
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def rejected_rows(self) -> list[StaffRow]:
        return [r for r in self.rows if r.action == "reject"]

    def as_json(self) -> dict[str, Any]:
        """The CONTRACT's ``--json`` object: as for children, plus the activation codes of
        the users created (shown this once)."""
        return {
            "created": self.count("create"),
            "updated": self.count("update"),
            "skipped": self.count("skip"),
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
            "activations": [
                {"name": a.user.first_name, "username": a.user.get_username(), "code": a.code}
                for a in self.activations
            ],
        }


# ---------------------------------------------------------------------------- header


def _find_header(rows: list[list[object]]) -> tuple[int, dict[int, str], dict[int, str]] | None:
    """(row index, column → field, column → header text) of the best header row: the one
    naming the most staff columns, at least 姓名, 手机号 and 角色."""
    best: tuple[int, int, dict[int, str], dict[int, str]] | None = None
    for r, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[int, str] = {}
        texts: dict[int, str] = {}
        for c, value in enumerate(cells[:200]):
            if not isinstance(value, str):
                continue
            key = _HEADERS.get(normalise_header(value))
            if key and key not in columns.values():
                columns[c], texts[c] = key, cell_text(value)
        if {"name", "phone", "role"} <= set(columns.values()):
            if best is None or len(columns) > best[1]:
                best = (r, len(columns), columns, texts)
    return (best[0], best[2], best[3]) if best else None


# ---------------------------------------------------------------------------- orgs


class _Orgs:
    """The county's open orgs, looked up by code and by name (read once)."""

    def __init__(self, county: Org) -> None:
        self.county = county
        orgs = list(
            Org.objects.filter(path__startswith=county.path, closed_on__isnull=True).exclude(
                kind=OrgKind.GRADE
            )
        )
        self.by_code = {o.code: o for o in orgs}
        self.by_kind_name: dict[tuple[str, str], list[Org]] = {}
        for org in orgs:
            if org.kind != OrgKind.CLASS:
                self.by_kind_name.setdefault((org.kind, _key(org.name)), []).append(org)
        self.classes: dict[tuple[str, str], Org] = {}  # (school path, class name) → class
        for org in orgs:
            if org.kind == OrgKind.CLASS:
                school_path = org.path[: -2 * Org.steplen]
                self.classes.setdefault((school_path, _key(org.name)), org)

    def find(self, kind: str, text: str, *, under: Org | None = None) -> list[Org]:
        if text in self.by_code and self.by_code[text].kind == kind:
            return [self.by_code[text]]
        found = self.by_kind_name.get((kind, _key(text)), [])
        if under is not None:
            found = [o for o in found if o.path.startswith(under.path)]
        return found

    def school_class(self, school: Org, text: str) -> Org | None:
        place = placement("", text)
        names = [text] + ([place[1]] if place else [])
        for name in names:
            found = self.classes.get((school.path, _key(name)))
            if found is not None:
                return found
        return None


def _key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


# ---------------------------------------------------------------------------- rows


def _is_blank(cells: list[object], seq_column: int | None) -> bool:
    return all(not cell_text(v) for c, v in enumerate(cells) if c != seq_column)


def _is_footer(cells: list[object]) -> bool:
    for value in cells:
        text = cell_text(value)
        if text:
            return bool(FOOTER.match(text))
    return False


class _Validator:
    def __init__(self, orgs: _Orgs, texts: dict[str, str]) -> None:
        self.orgs = orgs
        self.texts = texts  # field → header text as in the file

    def row(self, number: int, values: dict[str, str]) -> StaffRow:
        result = StaffRow(row=number)

        def error(key: str, message: str) -> None:
            column = self.texts.get(key, STAFF_COLUMNS[key][0])
            result.errors.append(CellError(key, column, message))

        result.name = clean_name(values.get("name", ""))
        if not result.name:
            error("name", _("必须填写姓名"))
        elif len(result.name) > 50:
            error("name", _("姓名过长（最多50个字）"))
        raw_phone = values.get("phone", "")
        if not raw_phone:
            error("phone", _("必须填写手机号（用于识别本人）"))
        else:
            try:
                result.phone = parse_phone(raw_phone)
            except InvalidPhone as exc:
                error("phone", str(exc))

        roles: list[str] = []
        for word in _SPLIT.split(values.get("role", "")):
            if not word:
                continue
            role = ROLE_WORDS.get(_key(word))
            if role is None:
                error("role", _("无法识别的角色“%(word)s”，应为：%(names)s") % {
                    "word": word, "names": ROLE_NAMES})  # fmt: skip
            elif role not in roles:
                roles.append(role)
        if not roles and not values.get("role"):
            error("role", _("必须填写角色"))

        school = self._one(OrgKind.SCHOOL, values.get("school", ""), "school", error)
        township = self._one(OrgKind.TOWNSHIP, values.get("township", ""), "township", error)
        village = self._one(
            OrgKind.VILLAGE, values.get("village", ""), "village", error, under=township
        )
        if township is None and village is not None and not values.get("township"):
            township = Org.objects.filter(
                path=village.path[: -Org.steplen], kind=OrgKind.TOWNSHIP
            ).first()

        grants: list[Grant] = []
        for role in roles:
            if role == Role.COUNTY_ADMIN:
                grants.append(Grant(role, self.orgs.county))
            elif role == Role.TOWNSHIP_SUPERVISOR:
                if township is not None:
                    grants.append(Grant(role, township))
                elif not values.get("township"):
                    error("township", _("乡镇儿童督导员须填写所在乡镇"))
            elif role == Role.VILLAGE_DIRECTOR:
                if village is not None:
                    grants.append(Grant(role, village))
                elif not values.get("village"):
                    error("village", _("村儿童主任须填写所在村"))
            elif school is not None:
                grants.append(Grant(role, school))
            elif not values.get("school"):
                error("school", _("%(role)s须填写所在学校") % {"role": Role(role).label})

        taught = self._classes(values.get("classes", ""), school, "classes", error)
        head = values.get("class_teacher", "")
        heads: list[Org] = []
        if _key(head).lower() in _YES:
            if len(taught) == 1:
                heads = taught
            else:
                error("class_teacher", _("填“是”时任教班级须恰好填写一个班级，或在此直接填写班级"))
        elif head and _key(head).lower() not in _NO:
            heads = self._classes(head, school, "class_teacher", error)
        for school_class in taught:
            if school_class not in heads:
                grants.append(Grant(Role.TEACHER, school_class, SUBJECT_TEACHER_TITLE))
        for school_class in heads:
            grants.append(Grant(Role.TEACHER, school_class, CLASS_TEACHER_TITLE))
        if (taught or heads) and school is not None:
            if not any(g.role == Role.TEACHER and g.org == school for g in grants):
                grants.append(Grant(Role.TEACHER, school))
        result.grants = grants
        if result.errors:
            result.action = "reject"
        return result

    def _one(self, kind, text, key, error, *, under: Org | None = None) -> Org | None:
        if not text:
            return None
        found = self.orgs.find(kind, text, under=under)
        if len(found) == 1:
            return found[0]
        label = OrgKind(kind).label
        if found:
            error(key, _("本县有多个名为“%(name)s”的%(kind)s，请填写代码") % {
                "name": text, "kind": label})  # fmt: skip
        else:
            error(key, _("本县找不到%(kind)s“%(name)s”（请填写名称或代码）") % {
                "kind": label, "name": text})  # fmt: skip
        return None

    def _classes(self, text: str, school: Org | None, key, error) -> list[Org]:
        parts = [p for p in _SPLIT.split(text) if p]
        if not parts:
            return []
        if school is None:
            error(key, _("填写班级时须填写所在学校"))
            return []
        found: list[Org] = []
        for part in parts:
            school_class = self.orgs.school_class(school, part)
            if school_class is None:
                error(key, _("%(school)s没有班级“%(name)s”") % {
                    "school": school.name, "name": part})  # fmt: skip
            elif school_class not in found:
                found.append(school_class)
        return found


def _read(data: bytes, filename: str, county: Org) -> list[StaffRow]:
    for sheet in read_sheets(data, filename):
        head = _find_header(sheet.rows)
        if head is None:
            continue
        header_row, columns, texts = head
        validator = _Validator(_Orgs(county), {columns[c]: texts[c] for c in columns})
        seq_column = next((c for c, k in columns.items() if k == "seq"), None)
        rows: list[StaffRow] = []
        for index, cells in enumerate(sheet.all_rows()):
            if index <= header_row:
                continue
            cells = list(cells)
            if _is_blank(cells, seq_column) or _is_footer(cells):
                rows.append(StaffRow(row=index + 1, action="skip"))
                continue
            values = {
                key: cell_text(cells[c]) if c < len(cells) else "" for c, key in columns.items()
            }
            rows.append(validator.row(index + 1, values))
        return rows
    raise RegisterError(_("找不到表头：人员名单须有“姓名”“手机号”“角色”三列"))


def _same_person(rows: list[StaffRow]) -> None:
    """Rows with one phone are one person: their names must agree."""
    first: dict[str, StaffRow] = {}
    for row in rows:
        if row.action != "create":
            continue
        earlier = first.setdefault(row.phone, row)
        if earlier is not row and earlier.name != row.name:
            row.errors.append(
                CellError(
                    "phone", "手机号", _("与第%(row)d行手机号相同但姓名不同") % {"row": earlier.row}
                )  # fmt: skip
            )
            row.action = "reject"


@transaction.atomic
def staff_import(
    *, data: bytes, filename: str, county: Org, actor: Any = None, dry_run: bool = False
) -> StaffImport:
    """Read and validate the whole sheet, then write the good rows in one transaction
    (nothing with ``dry_run``). RegisterError when the file as a whole is unusable."""
    rows = _read(data, filename, county)
    _same_person(rows)
    result = StaffImport(rows=rows, dry_run=dry_run)
    taken: set[str] = set()
    people: dict[str, Any] = {}  # phone → user, within this import
    for row in rows:
        if row.action != "create":
            continue
        user = people.get(row.phone)
        if user is None:
            person = person_find(county_code=county.county_code, phone=row.phone)
            user = person.user if person is not None else None
        if user is None:
            user = person_create(
                name=row.name,
                phone=row.phone,
                county_code=county.county_code,
                username=username_for(row.name, taken=taken),
            )
            for grant in row.grants:
                membership_grant(user=user, org=grant.org, role=grant.role, title=grant.title)
            if not dry_run:
                result.activations.append(activation_issue(user=user, actor=actor))
        else:
            existing = set(
                Membership.objects.filter(user=user).values_list("org_id", "role", "title")
            )
            changed = False
            for grant in row.grants:
                created = membership_grant(
                    user=user, org=grant.org, role=grant.role, title=grant.title
                )[1]
                changed |= created
            now = set(Membership.objects.filter(user=user).values_list("org_id", "role", "title"))
            row.action = "update" if changed or now != existing else "unchanged"
        people[row.phone] = user
    if dry_run:
        transaction.set_rollback(True)
    else:
        audit_log(
            request=None,
            user=actor,
            action=AccessAction.STAFF_IMPORT,
            detail=_("导入人员名单：新建%(created)d人，更新%(updated)d人，拒绝%(rejected)d行")
            % {
                "created": result.count("create"),
                "updated": result.count("update"),
                "rejected": result.count("reject"),
            },
            county_code=county.county_code,
        )
    return result
