"""The record card form (web). The service validates; this form shapes the input."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms import BoundField
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carenet.care.answers import COMMON_ANSWERS, Chips
from carenet.care.models import (
    DETAIL_FIELDS,
    SCHEDULED_KINDS,
    CareGroup,
    CareKind,
    CarePlan,
    Frequency,
    GuardianCapacity,
    default_care_groups,
)
from carenet.care.presets import PRESETS
from carenet.lib.forms import date_field, model_choice
from carenet.orgs.models import Org

# Form field → key in the record's details (a field cannot be called "with").
_DETAIL_KEYS = {"contact_with": "with"}
_FORM_NAMES = {v: k for k, v in _DETAIL_KEYS.items()}
# Each kind's own fields (form names), from the model's ``DETAIL_FIELDS``; kinds not
# listed have none (the summary, the date and the photos are every kind's).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    str(kind): tuple(_FORM_NAMES.get(key, key) for key in keys)
    for kind, keys in DETAIL_FIELDS.items()
}
# Text fields long enough for several sentences (dictated by voice): textareas.
_LONG_TEXT = ("problems", "measures", "follow_up", "living_conditions", "needs")


def _voice(rows: int | None = None, **extra: Any) -> dict[str, Any]:
    """Attributes of a text field filled by typing or by the keyboard's voice input: in
    Chinese, not kept by the browser's autofill (the words are about a child)."""
    attrs: dict[str, Any] = {"lang": "zh-CN", "autocomplete": "off", **extra}
    if rows:
        attrs.update(rows=rows, enterkeyhint="enter")
    else:
        attrs["enterkeyhint"] = "next"
    return attrs


def _text(label: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=1000)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.ImageField):
    """Several images from one input; each is checked to be a real image (Pillow)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


@dataclass(frozen=True)
class ChipField:
    """A field of the form with its chips (none: a plain field)."""

    field: BoundField
    chips: Chips | None


@dataclass(frozen=True)
class KindFieldset:
    """The fields of one or more kinds (the calls share theirs), shown for those kinds."""

    legend: str
    kinds: tuple[str, ...]
    fields: list[ChipField]
    shown: bool

    @property
    def kinds_attr(self) -> str:
        return " ".join(self.kinds)


class RecordForm(forms.Form):
    """A record card. Only the fields of the chosen kind are kept: another kind's fields
    (typed before the kind was changed, or posted by hand) are dropped, errors and all."""

    kind = forms.ChoiceField(
        label=_("类型"),
        choices=CareKind.choices,
        widget=forms.Select(attrs={"data-record-kind": ""}),
    )
    date = date_field(_("日期"))
    summary = forms.CharField(
        label=_("内容"),
        widget=forms.Textarea(attrs=_voice(rows=5, autofocus=True)),
        max_length=5000,
        error_messages={"required": _("请填写记录内容")},
    )
    # talk (谈心记录卡)
    place = _text(_("地点"))
    topics = _text(_("谈心主题"))
    mood = _text(_("儿童情绪"))
    problems = _text(_("发现的问题"))
    measures = _text(_("采取的措施"))
    follow_up = _text(_("后续跟进"))
    # home visit
    present = _text(_("在场人员"))
    living_conditions = _text(_("生活状况"))
    guardian_capacity = forms.ChoiceField(
        label=_("监护能力"),
        required=False,
        choices=[("", _("不填")), *GuardianCapacity.choices],
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
    )
    needs = _text(_("发现的需求"))
    # calls
    contact_with = _text(_("通话对象"))
    duration_minutes = forms.IntegerField(
        label=_("通话时长（分钟）"), required=False, min_value=0, max_value=600
    )
    confidential = forms.BooleanField(label=_("保密"), required=False)
    photos = MultipleImageField(
        label=_("照片"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        help_text=_("可选，最多6张；保存失败时需重新选择照片"),
    )

    TALK_FIELDS = KIND_FIELDS[CareKind.TALK]
    VISIT_FIELDS = KIND_FIELDS[CareKind.HOME_VISIT]
    CALL_FIELDS = KIND_FIELDS[CareKind.PARENT_CALL]
    _FIELDSET_LEGENDS = {
        TALK_FIELDS: _("谈心情况"),
        VISIT_FIELDS: _("家访情况"),
        CALL_FIELDS: _("通话情况"),
    }

    def __init__(self, *args: Any, kind: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"kind": kind or CareKind.TALK, "date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            # No maxlength on the page: a dictated text cut off without a word is lost;
            # the length is checked on saving, with a message.
            field.widget.attrs.pop("maxlength", None)
            if name in _LONG_TEXT:
                field.widget = forms.Textarea(attrs=_voice(rows=3))
            elif isinstance(field.widget, forms.TextInput) and isinstance(field, forms.CharField):
                field.widget.attrs.update(_voice())
        self.fields["duration_minutes"].widget.attrs.update(enterkeyhint="done")

    @property
    def chosen_kind(self) -> str:
        """The kind whose fields the page shows: the one posted, else the one asked for."""
        kind = self.data.get("kind") if self.is_bound else None
        if kind not in CareKind.values:
            kind = self.initial.get("kind", self.fields["kind"].initial)
        return str(kind or CareKind.TALK)

    def kind_fieldsets(self) -> list[KindFieldset]:
        chosen = self.chosen_kind
        return [
            KindFieldset(
                legend=str(legend),
                kinds=tuple(k for k, names in KIND_FIELDS.items() if names == group),
                fields=[ChipField(self[name], COMMON_ANSWERS.get(name)) for name in group],
                shown=KIND_FIELDS.get(chosen) == group,
            )
            for group, legend in self._FIELDSET_LEGENDS.items()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # the base clean() returns cleaned_data
        own = KIND_FIELDS.get(data.get("kind") or "", ())
        for group in self._FIELDSET_LEGENDS:
            for name in group:
                if name not in own:
                    data[name] = None
                    self.errors.pop(name, None)
        return data

    def details(self) -> dict[str, Any]:
        data = self.cleaned_data
        own = KIND_FIELDS.get(data.get("kind") or "", ())
        return {_DETAIL_KEYS.get(n, n): data.get(n) for n in own}

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            name = _FORM_NAMES.get(key, key)
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


TARGET_LABELS = {
    "filing_rate": _("建档率"),
    "enrollment_rate": _("入学率"),
    "retention_rate": _("巩固率"),
    "immunization_rate": _("计划免疫接种率"),
    "legal_aid_rate": _("法律援助率"),
    "parent_education_rate": _("家长家教知识普及率"),
}
_SCHEDULE_LINE = re.compile(r"^\s*(\d{1,2})\s*月?\s*[:：]\s*(.+)$")
_ITEM_SPLIT = re.compile(r"[；;]")
_MEMBER_SPLIT = re.compile(r"[，,、；;\s]+")


class PlanCreateForm(forms.Form):
    """Pick the org, the school year and the preset; details are edited next."""

    org = forms.ModelChoiceField(label=_("单位"), queryset=Org.objects.none())
    school_year = forms.IntegerField(
        label=_("学年（起始年份）"),
        min_value=2000,
        max_value=2100,
        help_text=_("例如 2026 表示 2026—2027 学年"),
    )
    preset = forms.ChoiceField(
        label=_("模板"), choices=[(key, p["name"]) for key, p in PRESETS.items()]
    )

    def __init__(self, *args: Any, orgs, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "org").queryset = orgs


class CarePlanForm(forms.ModelForm):
    """A plan's frequencies, targets, mentor load, leading group and monthly schedule."""

    leader = forms.CharField(label=_("组长"), required=False, max_length=100)
    members = forms.CharField(
        label=_("成员"), required=False, max_length=500, help_text=_("用顿号或逗号分隔")
    )
    care_groups = forms.MultipleChoiceField(
        label=_("关爱对象"),
        choices=CareGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("这些儿童按上面的频次安排谈心、家访和联系家长；都不选即为留守儿童"),
    )
    schedule_text = forms.CharField(
        label=_("月度安排"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("每行一个月，如“10：中秋、国庆家访；学生谈心”，多项用分号分隔"),
    )

    class Meta:
        model = CarePlan
        fields = ["name", "mentor_min", "mentor_max", "holiday_handover"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan: CarePlan = self.instance
        for kind in SCHEDULED_KINDS:
            self.fields[f"freq_{kind}"] = forms.ChoiceField(
                label=CareKind(kind).label,
                choices=Frequency.choices,
                initial=plan.frequency(kind),
            )
        for key, label in TARGET_LABELS.items():
            self.fields[f"target_{key}"] = forms.IntegerField(
                label=label, min_value=0, max_value=100, initial=plan.targets.get(key)
            )
        self.fields["care_groups"].initial = sorted(plan.groups)
        self.fields["holiday_handover"].help_text = _(
            "寒暑假期间，住在村里的在校儿童的家访、联系家长和联系监护人由村儿童主任负责，开学后交回学校"
        )
        self.fields["leader"].initial = plan.leading_group.get("leader", "")
        self.fields["members"].initial = "、".join(plan.leading_group.get("members", []))
        self.fields["schedule_text"].initial = "\n".join(
            f"{entry['month']}：{'；'.join(entry['items'])}" for entry in plan.schedule
        )
        for name in ("mentor_min", "mentor_max"):
            self.fields[name].validators += [MinValueValidator(1), MaxValueValidator(30)]
            self.fields[name].widget.attrs.update({"min": 1, "max": 30})

    def clean_schedule_text(self) -> list[dict[str, Any]]:
        schedule: list[dict[str, Any]] = []
        for number, line in enumerate(self.cleaned_data["schedule_text"].splitlines(), 1):
            if not line.strip():
                continue
            match = _SCHEDULE_LINE.match(line)
            month = int(match.group(1)) if match else 0
            if not match or not 1 <= month <= 12:
                raise forms.ValidationError(
                    _("第%(n)d行应写成“月份：事项；事项”，月份为1到12") % {"n": number}
                )
            items = [item.strip() for item in _ITEM_SPLIT.split(match.group(2)) if item.strip()]
            schedule.append({"month": month, "items": items})
        return schedule

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # the base clean() returns cleaned_data
        low, high = data.get("mentor_min"), data.get("mentor_max")
        if low and high and low > high:
            self.add_error("mentor_max", _("最多结对人数不能少于最少结对人数"))
        return data

    def plan_data(self) -> dict[str, Any]:
        """The cleaned form as CarePlan fields, for ``services.plan_update``."""
        data = self.cleaned_data
        members = [m for m in _MEMBER_SPLIT.split(data["members"]) if m]
        return {
            "name": data["name"],
            "mentor_min": data["mentor_min"],
            "mentor_max": data["mentor_max"],
            "care_groups": [g for g in CareGroup.values if g in data["care_groups"]]
            or default_care_groups(),
            "holiday_handover": data["holiday_handover"],
            "frequencies": {str(k): data[f"freq_{k}"] for k in SCHEDULED_KINDS},
            "targets": {key: data[f"target_{key}"] for key in TARGET_LABELS},
            "leading_group": {"leader": data["leader"], "members": members},
            "schedule": data["schedule_text"],
        }
