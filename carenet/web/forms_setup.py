"""The setup page's forms: the county's division code, the first administrator."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from carenet.lib.forms import model_choice
from carenet.orgs.divisions import County
from carenet.orgs.models import Org
from carenet.orgs.services import SetupError, county_division


class CountyCodeForm(forms.Form):
    code = forms.CharField(
        label=_("县级行政区划代码"),
        max_length=20,
        help_text=_("6 位数字，如安徽省安庆市望江县为 340827。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    division: County

    def clean_code(self) -> str:
        try:
            self.division = county_division(code=self.cleaned_data["code"])
        except SetupError as exc:
            raise ValidationError(str(exc)) from None
        return self.division.code


class FirstAdminForm(forms.Form):
    """The first county administrator's account; the password checked by Django's
    validators (AUTH_PASSWORD_VALIDATORS) against the username and name too."""

    county = forms.ModelChoiceField(
        label=_("所在县（区）"), queryset=Org.objects.none(), empty_label=None
    )
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        help_text=_("登录时使用，如 wangjiang_admin"),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    name = forms.CharField(
        label=_("姓名"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("再次输入密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, counties=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = " ".join(password_validators_help_texts())
        field = model_choice(self, "county")
        if counties is None:
            del self.fields["county"]  # the county is the one being created
        else:
            field.queryset = counties

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise ValidationError(_("该用户名已被使用"))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # the base clean() returns cleaned_data
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("两次输入的密码不一致"))
        elif first:
            user = get_user_model()(
                username=data.get("username", ""), first_name=data.get("name", "")
            )
            try:
                validate_password(first, user)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data

    def errors_from(self, exc: ValidationError) -> None:
        """Show a service's field errors on this form (password → password1)."""
        for field, messages in exc.message_dict.items():
            target = {"password": "password1"}.get(field, field)
            for message in messages:
                self.add_error(target if target in self.fields else None, message)
