"""Form parts shared by every app."""

from __future__ import annotations

from typing import Any

from django import forms


class DateInput(forms.DateInput):
    """A browser date picker. Its value is always ISO (2026-10-09): an ``<input
    type="date">`` shows the locale's 2026/10/09 as empty, and the date would be lost on
    an edit page."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None):
        super().__init__(attrs=attrs, format=format or "%Y-%m-%d")


def date_field(label: Any, **kwargs: Any) -> forms.DateField:
    """A date field with the ISO date picker (``DateInput``)."""
    return forms.DateField(label=label, widget=DateInput(), **kwargs)
