"""Forms of a child's path (转学, 转出县外, 迁出, 辍学, 复学, 死亡) and of the transfers page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carenet.lib.forms import date_field, model_choice
from carenet.orgs.models import Org

TEXT = {"class": "form-control"}


class TransferForm(forms.Form):
    to_school = forms.ModelChoiceField(label=_("转入学校"), queryset=Org.objects.none())
    reason = forms.CharField(label=_("转学原因"), max_length=200, required=False)

    def __init__(self, *args: Any, schools: QuerySet[Org], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "to_school").queryset = schools


class MoveForm(forms.Form):
    """The county administrator's direct move: a class of another school of the county."""

    to_class = forms.ModelChoiceField(label=_("转入班级"), queryset=Org.objects.none())
    reason = forms.CharField(label=_("转学原因"), max_length=200, required=False)

    def __init__(self, *args: Any, classes: QuerySet[Org], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "to_class").queryset = classes


class LeaveForm(forms.Form):
    """转出县外 / 迁出: the day and where to (a note on the file)."""

    on = date_field(_("离开日期"))
    note = forms.CharField(label=_("去向"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class DiedForm(forms.Form):
    on = date_field(_("日期"))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class DropOutForm(forms.Form):
    on = date_field(_("辍学日期"))
    reason = forms.CharField(label=_("辍学原因"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ReturnForm(forms.Form):
    on = date_field(_("复学日期"))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ClaimForm(forms.Form):
    """A receiving school asks for a file by the child's ID number (转入申请)."""

    id_number = forms.CharField(label=_("身份证号"), max_length=30)
    to_class = forms.ModelChoiceField(label=_("转入班级"), queryset=Org.objects.none())
    reason = forms.CharField(label=_("转学原因"), max_length=200, required=False)

    def __init__(self, *args: Any, classes: QuerySet[Org], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "to_class").queryset = classes
