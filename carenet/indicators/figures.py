"""Kept per-school counts of the indicators (``SchoolFigures``): read-through, exact.

``school_counts(org, as_of=…)`` answers each school's counts under a county, township or
school from the kept rows, and counts the schools without a valid row from scratch
(``selectors.counts_by_school``, one grouped query for all of them) and keeps them.

When a kept row stops being valid:

- a row of a school's child changes — the child, a family member, an away period, a
  pairing, a care record: inserted, updated or deleted, by the app, an import, a
  ``QuerySet.update()`` or raw SQL. Database triggers (migration 0002; per row on
  SQLite, per statement on PostgreSQL) delete every kept row of that school (and of
  the child's former school when a child moves);
- the plan in force at the school changes how a counted task kind is scheduled, or for
  whom (its care groups): each row stores the task rules and care groups it was
  counted under (``rules``) and is used only while they are the plan's.

Nothing else enters the counts, so a kept row always equals a count from scratch
(tests/test_indicators_speed.py). A table whose rows enter the counts later (legal aid,
parent school) needs the same triggers.

Counting and keeping run in one transaction; on PostgreSQL it first takes a lock that
waits for writers in flight (their triggers hold a conflicting lock until they commit)
and holds back new ones until it commits, so no count misses a change that then fails
to delete it. On SQLite every transaction is ``BEGIN IMMEDIATE`` (settings): the same.

The daily queue job ``indicators_daily`` (``tasks.py``) counts every county for the new
day, so the first reader of the day does not wait.
"""

from __future__ import annotations

import datetime as dt
import zlib

from django.db import connection, transaction

from carenet.care.models import CarePlan
from carenet.care.selectors import care_filter
from carenet.children.models import Child
from carenet.children.selectors import on_roll
from carenet.indicators.models import SchoolFigures
from carenet.indicators.selectors import (
    COUNT_NAMES,
    Counts,
    counted,
    counted_groups,
    counts_by_school,
    school_plans,
    unit_filter,
    unit_rules,
)
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import org_ids_under

# Part of every kept row's stamp: bump it when what a count means changes (a filter of
# ``selectors``), and the rows kept before are counted again. The names of the counts
# are part of the stamp too.
COUNTING = 7


def _rule_text(rule: tuple[dt.date, bool] | None) -> str:
    return "-" if rule is None else f"{rule[0].isoformat()}/{int(rule[1])}"


def _stamp(rules: dict, groups: frozenset[str]) -> str:
    """What counts were made under, as kept in ``SchoolFigures.rules``: the counting
    version, the names of the counts, the plan's care groups and its task rules (for the
    children without and with a village of residence, when they differ)."""
    parts = [
        f"v{COUNTING}.{zlib.crc32(','.join(COUNT_NAMES).encode()):08x}",
        # A checksum: the groups' names would not fit the column with the rules.
        f"g{zlib.crc32('+'.join(sorted(groups)).encode()):08x}",
    ]
    for kind, (without, with_village) in sorted(rules.items()):
        text = _rule_text(without)
        if with_village != without:
            text += f"|{_rule_text(with_village)}"
        parts.append(f"{kind}={text}")
    return ",".join(parts)


def count_units(org: Org) -> list[int]:
    """The units counted under ``org``: its schools and, under a county or township, its
    villages (for the children not at a school)."""
    units = org_ids_under(org.path, OrgKind.SCHOOL)
    if org.kind in (OrgKind.COUNTY, OrgKind.TOWNSHIP):
        units += org_ids_under(org.path, OrgKind.VILLAGE)
    return units


def school_counts(org: Org, *, as_of: dt.date) -> dict[int, Counts]:
    """The counts of each unit under ``org`` (``count_units``: schools, and villages for
    the children not at a school) that count anybody on ``as_of`` (``counted``; all of its
    children: the caller checked that the reader sees them all)."""
    schools = count_units(org)
    plans = school_plans(org, as_of)
    rules = unit_rules({school: plans[school] for school in schools}, as_of)
    stamps = {school: _stamp(rules[school], plans[school].groups) for school in schools}
    kept = {
        row.school_id: row.counts
        for row in SchoolFigures.objects.filter(school__in=schools, as_of=as_of).only(
            "school_id", "rules", "counts"
        )
        if row.rules == stamps[row.school_id]
    }
    stale = [school for school in schools if school not in kept]
    if stale:
        kept |= _count_and_keep(stale, as_of=as_of, plans=plans, stamps=stamps)
    return {school: counts for school, counts in kept.items() if counted(counts)}


def _count_and_keep(
    schools: list[int], *, as_of: dt.date, plans: dict[int, CarePlan], stamps: dict[int, str]
) -> dict[int, Counts]:
    """Count ``schools`` from scratch in one grouped query and keep their rows."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                table = SchoolFigures._meta.db_table
                cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        base = Child.objects.filter(
            unit_filter(schools), care_filter(counted_groups(as_of), as_of), on_roll(as_of)
        )
        found = counts_by_school(base, as_of=as_of, plans=plans)
        empty = dict.fromkeys(COUNT_NAMES, 0)
        counted = {school: found.get(school, empty) for school in schools}
        county_codes = dict(Org.objects.filter(pk__in=schools).values_list("pk", "county_code"))
        SchoolFigures.objects.filter(school__in=schools, as_of=as_of).delete()
        SchoolFigures.objects.bulk_create(
            SchoolFigures(
                school_id=school,
                county_code=county_codes[school],
                as_of=as_of,
                rules=stamps[school],
                counts=counts,
            )
            for school, counts in counted.items()
        )
    return counted


def count_all(as_of: dt.date) -> int:
    """Count and keep every county's schools for ``as_of``; returns how many schools
    have children in care."""
    total = 0
    for county in Org.objects.filter(kind=OrgKind.COUNTY):
        total += len(school_counts(county, as_of=as_of))
    return total
