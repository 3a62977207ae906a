"""Plan forms (web). The services validate; these forms shape the input."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carenet.childplans.models import CheckResult, Reason, Subject
from carenet.lib.forms import ServiceErrorsMixin, date_field, model_choice
from carenet.lib.names import user_name

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _text(label: StrOrPromise, rows: int = 3, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label, widget=forms.Textarea(attrs={"rows": rows}), max_length=5000, **kwargs
    )


class _UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return user_name(obj)


class StudyPlanForm(ServiceErrorsMixin, forms.Form):
    subjects = forms.MultipleChoiceField(
        label=_("帮扶科目"),
        choices=Subject.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一个科目")},
    )
    goals = _text(_("帮扶目标"), help_text=_("例如：期末数学达到及格"))
    measures = _text(_("帮扶措施"), help_text=_("帮扶内容与方法"))
    schedule = forms.CharField(
        label=_("帮扶时间"),
        required=False,
        max_length=200,
        help_text=_("例如：每周二、四午休后30分钟"),
    )
    teacher = _UserChoiceField(label=_("帮扶教师"), queryset=None, required=False)
    buddy_name = forms.CharField(label=_("学习帮手"), required=False, max_length=50)
    start_date = date_field(_("开始日期"))
    end_date = date_field(_("结束日期"), required=False)

    def __init__(self, *args: Any, teachers: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "teacher").queryset = teachers


class StudyCheckForm(ServiceErrorsMixin, forms.Form):
    date = date_field(_("检查日期"))
    result = forms.ChoiceField(label=_("效果"), choices=CheckResult.choices)
    scores = forms.CharField(
        label=_("成绩情况"),
        required=False,
        max_length=200,
        help_text=_("例如：数学单元测试 72 分（上次 58 分）"),
    )
    notes = _text(_("说明"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class StudyCloseForm(ServiceErrorsMixin, forms.Form):
    closed_on = date_field(_("结束日期"))
    summary = _text(_("阶段性效果"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"closed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class IndividualPlanForm(ServiceErrorsMixin, forms.Form):
    reason = forms.ChoiceField(label=_("原因"), choices=Reason.choices)
    reason_detail = _text(_("情况说明"), required=False)
    goals = _text(_("教育目标"))
    measures = _text(_("矫治和帮助措施"))
    responsible = _UserChoiceField(label=_("责任人"), queryset=None)
    opened_on = date_field(_("开始日期"))

    def __init__(self, *args: Any, teachers: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "responsible").queryset = teachers


class PlanReviewForm(ServiceErrorsMixin, forms.Form):
    date = date_field(_("日期"))
    progress = _text(_("进展情况"))
    next_steps = _text(_("下一步措施"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class IndividualCloseForm(ServiceErrorsMixin, forms.Form):
    closed_on = date_field(_("结束日期"))
    summary = _text(_("结案小结"), error_messages={"required": _("请填写结案小结")})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"closed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
