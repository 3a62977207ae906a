"""Alert forms (web). The services validate; these forms shape the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from carenet.alerts.models import AlertRule, Severity
from carenet.alerts.services import MAX_NOTE
from carenet.children.models import RiskLevel
from carenet.lib.forms import ServiceErrorsMixin, model_choice
from carenet.lib.names import user_name


def _note(label: Any, *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写处理情况")},
    )


class InboxFilterForm(forms.Form):
    """The inbox's filters (GET): a rule, a severity."""

    rule = forms.ChoiceField(
        label=_("规则"), required=False, choices=[("", _("全部规则")), *AlertRule.choices]
    )
    severity = forms.ChoiceField(
        label=_("严重程度"), required=False, choices=[("", _("全部")), *Severity.choices]
    )


class NoteForm(ServiceErrorsMixin, forms.Form):
    """确认, 上报, 备注: a note, optional but for 备注."""

    note = _note(_("说明"))

    def __init__(self, *args: Any, required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].required = required


class _UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return user_name(obj)


class AssignForm(ServiceErrorsMixin, forms.Form):
    assignee = _UserChoiceField(
        label=_("指派给"),
        queryset=None,
        error_messages={
            "required": _("请选择处理人"),
            "invalid_choice": _("该用户不能处理这名儿童的预警"),
        },
    )
    note = _note(_("说明"))

    def __init__(self, *args: Any, users: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "assignee").queryset = users


class RiskForm(ServiceErrorsMixin, forms.Form):
    level = forms.ChoiceField(
        label=_("调高到"),
        required=False,
        choices=[("", _("不调高（按预警规则）")), *RiskLevel.choices],
    )
    reason = forms.CharField(
        label=_("原因"),
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
