"""Counts kept per unit and day (``models.KeptCounts``: the indicators' ``SchoolFigures``,
the dashboards' ``SchoolChartCounts``), read through: exact, and without a lock.

A unit is a school, or a village for the children not at a school. Database triggers on
every table its counts are made from (``selectors.COUNTED_TABLES``, ``triggers.py``) bump
the unit's version (``UnitVersion``) in the writer's transaction. A kept row stores the
version it was counted at and is valid while that is the unit's version and its
``rules`` are what the reader counts under (the plan's task rules, the counting code's
version).

``read_through`` reads the units' versions *first*, then the kept rows, counts the units
without a valid row with no lock, and keeps them under the versions it read. Exact under
READ COMMITTED (PostgreSQL's default; SQLite has one writer at a time and reads a
committed snapshot per statement or transaction):

- a writer that committed before the versions were read committed its rows first: the
  count, which starts after, sees them;
- a writer not committed when the versions were read has bumped them (or will) and
  commits a higher version afterwards — the bump is an upsert on the version row, so
  bumps never get lost — so the row counted without its change, kept under the old
  version, is never valid. (A writer that commits between the reading of the versions
  and the count is in the count and invalidates it: a needless recount, never a wrong
  figure.)
- a valid row read now was counted after every writer committed before its version was
  read, and no writer has committed since (or the version would differ): it equals a
  count made now.

No one waits: writers never touch the kept rows, only the version rows (the triggers);
readers read the versions without locking them and write only the kept rows. Two
readers keeping the same unit at once each upsert their row (in the order of the units'
ids); whichever is kept last is valid only if its version is still current.

Kept rows of days more than ``KEEP_DAYS`` before today are deleted by the daily jobs
(``purge``): readers ask for today, or for the days of a report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db.models import Model

from carenet.indicators.models import KeptCounts, UnitVersion
from carenet.orgs.models import Org

# Kept rows of days more than this many days before today are deleted (``purge``).
KEEP_DAYS = 7

Counted = dict[int, Any]


def kept_tables() -> set[str]:
    """The tables of kept counts and their versions: derived from the other tables, never
    data of their own (a database holding rows only there holds no data: deleting the
    children of a flushed database bumps versions again)."""
    from django.apps import apps

    models: list[type[Model]] = [
        UnitVersion,
        *(m for m in apps.get_models() if issubclass(m, KeptCounts)),
    ]
    return {model._meta.db_table for model in models}


def unit_versions(units: Iterable[int]) -> dict[int, int]:
    """The current version of each of ``units`` (0 for a unit never changed)."""
    units = list(units)
    found = dict(UnitVersion.objects.filter(unit__in=units).values_list("unit_id", "version"))
    return {unit: found.get(unit, 0) for unit in units}


def read_through(
    model: type[KeptCounts],
    units: list[int],
    *,
    as_of: dt.date,
    rules: Mapping[int, str],
    count: Callable[[list[int]], Counted],
) -> Counted:
    """The counts of each of ``units`` on ``as_of``: the kept rows of ``model`` that are
    valid (counted at the unit's current version, under ``rules[unit]``), and for the
    others ``count(stale units)`` — which must return the counts of every unit it is
    given — kept."""
    versions = unit_versions(units)  # first: see the module docstring
    kept = {
        row.school_id: row.counts
        for row in model.objects.filter(school__in=units, as_of=as_of).only(
            "school_id", "rules", "version", "counts"
        )
        if row.version == versions[row.school_id] and row.rules == rules[row.school_id]
    }
    stale = [unit for unit in units if unit not in kept]
    if stale:
        fresh = count(stale)
        _keep(model, fresh, as_of=as_of, rules=rules, versions=versions)
        kept |= fresh
    return kept


def _keep(
    model: type[KeptCounts],
    fresh: Counted,
    *,
    as_of: dt.date,
    rules: Mapping[int, str],
    versions: Mapping[int, int],
) -> None:
    """Keep ``fresh`` counts under the versions read before counting them: one upsert,
    in the order of the units' ids."""
    county_codes = dict(Org.objects.filter(pk__in=list(fresh)).values_list("pk", "county_code"))
    model.objects.bulk_create(
        [
            model(
                school_id=unit,
                county_code=county_codes[unit],
                as_of=as_of,
                rules=rules[unit],
                version=versions[unit],
                counts=dict(fresh[unit]),
            )
            for unit in sorted(fresh)
        ],
        update_conflicts=True,
        unique_fields=["school", "as_of"],
        update_fields=["county_code", "rules", "version", "counts", "counted_at"],
    )


def valid_units(model: type[KeptCounts], units: Iterable[int], *, as_of: dt.date) -> set[int]:
    """Those of ``units`` with a kept row of ``model`` for ``as_of`` counted at their
    current version (whatever its rules)."""
    versions = unit_versions(units)
    return {
        unit
        for unit, version in model.objects.filter(
            school__in=list(versions), as_of=as_of
        ).values_list("school_id", "version")
        if version == versions[unit]
    }


def purge(model: type[KeptCounts], today: dt.date) -> int:
    """Delete the kept rows of ``model`` of days more than ``KEEP_DAYS`` before ``today``."""
    old = model.objects.filter(as_of__lt=today - dt.timedelta(days=KEEP_DAYS))
    return old.delete()[0]
