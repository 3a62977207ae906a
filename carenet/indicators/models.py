"""Kept counts behind the indicators (see ``carenet.indicators.figures``)."""

from __future__ import annotations

from django.db import models

from carenet.orgs.models import Org


class SchoolFigures(models.Model):
    """The counts behind one school's indicators on one day (``COUNT_NAMES``), kept so
    that a county's indicators need not count its 50,000 children at every request.

    Never stale: triggers on the tables the counts read (migration 0002) delete a
    school's rows whenever a row of one of its children changes, and a row is used
    only if the plan's task rules it was counted under (``rules``) still hold."""

    school = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    county_code = models.CharField(max_length=6, db_index=True)
    as_of = models.DateField()
    rules = models.CharField(max_length=200)
    counts = models.JSONField()
    counted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "as_of"], name="school_figures_once")
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.as_of}"
