"""The pairing page's forms: assign by hand, hand over. Choices are the school's own."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from carenet.children.models import Child, Pairing, PairingKind
from carenet.lib.forms import model_choice
from carenet.lib.names import user_name
from carenet.orgs.models import Org
from carenet.pairing.selectors import (
    active_buddy_pairings,
    handover_mentors,
    school_left_behind,
    school_mentors,
    school_pupils,
)


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return user_name(obj)


class _ChildChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Child) -> str:
        return f"{obj.name}（{obj.school_class.name}）"  # type: ignore[union-attr]  # pupils of a class


class AssignForm(forms.Form):
    child = _ChildChoice(label=_("留守儿童"), queryset=Child.objects.none())
    mentor = _PersonChoice(label=_("代理家长"), queryset=get_user_model().objects.none())

    def __init__(self, *args, school: Org, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "child").queryset = (
            school_left_behind(school).select_related("school_class").order_by("name_pinyin")
        )
        model_choice(self, "mentor").queryset = school_mentors(school)


class HandoverForm(forms.Form):
    from_mentor = _PersonChoice(label=_("移交教师"), queryset=get_user_model().objects.none())
    to_mentor = _PersonChoice(label=_("接收教师"), queryset=get_user_model().objects.none())
    reason = forms.CharField(
        label=_("原因"), max_length=100, required=False, help_text=_("例如：调离本校")
    )

    def __init__(self, *args, school: Org, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "from_mentor").queryset = handover_mentors(school)
        model_choice(self, "to_mentor").queryset = school_mentors(school)


class _PupilChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Child) -> str:
        return f"{obj.name}（{obj.school_class.name}）"  # type: ignore[union-attr]  # pupils of a class


class BuddyAssignForm(forms.Form):
    """Pair a left-behind child of the school with a pupil of the same school."""

    child = _ChildChoice(label=_("留守儿童"), queryset=Child.objects.none())
    buddy = _PupilChoice(label=_("学习帮手"), queryset=Child.objects.none())

    def __init__(self, *args, school: Org, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "child").queryset = (
            school_left_behind(school)
            .select_related("school_class")
            .order_by("school_class__path", "name_pinyin", "pk")
        )
        model_choice(self, "buddy").queryset = school_pupils(school)

    def clean(self) -> dict:
        data = super().clean()
        assert data is not None  # the base clean() returns cleaned_data
        child, buddy = data.get("child"), data.get("buddy")
        if child and buddy:
            current = child.pairings.filter(kind=PairingKind.BUDDY, ended_on__isnull=True).first()
            if current is not None and current.buddy_id == buddy.pk:
                raise forms.ValidationError(
                    _("%(buddy)s 已经是%(child)s的学习帮手。")
                    % {"buddy": buddy.name, "child": child.name}
                )
        return data


class BuddyEndForm(forms.Form):
    pairing = forms.ModelChoiceField(
        label=_("学习帮手结对"), queryset=Pairing.objects.none(), widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("结束原因"), max_length=100, required=False, help_text=_("例如：学习帮手毕业")
    )

    def __init__(self, *args, school: Org, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "pairing").queryset = active_buddy_pairings(school)
