from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from carenet.audit.models import AccessAction, Consent, DataRequest, RequestStatus
from carenet.audit.selectors import LogFilters
from carenet.lib.forms import BoundedDateField, date_field


class LogFilterForm(forms.Form):
    child = forms.CharField(label=_("儿童姓名"), required=False, max_length=50)
    user = forms.CharField(label=_("用户"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("操作"), required=False, choices=[("", _("全部"))] + AccessAction.choices
    )
    since = date_field(_("起始日期"), required=False)
    until = date_field(_("截止日期"), required=False)

    def filters(self) -> LogFilters:
        if not self.is_valid():
            return LogFilters()
        data = self.cleaned_data
        return LogFilters(
            child=data["child"].strip(),
            user=data["user"].strip(),
            action=data["action"],
            since=data["since"],
            until=data["until"],
        )


class ConsentForm(forms.ModelForm):
    class Meta:
        model = Consent
        fields = ["basis", "given_by", "given_on", "note"]
        field_classes = {"given_on": BoundedDateField}


class DataRequestForm(forms.ModelForm):
    content = forms.CharField(
        label=_("请求内容"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = DataRequest
        fields = ["kind", "requester_name", "requester_relation", "received_on", "content"]
        field_classes = {"received_on": BoundedDateField}


class CloseRequestForm(forms.Form):
    status = forms.ChoiceField(
        label=_("结果"),
        choices=[
            (RequestStatus.DONE, RequestStatus.DONE.label),
            (RequestStatus.REFUSED, RequestStatus.REFUSED.label),
        ],
    )
    response = forms.CharField(
        label=_("答复"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
