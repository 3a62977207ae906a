"""The query string of the dashboard pages: org, date, counted. Bad values fall back to
a default with a message, never an error page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carenet.lib.dates import date_in_range
from carenet.lib.forms import DateInput


class DashboardQuery(forms.Form):
    org = forms.CharField(label=_("组织"), required=False, max_length=32)
    as_of = forms.DateField(
        label=_("统计日期"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("日期格式不正确，已按今天统计。")},
    )
    counted = forms.ChoiceField(
        label=_("名单"),
        required=False,
        choices=[("1", _("已计入")), ("0", _("未计入"))],
        error_messages={"invalid_choice": _("名单参数不正确，已显示已计入的儿童。")},
    )

    def clean_as_of(self) -> dt.date | None:
        as_of = self.cleaned_data.get("as_of")
        if as_of is not None and not date_in_range(as_of):
            raise forms.ValidationError(_("统计日期超出范围，已按今天统计。"))
        return as_of

    def values(self) -> tuple[str, dt.date, bool, list[str]]:
        """(org code, as_of, counted, messages): the valid part of the query, defaults
        for the rest (today, counted), and a message for each value set aside."""
        self.is_valid()
        data = self.cleaned_data
        notices = [str(m) for name in ("as_of", "counted") for m in self.errors.get(name, [])]
        # A code too long to be valid is looked up as given: no such org (404).
        code = self.data.get("org", "") if "org" in self.errors else data.get("org", "")
        return (
            code.strip(),
            data.get("as_of") or timezone.localdate(),
            data.get("counted") != "0",
            notices,
        )
