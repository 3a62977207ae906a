"""Forms of the school-year pages: they only parse; ``services`` decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from carenet.lib.forms import model_choice
from carenet.orgs.models import Org, OrgKind
from carenet.schoolyear.selectors import MIDDLE_STAGES
from carenet.schoolyear.services import EARLIEST_YEAR, LATEST_YEAR


class YearForm(forms.Form):
    year = forms.IntegerField(
        label=_("学年（9月开始的年份）"), min_value=EARLIEST_YEAR, max_value=LATEST_YEAR
    )


class EnrolForm(forms.Form):
    primary = forms.ModelChoiceField(queryset=Org.objects.none(), label=_("小学"))
    middle = forms.ModelChoiceField(queryset=Org.objects.none(), label=_("升入初中"))

    def __init__(self, *args, county: Org, primaries: list[Org], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "primary").queryset = Org.objects.filter(
            pk__in=[p.pk for p in primaries]
        )
        model_choice(self, "middle").queryset = Org.objects.filter(
            path__startswith=county.path,
            kind=OrgKind.SCHOOL,
            stage__in=MIDDLE_STAGES,
            closed_on__isnull=True,
        ).order_by("path")
