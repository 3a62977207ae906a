"""Kept counts behind the dashboard charts (see ``carenet.dashboards.counts``)."""

from __future__ import annotations

from django.db import models

from carenet.indicators.models import KeptCounts


class SchoolChartCounts(KeptCounts):
    """The counts behind one school's dashboard charts on one day
    (``counts.counts_by_school``), kept so that a county's dashboard need not count its
    2.5 million care records at every request (``indicators.kept.read_through``). No
    personal data: counts per month, type, age band and province."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "as_of"], name="school_chart_counts_once")
        ]
