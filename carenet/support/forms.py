"""Forms of the support pages. They shape the input; the services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from carenet.children.models import Child, FamilyMember
from carenet.lib.forms import ServiceErrorsMixin, date_field, model_choice
from carenet.support.models import ActivityKind, LegalAidProvider


def _others_count() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("其他参加人数"),
        min_value=0,
        max_value=100000,
        initial=0,
        help_text=_("未在名单中勾选的其他参加者"),
    )


class LegalAidCaseForm(ServiceErrorsMixin, forms.Form):
    opened_on = date_field(_("立案日期"))
    matter = forms.CharField(
        label=_("事项"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如：抚养费纠纷、监护权确认、人身伤害赔偿"),
    )
    eligible = forms.BooleanField(label=_("符合法律援助条件"), required=False, initial=True)
    aided = forms.BooleanField(label=_("已获得法律援助"), required=False)
    aided_on = date_field(_("援助日期"), required=False)
    provider = forms.ChoiceField(
        label=_("援助机构"),
        choices=[("", "—"), *LegalAidProvider.choices],
        required=False,
    )
    closed_on = date_field(_("结案日期"), required=False)


class LegalAidCloseForm(ServiceErrorsMixin, forms.Form):
    closed_on = date_field(_("结案日期"))


class _MemberChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: FamilyMember) -> str:
        child = f"{obj.child.name}（{obj.child.class_or_village}）"
        return f"{child} · {obj.get_relation_display()} {obj.name or '—'}"


class ParentSessionForm(ServiceErrorsMixin, forms.Form):
    held_on = date_field(_("日期"))
    topic = forms.CharField(label=_("主题"), max_length=200)
    speaker = forms.CharField(label=_("主讲人"), max_length=100, required=False)
    others_count = _others_count()
    attendees = _MemberChoice(
        label=_("参加的家长"),
        queryset=FamilyMember.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, offered: QuerySet[FamilyMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "attendees").queryset = offered


class _ChildChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Child) -> str:
        label = f"{obj.name}（{obj.class_or_village}）"
        if getattr(obj, "left_behind", False):
            return f"{label} · {_('留守')}"
        return label


class ActivityForm(ServiceErrorsMixin, forms.Form):
    held_on = date_field(_("日期"))
    kind = forms.ChoiceField(label=_("活动类型"), choices=[("", "—"), *ActivityKind.choices])
    title = forms.CharField(
        label=_("活动主题"), max_length=200, help_text=_("例如：“感恩父母”主题班会")
    )
    summary = forms.CharField(
        label=_("活动内容"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    others_count = _others_count()
    participants = _ChildChoice(
        label=_("参加的儿童"),
        queryset=Child.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("留守儿童排在前面"),
    )

    def __init__(self, *args: Any, offered: QuerySet[Child], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "participants").queryset = offered
