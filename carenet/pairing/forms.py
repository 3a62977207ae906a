"""The pairing page's forms: assign by hand, hand over. Choices are the school's own."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from carenet.children.models import Child, Pairing, PairingKind
from carenet.orgs.models import Org
from carenet.pairing.selectors import school_left_behind, school_teachers
from carenet.web.templatetags.carenet_ui import person


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return person(obj)


class _ChildChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Child) -> str:
        return f"{obj.name}（{obj.school_class.name}）"


class AssignForm(forms.Form):
    child = _ChildChoice(label=_("留守儿童"), queryset=Child.objects.none())
    mentor = _PersonChoice(label=_("代理家长"), queryset=get_user_model().objects.none())

    def __init__(self, *args, school: Org, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = (
            school_left_behind(school).select_related("school_class").order_by("name_pinyin")
        )
        self.fields["mentor"].queryset = school_teachers(school)


class HandoverForm(forms.Form):
    from_mentor = _PersonChoice(label=_("移交教师"), queryset=get_user_model().objects.none())
    to_mentor = _PersonChoice(label=_("接收教师"), queryset=get_user_model().objects.none())
    reason = forms.CharField(
        label=_("原因"), max_length=100, required=False, help_text=_("例如：调离本校")
    )

    def __init__(self, *args, school: Org, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        teachers = school_teachers(school)
        mentoring_here = Pairing.objects.filter(
            mentor=OuterRef("pk"),
            kind=PairingKind.MENTOR,
            ended_on__isnull=True,
            child__school=school,
        )
        # A teacher who has already left the school may still hold mentees there.
        self.fields["from_mentor"].queryset = (
            get_user_model()
            .objects.filter(Q(pk__in=teachers.values("pk")) | Q(Exists(mentoring_here)))
            .order_by("last_name", "first_name", "username", "pk")
        )
        self.fields["to_mentor"].queryset = teachers
