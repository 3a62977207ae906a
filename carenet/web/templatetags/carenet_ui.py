"""Display helpers for CareNet pages: masking, people's names, ages."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django import template
from django.contrib.auth.models import User
from django.forms.boundfield import BoundField
from django.utils import timezone

from carenet.children.models import LeftBehindType
from carenet.lib.names import user_name
from carenet.lib.phone import mask_id_number, mask_phone, mask_student_number

register = template.Library()


@register.filter
def phone_for(value: str, unmasked: bool) -> str:
    """A phone as the viewer may see it: in full if ``unmasked``, else 138****5678."""
    return value if unmasked else mask_phone(value)


@register.filter
def id_number_for(value: str, unmasked: bool) -> str:
    """An ID number as the viewer may see it."""
    return value if unmasked else mask_id_number(value)


@register.filter
def student_number_for(value: str, unmasked: bool) -> str:
    """A student number (学籍号, often "G" + the ID number) as the viewer may see it."""
    return value if unmasked else mask_student_number(value)


@register.filter
def person(user: User | None) -> str:
    """A user's name the Chinese way (family name first, no space), else the username."""
    return user_name(user)


@register.filter
def age(birth_date: dt.date | None) -> int | str:
    """Age in whole years today."""
    if birth_date is None:
        return ""
    return relativedelta(timezone.localdate(), birth_date).years


@register.filter
def left_behind_label(value: str) -> str:
    """The label of a ``left_behind_type`` value (an annotation has no get_..._display)."""
    return str(LeftBehindType(value).label) if value in LeftBehindType.values else ""


_WIDGET_CLASSES = {
    "checkbox": "form-check-input",
    # The class would land on the group's wrapper too: app.css styles these boxes.
    "checkboxselectmultiple": "",
    "select": "form-select",
    "selectmultiple": "form-select",
    "nullbooleanselect": "form-select",
    "unknownyesno": "form-select",  # carenet.children.forms.UnknownYesNo: 是 / 否 / 未知
}


@register.filter
def bootstrap(field: BoundField) -> str:
    """The field's widget with its Bootstrap class, marked invalid when it has errors."""
    classes = [_WIDGET_CLASSES.get(field.widget_type, "form-control")]
    attrs: dict[str, str | bool] = {}
    if field.errors:
        classes.append("is-invalid")
        attrs["aria-invalid"] = "true"
    if css := " ".join(c for c in classes if c):
        attrs["class"] = css
    return field.as_widget(attrs=attrs)
