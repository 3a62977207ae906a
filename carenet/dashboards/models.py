"""Kept counts behind the dashboard charts (see ``carenet.dashboards.counts``)."""

from __future__ import annotations

from django.db import models

from carenet.orgs.models import Org


class SchoolChartCounts(models.Model):
    """The counts behind one school's dashboard charts on one day
    (``counts.counts_by_school``), kept so that a county's dashboard need not count its
    2.5 million care records at every request.

    Valid only while ``stamp`` is the stamp of the school's row of
    ``indicators.models.SchoolFigures`` for that day: database triggers delete that row
    whenever anything these counts read changes, and it is counted again with a new id.
    No personal data: counts per month, type, age band and province."""

    school = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    county_code = models.CharField(max_length=6, db_index=True)
    as_of = models.DateField()
    stamp = models.CharField(max_length=64)
    counts = models.JSONField()
    counted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "as_of"], name="school_chart_counts_once")
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.as_of}"
