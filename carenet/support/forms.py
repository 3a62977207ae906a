"""Forms of the support pages. They shape the input; the services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from carenet.childplans.forms import ServiceErrorsMixin
from carenet.children.models import FamilyMember
from carenet.support.models import LegalAidProvider


def _date(label: Any, **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


class LegalAidCaseForm(ServiceErrorsMixin, forms.Form):
    opened_on = _date(_("立案日期"))
    matter = forms.CharField(
        label=_("事项"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如：抚养费纠纷、监护权确认、人身伤害赔偿"),
    )
    eligible = forms.BooleanField(label=_("符合法律援助条件"), required=False, initial=True)
    aided = forms.BooleanField(label=_("已获得法律援助"), required=False)
    aided_on = _date(_("援助日期"), required=False)
    provider = forms.ChoiceField(
        label=_("援助机构"),
        choices=[("", "—"), *LegalAidProvider.choices],
        required=False,
    )
    closed_on = _date(_("结案日期"), required=False)


class LegalAidCloseForm(ServiceErrorsMixin, forms.Form):
    closed_on = _date(_("结案日期"))


class _MemberChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: FamilyMember) -> str:
        child = f"{obj.child.name}（{obj.child.school_class.name}）"
        return f"{child} · {obj.get_relation_display()} {obj.name or '—'}"


class ParentSessionForm(ServiceErrorsMixin, forms.Form):
    held_on = _date(_("日期"))
    topic = forms.CharField(label=_("主题"), max_length=200)
    speaker = forms.CharField(label=_("主讲人"), max_length=100, required=False)
    others_count = forms.IntegerField(
        label=_("其他参加人数"),
        min_value=0,
        max_value=100000,
        initial=0,
        help_text=_("未在名单中勾选的其他参加者"),
    )
    attendees = _MemberChoice(
        label=_("参加的家长"),
        queryset=FamilyMember.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, offered: QuerySet[FamilyMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = offered
