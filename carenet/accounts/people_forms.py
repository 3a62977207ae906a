"""Forms of the people pages and of the activation page."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carenet.accounts.access import grantable_orgs, grantable_roles
from carenet.accounts.people import Grant
from carenet.accounts.services import CLASS_TEACHER_TITLE, SUBJECT_TEACHER_TITLE
from carenet.lib.forms import choice_field, label_choices, model_choice
from carenet.lib.names import clean_name, user_name
from carenet.lib.phone import InvalidPhone, parse_phone
from carenet.orgs.models import Org, OrgKind, Role
from carenet.orgs.placement import placement

_SPLIT = re.compile(r"[、,，/;；\s]+")


def class_in_school(school: Org, text: str) -> Org | None:
    """The open class of the school named ``text`` (三(2)班, 三年级2班, …)."""
    place = placement("", text)
    names = {text.strip()} | ({place[1]} if place else set())
    return (
        Org.objects.filter(
            kind=OrgKind.CLASS, path__startswith=school.path, name__in=names, closed_on__isnull=True
        )
        .order_by("path")
        .first()
    )


class GrantForm(forms.Form):
    """A role at an org; for a teacher at a school also the classes taught and led."""

    role = forms.ChoiceField(label=gettext_lazy("角色"))
    org = forms.ModelChoiceField(
        label=gettext_lazy("单位"), queryset=Org.objects.none(), empty_label="—"
    )
    classes = forms.CharField(
        label=gettext_lazy("任教班级"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("教师填写，多个班级用顿号分隔，如：三(2)班、四(1)班"),
    )
    class_teacher = forms.CharField(
        label=gettext_lazy("班主任班级"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("担任班主任的班级，如：三(2)班"),
    )

    def __init__(self, *args, manager: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "role").choices = [(r, Role(r).label) for r in grantable_roles(manager)]
        model_choice(self, "org").queryset = grantable_orgs(manager).exclude(
            kind__in=(OrgKind.GRADE, OrgKind.CLASS)
        )
        self.manager = manager

    def clean(self) -> dict:
        data = super().clean()
        assert data is not None  # the base clean() returns cleaned_data
        role, org = data.get("role"), data.get("org")
        if not role or org is None:
            return data
        if not grantable_orgs(self.manager, role=role).filter(pk=org.pk).exists():
            self.add_error("org", _("不能在该单位授予此角色。"))
            return data
        grants = [Grant(role, org)]
        for key, title in (
            ("classes", SUBJECT_TEACHER_TITLE),
            ("class_teacher", CLASS_TEACHER_TITLE),
        ):
            parts = [p for p in _SPLIT.split(data.get(key) or "") if p]
            if parts and (role != Role.TEACHER or org.kind != OrgKind.SCHOOL):
                self.add_error(key, _("只有学校的教师可以填写班级。"))
                continue
            for part in parts:
                school_class = class_in_school(org, part)
                if school_class is None:
                    self.add_error(
                        key, _("%(school)s没有班级“%(name)s”") % {"school": org.name, "name": part}
                    )
                else:
                    grants.append(Grant(Role.TEACHER, school_class, title))
        # A class teacher's title wins over a subject teacher's on the same class.
        data["grants"] = sorted(grants, key=lambda g: g.title == CLASS_TEACHER_TITLE)
        return data


class PersonForm(GrantForm):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50)
    phone = forms.CharField(label=gettext_lazy("手机号"), max_length=20)
    field_order = ["name", "phone", "role", "org", "classes", "class_teacher"]

    def clean_name(self) -> str:
        name = clean_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("必须填写姓名"))
        return name

    def clean_phone(self) -> str:
        try:
            phone = parse_phone(self.cleaned_data["phone"])
        except InvalidPhone as exc:
            raise forms.ValidationError(str(exc)) from None
        if not phone:
            raise forms.ValidationError(_("必须填写手机号"))
        return phone


class DeactivateForm(forms.Form):
    successor: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=gettext_lazy("结对儿童移交给"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("暂不移交（由校长重新结对）"),
    )

    def __init__(self, *args, candidates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "successor").queryset = candidates
        label_choices(model_choice(self, "successor"), _person_label)


def _person_label(user: User) -> str:
    return f"{user_name(user)}（{user.get_username()}）"


class ActivateForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    code = forms.CharField(
        label=gettext_lazy("激活码"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )
    password1 = forms.CharField(
        label=gettext_lazy("新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("再次输入新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        data = super().clean()
        assert data is not None  # the base clean() returns cleaned_data
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data

    @staticmethod
    def help_html() -> str:
        return password_validators_help_text_html()
