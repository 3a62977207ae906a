"""Forms of the attendance pages: an absence (缺勤) and exam results (成绩)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carenet.care.models import AbsenceReason
from carenet.children.models import Child
from carenet.lib.forms import ServiceErrorsMixin, date_field


class AbsenceForm(ServiceErrorsMixin, forms.Form):
    date = date_field(_("缺勤日期"))
    reason = forms.ChoiceField(
        label=_("原因"),
        choices=AbsenceReason.choices,
        initial=AbsenceReason.SICK,
        widget=forms.Select,
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)


def _score_field(label: Any, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=5,
        decimal_places=1,
        min_value=Decimal(0),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.5"}),
        **kwargs,
    )


class ExamForm(ServiceErrorsMixin, forms.Form):
    """The exam a score or a class table belongs to."""

    exam = forms.CharField(
        label=_("考试名称"), max_length=50, help_text=_("例如：期中考试、期末考试")
    )
    date = date_field(_("考试日期"))
    subject = forms.CharField(label=_("科目"), max_length=20, help_text=_("例如：语文、数学"))
    full_score = _score_field(_("满分"), initial=Decimal(100))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate(), "full_score": 100})
        super().__init__(*args, **kwargs)


class ScoreForm(ExamForm):
    """One child's result."""

    score = _score_field(_("成绩"))


class ClassScoresForm(ExamForm):
    """A class table: the exam above, a score per child (left empty: not entered)."""

    def __init__(self, *args: Any, children: list[Child], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.children = children
        for child in children:
            self.fields[f"score_{child.pk}"] = _score_field(child.name, required=False)

    def rows(self) -> list[tuple[Child, forms.BoundField]]:
        return [(child, self[f"score_{child.pk}"]) for child in self.children]

    def scores(self) -> list[tuple[Child, Decimal]]:
        return [
            (child, self.cleaned_data[f"score_{child.pk}"])
            for child in self.children
            if self.cleaned_data.get(f"score_{child.pk}") is not None
        ]
