"""The record card form (web). The service validates; this form shapes the input."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carenet.care.models import (
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


class RecordForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=CareKind.choices)
    date = date_field(_("日期"))
    summary = forms.CharField(
        label=_("内容"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": _("请填写记录内容")},
    )
    # talk (谈心记录卡)
    place = forms.CharField(label=_("地点"), required=False, max_length=1000)
    topics = forms.CharField(label=_("谈心主题"), required=False, max_length=1000)
    mood = forms.CharField(label=_("儿童情绪"), required=False, max_length=1000)
    problems = forms.CharField(label=_("发现的问题"), required=False, max_length=1000)
    measures = forms.CharField(label=_("采取的措施"), required=False, max_length=1000)
    follow_up = forms.CharField(label=_("后续跟进"), required=False, max_length=1000)
    # home visit
    present = forms.CharField(label=_("在场人员"), required=False, max_length=1000)
    living_conditions = forms.CharField(label=_("生活状况"), required=False, max_length=1000)
    guardian_capacity = forms.ChoiceField(
        label=_("监护能力"),
        required=False,
        choices=[("", "—"), *GuardianCapacity.choices],
    )
    needs = forms.CharField(label=_("发现的需求"), required=False, max_length=1000)
    # calls
    contact_with = forms.CharField(label=_("通话对象"), required=False, max_length=1000)
    duration_minutes = forms.IntegerField(
        label=_("通话时长（分钟）"), required=False, min_value=0, max_value=600
    )
    confidential = forms.BooleanField(label=_("保密"), required=False)
    photos = MultipleImageField(
        label=_("照片"),
        required=False,
        help_text=_("可选，最多6张；保存失败时需重新选择照片"),
    )

    TALK_FIELDS = ("place", "topics", "mood", "problems", "measures", "follow_up")
    VISIT_FIELDS = ("present", "living_conditions", "guardian_capacity", "needs")
    CALL_FIELDS = ("contact_with", "duration_minutes")

    def __init__(self, *args: Any, kind: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"kind": kind or CareKind.TALK, "date": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def details(self) -> dict[str, Any]:
        data = self.cleaned_data
        names = self.TALK_FIELDS + self.VISIT_FIELDS + self.CALL_FIELDS
        return {_DETAIL_KEYS.get(n, n): data.get(n) for n in names}

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        reverse = {v: k for k, v in _DETAIL_KEYS.items()}
        for key, messages in errors.items():
            name = reverse.get(key, key)
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
