"""Shapes of the API's bodies and answers (they also make the OpenAPI document).

Input schemas only check types: the child file itself is validated by the same Django
forms as the web UI, so a field's rules and messages are the same everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, WithJsonSchema, field_validator

from carenet.children.models import Health, Immunization, RiskLevel, Schooling
from carenet.lib.dates import EARLIEST, LATEST, date_in_range

OrgKindName = Literal["county", "township", "village", "school", "grade", "class"]
RiskName = Literal["low", "medium", "high"]
MAX_PAGE_SIZE = 200
MAX_ID = 2**63 - 1

# Dates and numbers of a child file reach the form as text, so that the form reports every
# bad field at once, in its own words; the OpenAPI document still gives their types.
FormDate = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
FormInt = Annotated[str, WithJsonSchema({"type": "integer"})]


def _date_in_range(value: dt.date) -> dt.date:
    if not date_in_range(value):
        raise ValueError(
            _("日期须在%(earliest)s至%(latest)s之间。")
            % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}
        )
    return value


# Every date the API takes, in the range the pages take too (carenet.lib.dates).
ApiDate = Annotated[dt.date, AfterValidator(_date_in_range)]


# --- errors -------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    field: str
    message: str


class ValidationErrorOut(Schema):
    detail: list[FieldErrorOut]


# --- input base ---------------------------------------------------------------------


class In(Schema):
    """Numbers are accepted where text is expected (a phone typed as a number); text that
    a database cannot take (NUL, lone surrogates) is refused instead of failing there."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(_("包含无法识别的字符")) from None
            if "\x00" in value:
                raise ValueError(_("包含无法识别的字符"))
        return value


# --- tokens -------------------------------------------------------------------------


class TokenIn(In):
    username: str = Field(max_length=150)
    password: str = Field(max_length=4096)
    code: str | None = Field(
        None,
        max_length=16,
        description="the current code of the authenticator app, for a user with two-factor "
        "sign-in on",
    )


class ActivateIn(In):
    username: str = Field(max_length=150)
    code: str = Field(max_length=32, description="the one-time activation code")
    password: str = Field(max_length=4096, description="the password the user chooses")


class ActivateOut(Schema):
    detail: str


class TokenOut(Schema):
    token: str
    expires: dt.datetime


# --- orgs ---------------------------------------------------------------------------


class OrgOut(Schema):
    code: str
    name: str
    kind: str
    parent: str | None = Field(description="the parent org's code; null for a county")


class OrgListOut(Schema):
    count: int
    items: list[OrgOut]


# --- children: list -----------------------------------------------------------------


class ChildFilters(In):
    school: str | None = Field(None, max_length=32, description="a school's code")
    org: str | None = Field(
        None, max_length=32, description="any org's code: children at school or living under it"
    )
    q: str | None = Field(None, max_length=50, description="name, full pinyin or initials")
    left_behind: bool | None = None
    risk: RiskName | None = None
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class ChildItemOut(Schema):
    id: int
    name: str
    gender: str
    birth_date: dt.date
    school: str | None = Field(
        description="the school's code; null for a child not at a school (filed under a village)"
    )
    class_: str | None = Field(alias="class", description="the class's code; null as school")
    left_behind: bool
    left_behind_type: str
    risk_level: str
    mentor: str | None = Field(description="the mentor (代理家长) in charge, by name")


class ChildListOut(Schema):
    count: int
    items: list[ChildItemOut]


# --- children: the file -------------------------------------------------------------


class ParentOut(Schema):
    relation: str
    name: str
    id_number: str
    birth_date: dt.date | None
    phone: str
    work_province: str
    work_city: str
    employer: str
    employer_phone: str
    can_guard: bool
    away_since: dt.date | None = Field(description="start of the latest away period")
    back_since: dt.date | None = Field(description="end of the latest away period")


class GuardianOut(Schema):
    name: str
    kinship: str
    age: int | None
    id_number: str
    phone: str
    health: str
    education: str
    occupation: str
    address: str
    guardianship_quality: str


class GrandparentOut(Schema):
    relation: str = Field(description="grandfather, grandmother, m_grandfather, m_grandmother")
    name: str
    birth_date: dt.date | None
    phone: str
    health: str


class ContactOut(Schema):
    relation: str
    name: str
    phone: str


class DueOut(Schema):
    kind: str
    due_date: dt.date
    overdue: bool


class CarePlanOut(Schema):
    """The care plan in force at the child's school (inherited down the org tree)."""

    name: str
    school_year: int = Field(description="2026 = September 2026 to August 2027")
    org: str = Field(description="code of the org whose plan it is")
    preset: str
    frequencies: dict[str, str] = Field(description="care kind → frequency")
    mentor_min: int
    mentor_max: int
    next_due: list[DueOut] = Field(description="the child's next task of each kind")


class ChildOut(ChildItemOut):
    id_number: str
    ethnicity: str
    student_number: str
    boarding: bool
    registered_residence: str
    rural_hukou: bool
    hukou_registered: bool | None = Field(description="是否登记户口; null: not stated")
    migrant_child: bool
    village: str | None = Field(description="the village's code")
    residence_group: str
    residence_address: str
    health: str
    health_notes: str
    disability: str
    schooling: str
    stage: str = Field(
        description="primary, junior, senior, vocational: the stage of a child filed under a "
        "village who is at school elsewhere; empty otherwise"
    )
    immunization: str
    interests: str
    personality: str
    categories: list[str]
    guardian_entrusted: bool | None = Field(description="父母外出已委托监护人; null: not stated")
    orphan: bool
    needs_aid: bool
    income_sources: list[str] = Field(description="家庭经济来源, codes")
    assistance: list[str] = Field(description="救助帮扶情况, codes")
    distress_kinds: list[str] = Field(description="困境类型, codes")
    notes: str
    status: str
    civil_left_behind: bool
    family: list[ParentOut]
    guardian: GuardianOut | None
    grandparents: list[GrandparentOut]
    care_plan: CarePlanOut
    contacts: list[ContactOut]
    risk_reasons: list[str] = Field(
        description="why the child is at their risk level (derived from open alerts, an "
        "individual plan in progress, a raise by hand); empty at low risk"
    )


class ParentIn(In):
    name: str | None = None
    id_number: str | None = None
    birth_date: FormDate | None = None
    phone: str | None = None
    work_province: str | None = None
    work_city: str | None = None
    employer: str | None = None
    employer_phone: str | None = None
    can_guard: bool | None = True
    away_since: FormDate | None = None
    back_since: FormDate | None = None


class FamilyEntryIn(ParentIn):
    relation: Literal["father", "mother"]


class GrandparentIn(In):
    relation: Literal["grandfather", "grandmother", "m_grandfather", "m_grandmother"]
    name: str | None = None
    birth_date: FormDate | None = None
    phone: str | None = None
    health: str | None = None


class GuardianIn(In):
    name: str | None = None
    kinship: str | None = None
    age: FormInt | None = None
    id_number: str | None = None
    phone: str | None = None
    health: str | None = None
    education: str | None = None
    occupation: str | None = None
    address: str | None = None
    guardianship_quality: str | None = None


class ChildIn(In):
    name: str | None = None
    id_number: str | None = None
    gender: str | None = Field(None, description="M or F; taken from the ID number if left out")
    birth_date: FormDate | None = Field(None, description="taken from the ID number if left out")
    ethnicity: str | None = "汉族"
    student_number: str | None = None
    class_: str | None = Field(None, alias="class", description="the class's code")
    village: str | None = Field(None, description="the village's code")
    boarding: bool | None = False
    registered_residence: str | None = None
    rural_hukou: bool | None = True
    hukou_registered: bool | None = Field(None, description="是否登记户口; null: not stated")
    migrant_child: bool | None = False
    residence_group: str | None = None
    residence_address: str | None = None
    health: str | None = Health.HEALTHY.value
    health_notes: str | None = None
    disability: str | None = None
    schooling: str | None = Schooling.ENROLLED.value
    stage: str | None = None
    immunization: str | None = Immunization.UNKNOWN.value
    interests: str | None = None
    personality: str | None = None
    categories: list[str] | None = None
    guardian_entrusted: bool | None = Field(None, description="父母外出已委托监护人")
    orphan: bool | None = False
    needs_aid: bool | None = False
    income_sources: list[str] | None = None
    assistance: list[str] | None = None
    distress_kinds: list[str] | None = None
    risk_level: str | None = RiskLevel.LOW.value
    notes: str | None = None
    father: ParentIn | None = None
    mother: ParentIn | None = None
    guardian: GuardianIn | None = None
    family: list[FamilyEntryIn] | None = Field(
        None, description='parents as in the child file: [{"relation": "father", …}]'
    )
    grandparents: list[GrandparentIn] | None = Field(
        None, description='as in the child file: [{"relation": "grandmother", …}]'
    )


# --- care records and tasks ---------------------------------------------------------

CareKindName = Literal[
    "talk",
    "parent_call",
    "guardian_contact",
    "home_visit",
    "letter",
    "family_call",
    "counseling",
    "assistance",
    "persuade_back",
]
DetailText = Annotated[str, Field(max_length=1000)]


class RecordIn(In):
    """A care record: ``kind``, ``date``, ``summary``, then the kind's own fields."""

    kind: CareKindName
    date: ApiDate
    summary: str = Field(max_length=5000)
    confidential: bool = False
    # talk
    place: DetailText | None = None
    topics: DetailText | None = None
    mood: DetailText | None = None
    problems: DetailText | None = None
    measures: DetailText | None = None
    follow_up: DetailText | None = None
    # home visit
    present: DetailText | None = None
    living_conditions: DetailText | None = None
    guardian_capacity: Literal["good", "fair", "poor"] | None = None
    needs: DetailText | None = None
    # calls
    with_: DetailText | None = Field(None, alias="with")
    duration_minutes: int | None = Field(None, ge=0, le=600)


class RecordOut(Schema):
    id: int
    child: int
    kind: str
    date: dt.date
    summary: str
    details: dict[str, Any]
    confidential: bool
    author: str
    created_at: dt.datetime


class TaskFilters(In):
    as_of: ApiDate | None = Field(None, description="the day to compute for; default today")
    scope: Literal["mine", "org"] = Field(
        "mine",
        description="mine: children the caller is class teacher or mentor of; "
        "org: every child the caller may see",
    )


class TaskOut(Schema):
    child: int
    kind: str
    due_date: dt.date
    overdue: bool


class TaskListOut(Schema):
    count: int
    overdue: int = Field(description="已逾期: tasks due before as_of")
    due_this_week: int = Field(description="本周到期: due from as_of to the Sunday of its week")
    items: list[TaskOut]
