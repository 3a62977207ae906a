"""Form parts shared by every app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from carenet.lib.dates import EARLIEST, LATEST, date_in_range


class DateInput(forms.DateInput):
    """A browser date picker. Its value is always ISO (2026-10-09): an ``<input
    type="date">`` shows the locale's 2026/10/09 as empty, and the date would be lost on
    an edit page."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None):
        super().__init__(attrs=attrs, format=format or "%Y-%m-%d")


class BoundedDateField(forms.DateField):
    """A date between ``carenet.lib.dates.EARLIEST`` and ``LATEST``, the range every page and
    the API accept; the ISO date picker (``DateInput``) unless another widget is given."""

    default_error_messages = {
        "out_of_range": _("日期须在%(earliest)s至%(latest)s之间。"),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", DateInput())
        super().__init__(**kwargs)

    def validate(self, value: dt.date | None) -> None:
        super().validate(value)
        if value is not None and not date_in_range(value):
            raise forms.ValidationError(
                self.error_messages["out_of_range"],
                code="out_of_range",
                params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
            )


def date_field(label: Any, **kwargs: Any) -> forms.DateField:
    """A date field with the ISO date picker (``DateInput``), within the accepted range."""
    return BoundedDateField(label=label, **kwargs)


def model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """``form.fields[name]``, a model choice field, typed as one (the stubs type every field
    of ``form.fields`` as a plain ``Field``, without ``queryset`` or ``label_from_instance``)."""
    return cast(forms.ModelChoiceField, form.fields[name])


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """``form.fields[name]``, a choice field, typed as one (see ``model_choice``)."""
    return cast(forms.ChoiceField, form.fields[name])


def label_choices(field: forms.ModelChoiceField, label: Callable[[Any], str]) -> None:
    """Label the choices of ``field`` with ``label(obj)`` instead of ``str(obj)``."""
    # Django calls the field's label_from_instance(obj); set on this instance only.
    field.label_from_instance = label  # type: ignore[method-assign,assignment]


class ServiceErrorsMixin:
    """A form that shows a service's ``ValidationError`` messages (by field, else on the
    form)."""

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            for message in messages:
                self.add_error(key if key in self.fields else None, message)  # type: ignore[attr-defined]
