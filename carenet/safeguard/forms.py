"""Forms of the mandatory report and the urgent case. The services validate; these forms
shape the input."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from carenet.lib.forms import ServiceErrorsMixin
from carenet.safeguard.models import Agency, EmergencyKind, ReportCategory

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _text(label: StrOrPromise, rows: int = 3, **kwargs: Any) -> forms.CharField:
    kwargs.setdefault("max_length", 5000)
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


def _when(label: StrOrPromise, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        **kwargs,
    )


class ReportOpenForm(ServiceErrorsMixin, forms.Form):
    category = forms.ChoiceField(label=_("报告情形"), choices=ReportCategory.choices)
    found_at = _when(_("发现时间"))
    facts = _text(
        _("发现时间、地点和经过"),
        rows=5,
        required=False,
        help_text=_("写清发现的时间、地点、经过和儿童目前的状况"),
    )


class ReportMakeForm(ServiceErrorsMixin, forms.Form):
    agency = forms.ChoiceField(
        label=_("受理单位"),
        choices=[("", "---------"), *Agency.choices],
        error_messages={"required": _("请选择受理单位")},
    )
    agency_name = forms.CharField(
        label=_("受理单位名称"),
        required=False,
        max_length=100,
        help_text=_("例如：望江县公安局华阳派出所"),
    )
    reported_at = _when(_("报告时间"), error_messages={"required": _("请填写报告时间")})
    facts = _text(_("发现时间、地点和经过"), rows=5, required=False)
    measures = _text(_("已采取的措施"), required=False)


class ReceiptForm(ServiceErrorsMixin, forms.Form):
    receipt_number = forms.CharField(label=_("回执编号"), max_length=60)
    receiver = forms.CharField(label=_("接收人"), max_length=100, required=False)


class NoteForm(ServiceErrorsMixin, forms.Form):
    note = _text(_("情况"), max_length=1000)

    def __init__(self, *args: Any, label: StrOrPromise | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label is not None:
            self.fields["note"].label = label


class EmergencyOpenForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("情形"), choices=EmergencyKind.choices)
    description = _text(_("情况"), required=False, max_length=1000)


class StepForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(label=_("说明"), required=False, max_length=1000)
