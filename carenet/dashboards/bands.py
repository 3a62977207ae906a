"""Guardians' age bands (委托监护人年龄), shared by the dashboard chart and the child list
filter its bars link to."""

from __future__ import annotations

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

# Guardians' age bands (委托监护人年龄): (value, label, lowest age, highest age).
GUARDIAN_AGE_BANDS: tuple[tuple[str, Promise, int | None, int | None], ...] = (
    ("lt50", gettext_lazy("50岁以下"), None, 49),
    ("50-59", gettext_lazy("50–59岁"), 50, 59),
    ("60-69", gettext_lazy("60–69岁"), 60, 69),
    ("70+", gettext_lazy("70岁及以上"), 70, None),
    ("unknown", gettext_lazy("未填写"), None, None),
)


def guardian_age_filter(band: str) -> Q | None:
    """The filter on FamilyMember of an age band; None for an unknown band."""
    for value, _label, low, high in GUARDIAN_AGE_BANDS:
        if value != band:
            continue
        if value == "unknown":
            return Q(age__isnull=True)
        q = Q()
        if low is not None:
            q &= Q(age__gte=low)
        if high is not None:
            q &= Q(age__lte=high)
        return q
    return None
