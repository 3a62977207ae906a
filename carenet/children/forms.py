"""Validation of a child file, shared by the web forms, the API and the importer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, MutableMapping
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carenet.children.access import IdHolder, id_number_holder
from carenet.children.idcheck import id_number_warnings
from carenet.children.models import (
    GRANDPARENT_RELATIONS,
    PARENT_RELATIONS,
    Assistance,
    Category,
    Child,
    DistressKind,
    FamilyMember,
    IncomeSource,
    Relation,
    code_list,
    code_list_value,
)
from carenet.children.rules import id_disagreements
from carenet.children.services import latest_away_period
from carenet.lib.crypto import blind_index
from carenet.lib.forms import BoundedDateField, date_field, label_choices, model_choice
from carenet.lib.idcard import InvalidIdNumber, parse_id_number
from carenet.lib.names import clean_name
from carenet.lib.phone import (
    InvalidPhone,
    mask_id_number,
    mask_phone,
    mask_student_number,
    parse_phone,
)
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import AnyUser

# An ID number on file that the user may not see: the same words wherever it is met
# (form, API, register import), never that it exists elsewhere (carenet.audit.refusals).
ID_REFUSED = _("该身份证号无法在此使用；如为转学，请联系县级管理员办理")
ID_THROTTLED = _("身份证号核验次数过多，请一小时后再试")
STUDENT_NUMBER_LENGTH = 30


class PhoneInput(forms.TextInput):
    """A one-line phone field (the encrypted model field would default to a textarea)."""

    input_type = "tel"

    def __init__(self) -> None:
        super().__init__(attrs={"autocomplete": "off", "maxlength": 20})


class MaskedFieldsMixin:
    """ID numbers, student numbers and phones of a file on file, masked on the edit form.

    With ``masked`` the form shows them as the file page does (340827********1234); a
    value posted back exactly as its mask was left untouched and keeps the stored value,
    so a user who may not see them can still change the other fields and save. The check
    holds whether or not the form was masked (the 显示 may end between showing and saving).
    """

    MASKERS: dict[str, Callable[[str], str]] = {}
    instance: Any
    initial: MutableMapping[str, Any]
    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def mask_initial(self, masked: bool) -> None:
        if not masked or not self.instance.pk:
            return
        for name, mask in self.MASKERS.items():
            stored = getattr(self.instance, name, "") or ""
            if name in self.fields and stored:
                self.initial[name] = mask(stored)

    def kept_value(self, name: str) -> str | None:
        """The stored value if the posted one is its mask; None if the user typed a value.
        A value with the mask's stars that is not the stored value's mask is refused."""
        posted = str(self.cleaned_data.get(name) or "").strip()
        stored = (getattr(self.instance, name, "") or "") if self.instance.pk else ""
        if stored and posted == self.MASKERS[name](stored):
            return stored
        if "*" in posted:
            raise forms.ValidationError(
                _("打码的内容不能保存：请保持原样，或填写完整的号码"), code="masked"
            )
        return None


class UnknownYesNo(forms.NullBooleanSelect):
    """是 / 否 / 未知 for a register's yes-or-no that may be unstated (None)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", _("未知")), ("true", _("是")), ("false", _("否"))]


def _code_choices(label: Any, choices: Any) -> forms.MultipleChoiceField:
    """A code-list column (``Child.categories`` and the like) as checkboxes."""
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
    )


def with_distress_category(categories: str, distress_kinds: str) -> str:
    """The special categories, with 困境儿童 when the file names a 困境类型: a child with a
    kind of distress is a child in distress (the plans' care group ``distressed``)."""
    if not code_list(distress_kinds):
        return categories
    return code_list_value([*code_list(categories), Category.DISTRESSED])


def _clean_phone_value(value: Any) -> str:
    try:
        return parse_phone(value)
    except InvalidPhone as exc:
        raise forms.ValidationError(str(exc), code="phone") from None


class ChildForm(MaskedFieldsMixin, forms.ModelForm):
    """The child's own fields. ``classes`` and ``villages`` limit the choices to the
    user's scope; a class outside it is refused like one that does not exist. ``masked``:
    see ``MaskedFieldsMixin``.

    A new or changed ID number already on file is refused: as a duplicate if the user
    may see that child, else with ``ID_REFUSED`` (``id_refused`` is then True: the caller
    logs it, ``carenet.audit.refusals``); without ``id_checks_allowed`` (the user's
    budget of refusals is spent) it is not looked up at all (``ID_THROTTLED``).

    A new or changed ID number that is valid but worth a second look (a county code not in
    the division table, a birth before 2000) leaves its sentences in ``id_warnings``: the
    caller shows them after the save, they block nothing (``carenet.children.idcheck``)."""

    id_refused = False
    id_warnings: list[str]

    MASKERS = {"id_number": mask_id_number, "student_number": mask_student_number}

    categories = _code_choices(_("特殊类别"), Category.choices)
    income_sources = _code_choices(_("家庭经济来源"), IncomeSource.choices)
    assistance = _code_choices(_("救助帮扶情况"), Assistance.choices)
    distress_kinds = _code_choices(_("困境类型"), DistressKind.choices)
    # The code-list fields: posted as lists, stored as ",a,b," (``code_list_value``).
    CODE_LISTS = ("categories", "income_sources", "assistance", "distress_kinds")

    class Meta:
        model = Child
        fields = [
            "name",
            "id_number",
            "gender",
            "birth_date",
            "ethnicity",
            "student_number",
            "school_class",
            "boarding",
            "registered_residence",
            "rural_hukou",
            "hukou_registered",
            "migrant_child",
            "village",
            "residence_group",
            "residence_address",
            "health",
            "health_notes",
            "disability",
            "schooling",
            "stage",
            "immunization",
            "guardian_entrusted",
            "orphan",
            "distress_kinds",
            "income_sources",
            "assistance",
            "needs_aid",
            "interests",
            "personality",
            "categories",
            "notes",
        ]
        field_classes = {"birth_date": BoundedDateField}
        widgets = {
            "hukou_registered": UnknownYesNo(),
            "guardian_entrusted": UnknownYesNo(),
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "maxlength": 18}),
            "student_number": forms.TextInput(
                attrs={"autocomplete": "off", "maxlength": STUDENT_NUMBER_LENGTH}
            ),
            "health_notes": forms.TextInput(),
            "disability": forms.TextInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(
        self,
        *args: Any,
        classes=None,
        villages=None,
        filing_villages=None,
        masked: bool = False,
        user: AnyUser | None = None,
        id_checks_allowed: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.mask_initial(masked)
        self.id_warnings = []
        self.user = user
        self.id_checks_allowed = id_checks_allowed
        # Villages under which this user may file a child not at a school (no class).
        self.filing_villages = (
            filing_villages if filing_villages is not None else Org.objects.none()
        )
        self.fields["school_class"].required = False
        self.fields["school_class"].help_text = _(
            "不在校的儿童（0—5岁、辍学、送教上门）不选班级，按现居住村建档"
        )
        self.fields["gender"].required = False
        self.fields["birth_date"].required = False
        # Encrypted, so a text column: the length is the form's to check.
        self.fields["student_number"].validators.append(MaxLengthValidator(STUDENT_NUMBER_LENGTH))
        model_choice(self, "school_class").queryset = (
            classes if classes is not None else Org.objects.filter(kind=OrgKind.CLASS)
        )
        label_choices(model_choice(self, "school_class"), _class_label)
        model_choice(self, "village").queryset = (
            villages if villages is not None else Org.objects.filter(kind=OrgKind.VILLAGE)
        )
        self.fields["stage"].help_text = _("不在本系统学校就读、按村建档的在校儿童填写")
        self.fields["distress_kinds"].help_text = _("填写困境类型即列为困境儿童")
        if self.instance.pk:
            for name in self.CODE_LISTS:
                self.initial[name] = code_list(getattr(self.instance, name))

    def clean_name(self) -> str:
        name = clean_name(self.cleaned_data.get("name"))
        if not name:
            raise forms.ValidationError(_("姓名不能为空"), code="required")
        return name

    def clean_id_number(self) -> str:
        kept = self.kept_value("id_number")
        if kept is not None:
            try:  # for the gender and birth date checks only: the stored value stays
                self._parsed_id = parse_id_number(kept, today=timezone.localdate())
            except InvalidIdNumber:
                pass
            return kept
        try:
            parsed = parse_id_number(self.cleaned_data.get("id_number"), today=timezone.localdate())
        except InvalidIdNumber as exc:
            raise forms.ValidationError(str(exc), code="id_number") from None
        self._parsed_id = parsed
        if self.instance.pk and parsed.value == self.instance.id_number:
            return parsed.value  # unchanged: nothing to look up
        if not self.id_checks_allowed:
            raise forms.ValidationError(ID_THROTTLED, code="throttled")
        holder = id_number_holder(
            user=self.user, id_hash=blind_index(parsed.value), exclude_pk=self.instance.pk
        )
        if holder == IdHolder.VISIBLE:
            raise forms.ValidationError(
                _("该身份证号已在系统中建档，请勿重复录入"), code="duplicate"
            )
        if holder == IdHolder.HIDDEN:
            self.id_refused = True
            raise forms.ValidationError(ID_REFUSED, code="id_refused")
        self.id_warnings = id_number_warnings(parsed)
        return parsed.value

    def clean_student_number(self) -> str:
        kept = self.kept_value("student_number")
        return kept if kept is not None else (self.cleaned_data.get("student_number") or "")

    def clean_categories(self) -> str:
        return code_list_value(self.cleaned_data.get("categories") or [])

    def clean_income_sources(self) -> str:
        return code_list_value(self.cleaned_data.get("income_sources") or [])

    def clean_assistance(self) -> str:
        return code_list_value(self.cleaned_data.get("assistance") or [])

    def clean_distress_kinds(self) -> str:
        return code_list_value(self.cleaned_data.get("distress_kinds") or [])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # the base clean() returns cleaned_data
        if "categories" in data and "distress_kinds" in data:
            data["categories"] = with_distress_category(data["categories"], data["distress_kinds"])
        if not data.get("school_class") and "school_class" not in self.errors:
            village = data.get("village")
            if village is None:
                self.add_error("school_class", _("请选择班级；不在校的儿童请选择现居住村（社区）"))
            elif not self.filing_villages.filter(pk=village.pk).exists():
                self.add_error(
                    "school_class",
                    _("请选择班级：只有村儿童主任和县级管理员可以为不在校的儿童按村建档"),
                )
        parsed = getattr(self, "_parsed_id", None)
        if parsed is None:
            return data
        disagreements = id_disagreements(
            parsed, gender=data.get("gender"), birth_date=data.get("birth_date")
        )
        for name, message in disagreements.items():
            self.add_error(name, message)
        if not data.get("gender"):
            data["gender"] = parsed.gender
        if not data.get("birth_date"):
            data["birth_date"] = parsed.birth_date
        return data


def _class_label(org: Org) -> str:
    return org.name


class FamilyMemberForm(MaskedFieldsMixin, forms.ModelForm):
    """A parent, the guardian or a grandparent. Parents carry their latest away period.
    ``masked``: see ``MaskedFieldsMixin``."""

    MASKERS = {"id_number": mask_id_number, "phone": mask_phone, "employer_phone": mask_phone}

    away_since = date_field(_("外出时间"), required=False)
    back_since = date_field(_("返乡时间"), required=False)

    PARENT_FIELDS = [
        "name",
        "id_number",
        "birth_date",
        "phone",
        "work_province",
        "work_city",
        "employer",
        "employer_phone",
        "can_guard",
        "away_since",
        "back_since",
    ]
    GUARDIAN_FIELDS = [
        "name",
        "kinship",
        "age",
        "id_number",
        "phone",
        "health",
        "education",
        "occupation",
        "address",
        "guardianship_quality",
        "abuse_record",
    ]
    # The 2016 form's 祖父 / 祖母 / 外祖父 / 外祖母: name and birth date, and how to reach them.
    GRANDPARENT_FIELDS = ["name", "birth_date", "phone", "health"]

    class Meta:
        model = FamilyMember
        fields = [
            "name",
            "id_number",
            "birth_date",
            "phone",
            "work_province",
            "work_city",
            "employer",
            "employer_phone",
            "can_guard",
            "kinship",
            "age",
            "health",
            "education",
            "occupation",
            "address",
            "guardianship_quality",
            "abuse_record",
        ]
        field_classes = {"birth_date": BoundedDateField}
        widgets = {
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "maxlength": 18}),
            "phone": PhoneInput(),
            "employer_phone": PhoneInput(),
        }

    def __init__(self, *args: Any, relation: str, masked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, prefix=relation, **kwargs)  # type: ignore[misc]  # args: data, files
        self.relation = relation
        keep = self.fields_for(relation)
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.mask_initial(masked)
        if "age" in self.fields:
            self.fields["age"].validators += [MinValueValidator(14), MaxValueValidator(110)]
            self.fields["age"].widget.attrs.update({"min": 14, "max": 110})

    @classmethod
    def fields_for(cls, relation: str) -> list[str]:
        if relation == Relation.GUARDIAN:
            return cls.GUARDIAN_FIELDS
        if relation in GRANDPARENT_RELATIONS:
            return cls.GRANDPARENT_FIELDS
        return cls.PARENT_FIELDS

    def clean_name(self) -> str:
        return clean_name(self.cleaned_data.get("name"))

    def clean_birth_date(self) -> dt.date | None:
        born = self.cleaned_data.get("birth_date")
        if born is not None and born > timezone.localdate():
            raise forms.ValidationError(_("出生日期不能晚于今天"), code="future")
        return born

    def clean_id_number(self) -> str:
        kept = self.kept_value("id_number")
        if kept is not None:
            return kept
        raw = self.cleaned_data.get("id_number")
        if not raw:
            return ""
        try:
            return parse_id_number(raw, today=timezone.localdate()).value
        except InvalidIdNumber as exc:
            raise forms.ValidationError(str(exc), code="id_number") from None

    def clean_phone(self) -> str:
        kept = self.kept_value("phone")
        return kept if kept is not None else _clean_phone_value(self.cleaned_data.get("phone"))

    def clean_employer_phone(self) -> str:
        kept = self.kept_value("employer_phone")
        if kept is not None:
            return kept
        return _clean_phone_value(self.cleaned_data.get("employer_phone"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # the base clean() returns cleaned_data
        away, back = data.get("away_since"), data.get("back_since")
        today = timezone.localdate()
        if away and away > today:
            self.add_error("away_since", _("外出时间不能晚于今天"))
        if back and not away:
            self.add_error("back_since", _("填写返乡时间前请先填写外出时间"))
        elif away and back and back < away:
            self.add_error("back_since", _("返乡时间不能早于外出时间"))
        return data


# The family forms in the order the form shows them.
FAMILY_RELATIONS: tuple[str, ...] = (
    Relation.FATHER,
    Relation.MOTHER,
    Relation.GUARDIAN,
    *GRANDPARENT_RELATIONS,
)


def family_forms(
    data: Any = None, *, child: Child | None = None, masked: bool = False
) -> dict[str, FamilyMemberForm]:
    """The family forms of a child file (father, mother, guardian, then the four
    grandparents), bound to existing members if any."""
    members = {m.relation: m for m in child.family.all()} if child and child.pk else {}
    forms_by_relation: dict[str, FamilyMemberForm] = {}
    for relation in FAMILY_RELATIONS:
        member = members.get(relation)
        initial: dict[str, dt.date | None] = {}
        if member is not None and relation in PARENT_RELATIONS:
            assert child is not None  # a member on file: a child on file
            period = latest_away_period(child, relation)
            if period:
                initial = {"away_since": period.start, "back_since": period.end}
        forms_by_relation[relation] = FamilyMemberForm(
            data, instance=member, relation=relation, initial=initial, masked=masked
        )
    return forms_by_relation
