"""Forms of the documents pages: which org, which period or school year, which cases."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carenet.care import calendar
from carenet.care.models import CareRecord
from carenet.children.models import Child
from carenet.lib.forms import DateInput, choice_field, model_choice
from carenet.orgs.models import Org
from carenet.reports.documents import Format
from carenet.reports.summary import MAX_CASES, case_candidates, case_search, cases_picked

TEXT_LIMIT = 5000
# The longest period a summary covers (a school year and a half is plenty).
MAX_PERIOD_DAYS = 550


def org_label(org: Org) -> str:
    return f"{org.name}（{org.get_kind_display()}）"


def case_label(record: CareRecord) -> str:
    child = record.child
    text = (record.summary or "").strip().replace("\n", " ")
    if len(text) > 40:
        text = text[:40] + "…"
    who = f"{child.name}（{child.class_or_village}）"
    return f"{record.date:%Y-%m-%d} {record.get_kind_display()} · {who}：{text}"


class _OrgField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Org) -> str:
        return org_label(obj)


class _CaseField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: CareRecord) -> str:
        return case_label(obj)


class _FormatField(forms.ChoiceField):
    """The button pressed: a download format, or nothing (refresh the page)."""

    def __init__(self) -> None:
        super().__init__(
            choices=[("", "—"), *((f.value, f.value) for f in Format)],
            required=False,
            widget=forms.HiddenInput,
        )


class SummaryForm(forms.Form):
    org = _OrgField(queryset=Org.objects.none(), label=_("单位"), empty_label=None)
    start = forms.DateField(label=_("开始日期"), widget=DateInput())
    end = forms.DateField(label=_("结束日期"), widget=DateInput())
    cases = _CaseField(
        queryset=CareRecord.objects.none(),
        required=False,
        label=_("典型案例"),
        widget=forms.CheckboxSelectMultiple,
    )
    q = forms.CharField(
        label=_("按儿童姓名查找案例"),
        required=False,
        max_length=50,
        help_text=_("输入姓名、拼音或首字母（如 王子、wangzi、wzh），按“查找”；勾选的案例会保留。"),
    )
    problems = forms.CharField(
        label=_("存在问题"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一条。留空则根据数据生成草稿，请修改后再上报。"),
    )
    next_steps = forms.CharField(
        label=_("下一步打算"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一条。留空则生成草稿。"),
    )
    format = _FormatField()

    def __init__(
        self,
        *args,
        orgs: QuerySet[Org],
        children: QuerySet[Child],
        records: QuerySet[CareRecord],
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "org").queryset = orgs
        self.fields["cases"].help_text = _(
            "最多选择 %(n)d 条记录；文档中儿童姓名改为“某某”，不出现身份证号、电话和住址。"
        ) % {"n": MAX_CASES}
        # The cases are found by a search on the child's name, not offered all at once:
        # those picked (kept on a refresh or an error) and those the search finds.
        self.cases_shown: list[tuple[CareRecord, bool]] = []
        self.cases_available = False
        org, start, end = self._period()
        if org is not None:
            candidates = case_candidates(
                org, start=start, end=end, children=children, records=records
            )
            model_choice(self, "cases").queryset = candidates
            self.cases_available = candidates.exists()
            picked = cases_picked(candidates, self._submitted_cases())
            text = str(self.data.get(self.add_prefix("q"), "")) if self.is_bound else ""
            found = case_search(candidates, children=children, text=text[:50])
            ids = {record.pk for record in picked}
            self.cases_shown = [(r, True) for r in picked] + [
                (r, False) for r in found if r.pk not in ids
            ]

    def _submitted_cases(self) -> list[str]:
        if not self.is_bound:
            return []
        getlist = getattr(self.data, "getlist", None)  # a QueryDict; a plain dict in tests
        values = getlist(self.add_prefix("cases")) if getlist else self.data.get("cases", [])
        return [str(v) for v in values]

    def _period(self) -> tuple[Org | None, dt.date, dt.date]:
        """Org and period as submitted (else as initially shown), to offer their cases. An
        org out of reach offers none."""

        def value(name: str):
            if self.is_bound:
                return self.data.get(self.add_prefix(name))
            return self.initial.get(name)

        try:
            org = self.fields["org"].to_python(value("org"))
        except forms.ValidationError:
            return None, dt.date.min, dt.date.min
        try:
            start = self.fields["start"].to_python(value("start"))
            end = self.fields["end"].to_python(value("end"))
        except forms.ValidationError:
            start = end = None
        if org is None:
            return None, dt.date.min, dt.date.min
        if start is None or end is None or start > end:
            # A period in error: the org's cases of any day, so that the cases picked
            # come back checked with the error (the form is refused anyway).
            return org, dt.date.min, dt.date.max
        return org, start, end

    def clean(self):
        data = super().clean()
        assert data is not None  # the base clean() returns cleaned_data
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("结束日期不能早于开始日期。"))
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("end", _("期间不能超过 %(n)d 天。") % {"n": MAX_PERIOD_DAYS})
        cases = data.get("cases")
        if cases is not None and len(cases) > MAX_CASES:
            self.add_error("cases", _("典型案例最多选择 %(n)d 条。") % {"n": MAX_CASES})
        return data


def school_year_choices(today: dt.date | None = None) -> list[tuple[int, str]]:
    current = calendar.school_year_of(today or timezone.localdate())
    return [
        (year, _("%(year)d—%(next)d学年") % {"year": year, "next": year + 1})
        for year in (current + 1, current, current - 1)
    ]


class PlanForm(forms.Form):
    org = _OrgField(queryset=Org.objects.none(), label=_("单位"), empty_label=None)
    school_year = forms.TypedChoiceField(label=_("学年"), coerce=int, choices=())
    format = _FormatField()

    def __init__(self, *args, orgs: QuerySet[Org], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "org").queryset = orgs
        choice_field(self, "school_year").choices = school_year_choices()
