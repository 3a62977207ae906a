"""The record card form (web). The service validates; this form shapes the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carenet.care.models import CareKind, GuardianCapacity

# Form field → key in the record's details (a field cannot be called "with").
_DETAIL_KEYS = {"contact_with": "with"}


class RecordForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=CareKind.choices)
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
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
