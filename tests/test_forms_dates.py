"""Date pickers keep their value: an <input type="date"> takes only ISO dates, and the
Chinese locale's own format (2026/10/09) would show as empty and be lost on save."""

import datetime as dt

from django import forms
from django.utils import translation

from carenet.lib.forms import DateInput


class _Form(forms.Form):
    day = forms.DateField(widget=DateInput())


def test_a_date_picker_renders_its_value_as_iso_in_chinese():
    with translation.override("zh-hans"):
        html = str(_Form(initial={"day": dt.date(2026, 10, 9)})["day"])
    assert 'type="date"' in html
    assert 'value="2026-10-09"' in html


def test_the_plain_django_widget_would_lose_it():
    # Why the widget exists: Django's own DateInput follows the locale's input format.
    class Plain(forms.Form):
        day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    with translation.override("zh-hans"):
        html = str(Plain(initial={"day": dt.date(2026, 10, 9)})["day"])
    assert 'value="2026-10-09"' not in html
