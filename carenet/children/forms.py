"""Validation of a child file, shared by the web forms, the API and the importer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carenet.children.models import Category, Child, FamilyMember, Relation
from carenet.children.services import latest_away_period
from carenet.lib.crypto import blind_index
from carenet.lib.forms import BoundedDateField, date_field
from carenet.lib.idcard import InvalidIdNumber, parse_id_number
from carenet.lib.names import clean_name
from carenet.lib.phone import InvalidPhone, parse_phone
from carenet.orgs.models import Org, OrgKind


class PhoneInput(forms.TextInput):
    """A one-line phone field (the encrypted model field would default to a textarea)."""

    input_type = "tel"

    def __init__(self) -> None:
        super().__init__(attrs={"autocomplete": "off", "maxlength": 20})


def _clean_phone_value(value: Any) -> str:
    try:
        return parse_phone(value)
    except InvalidPhone as exc:
        raise forms.ValidationError(str(exc), code="phone") from None


class ChildForm(forms.ModelForm):
    """The child's own fields. ``classes`` and ``villages`` limit the choices to the
    user's scope; a class outside it is refused like one that does not exist."""

    categories = forms.MultipleChoiceField(
        label=_("特殊类别"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

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
            "village",
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
            "risk_level",
            "notes",
        ]
        field_classes = {"birth_date": BoundedDateField}
        widgets = {
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "maxlength": 18}),
            "health_notes": forms.TextInput(),
            "disability": forms.TextInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(
        self, *args: Any, classes=None, villages=None, filing_villages=None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
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
        self.fields["school_class"].queryset = (
            classes if classes is not None else Org.objects.filter(kind=OrgKind.CLASS)
        )
        self.fields["school_class"].label_from_instance = _class_label
        self.fields["village"].queryset = (
            villages if villages is not None else Org.objects.filter(kind=OrgKind.VILLAGE)
        )
        if self.instance.pk:
            self.initial["categories"] = self.instance.category_list

    def clean_name(self) -> str:
        name = clean_name(self.cleaned_data.get("name"))
        if not name:
            raise forms.ValidationError(_("姓名不能为空"), code="required")
        return name

    def clean_id_number(self) -> str:
        try:
            parsed = parse_id_number(self.cleaned_data.get("id_number"), today=timezone.localdate())
        except InvalidIdNumber as exc:
            raise forms.ValidationError(str(exc), code="id_number") from None
        self._parsed_id = parsed
        others = Child.objects.filter(id_number_hash=blind_index(parsed.value))
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(
                _("该身份证号已在系统中建档，请勿重复录入"), code="duplicate"
            )
        return parsed.value

    def clean_categories(self) -> str:
        chosen = self.cleaned_data.get("categories") or []
        return "," + ",".join(chosen) + "," if chosen else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
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
        if data.get("gender") and data["gender"] != parsed.gender:
            self.add_error("gender", _("性别与身份证号不符（第17位奇数为男，偶数为女）"))
        elif not data.get("gender"):
            data["gender"] = parsed.gender
        if data.get("birth_date") and data["birth_date"] != parsed.birth_date:
            self.add_error("birth_date", _("出生日期与身份证号不符"))
        elif not data.get("birth_date"):
            data["birth_date"] = parsed.birth_date
        return data


def _class_label(org: Org) -> str:
    return org.name


class FamilyMemberForm(forms.ModelForm):
    """A parent or the guardian. Parents carry their latest away period."""

    away_since = date_field(_("外出时间"), required=False)
    back_since = date_field(_("返乡时间"), required=False)

    PARENT_FIELDS = [
        "name",
        "id_number",
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
    ]

    class Meta:
        model = FamilyMember
        fields = [
            "name",
            "id_number",
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
        ]
        field_classes = {"birth_date": BoundedDateField}
        widgets = {
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "maxlength": 18}),
            "phone": PhoneInput(),
            "employer_phone": PhoneInput(),
        }

    def __init__(self, *args: Any, relation: str, **kwargs: Any) -> None:
        super().__init__(*args, prefix=relation, **kwargs)
        self.relation = relation
        keep = self.GUARDIAN_FIELDS if relation == Relation.GUARDIAN else self.PARENT_FIELDS
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if "age" in self.fields:
            self.fields["age"].validators += [MinValueValidator(14), MaxValueValidator(110)]
            self.fields["age"].widget.attrs.update({"min": 14, "max": 110})

    def clean_name(self) -> str:
        return clean_name(self.cleaned_data.get("name"))

    def clean_id_number(self) -> str:
        raw = self.cleaned_data.get("id_number")
        if not raw:
            return ""
        try:
            return parse_id_number(raw, today=timezone.localdate()).value
        except InvalidIdNumber as exc:
            raise forms.ValidationError(str(exc), code="id_number") from None

    def clean_phone(self) -> str:
        return _clean_phone_value(self.cleaned_data.get("phone"))

    def clean_employer_phone(self) -> str:
        return _clean_phone_value(self.cleaned_data.get("employer_phone"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        away, back = data.get("away_since"), data.get("back_since")
        today = timezone.localdate()
        if away and away > today:
            self.add_error("away_since", _("外出时间不能晚于今天"))
        if back and not away:
            self.add_error("back_since", _("填写返乡时间前请先填写外出时间"))
        elif away and back and back < away:
            self.add_error("back_since", _("返乡时间不能早于外出时间"))
        return data


def family_forms(data: Any = None, *, child: Child | None = None) -> dict[str, FamilyMemberForm]:
    """The three family forms of a child file, bound to existing members if any."""
    members = {m.relation: m for m in child.family.all()} if child and child.pk else {}
    forms_by_relation: dict[str, FamilyMemberForm] = {}
    for relation in (Relation.FATHER, Relation.MOTHER, Relation.GUARDIAN):
        member = members.get(relation)
        initial: dict[str, dt.date | None] = {}
        if member is not None and relation != Relation.GUARDIAN:
            period = latest_away_period(child, relation)
            if period:
                initial = {"away_since": period.start, "back_since": period.end}
        forms_by_relation[relation] = FamilyMemberForm(
            data, instance=member, relation=relation, initial=initial
        )
    return forms_by_relation
