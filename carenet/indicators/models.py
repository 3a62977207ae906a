"""Kept counts behind the indicators (see ``carenet.indicators.kept``)."""

from __future__ import annotations

from typing import ClassVar, Self

from django.db import models

from carenet.orgs.models import Org


class UnitVersion(models.Model):
    """How many times the rows counted for a unit (a school, or a village for the
    children not at a school) have changed: bumped by database triggers on every table
    the counts read (``selectors.COUNTED_TABLES``, ``triggers.py``). No row is version 0.

    No foreign-key constraint in the database: a trigger may bump a unit deleted in the
    same transaction (``flush`` on SQLite deletes the orgs before their children)."""

    unit = models.OneToOneField(
        Org, on_delete=models.CASCADE, primary_key=True, related_name="+", db_constraint=False
    )
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.unit_id} v{self.version}"


class KeptCounts(models.Model):
    """Counts of one unit on one day, kept while exact (``kept.read_through``): valid while
    ``version`` is the unit's ``UnitVersion`` and ``rules`` what the reader counts under."""

    school = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    county_code = models.CharField(max_length=6, db_index=True)
    as_of = models.DateField()
    rules = models.CharField(max_length=200)
    version = models.BigIntegerField(default=0)
    counts = models.JSONField()
    counted_at = models.DateTimeField(auto_now_add=True)
    # Each concrete subclass gets Django's default manager (declared for the type checker).
    objects: ClassVar[models.Manager[Self]]

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.school_id} {self.as_of} v{self.version}"


class SchoolFigures(KeptCounts):
    """The counts behind one school's indicators on one day (``COUNT_NAMES``), kept so
    that a county's indicators need not count its 50,000 children at every request."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "as_of"], name="school_figures_once")
        ]
