"""Kept per-school counts of the indicators (``SchoolFigures``): read-through, exact.

``school_counts(org, as_of=…)`` answers each school's counts under a county, township or
school from the kept rows, and counts the schools without a valid row from scratch
(``selectors.counts_by_school``, one grouped query for all of them) and keeps them
(``kept.read_through``, which says why it is exact without a lock).

A kept row stops being valid when

- a row its school's counts are made from changes (``selectors.COUNTED_TABLES``: the
  child, a family member, an away period, a pairing, a care record, …): the database
  triggers bump the school's version (``triggers.py``);
- the plan in force at the school changes how a counted task kind is scheduled, or for
  whom (its care groups): each row stores the task rules and care groups it was
  counted under (``rules``) and is used only while they are the plan's.

Nothing else enters the counts, so a kept row always equals a count from scratch
(tests/test_indicators_speed.py, tests/test_kept_counts.py).

The daily queue job ``indicators_daily`` (``tasks.py``) counts every county for the new
day, so the first reader of the day does not wait, and deletes the rows of past days.
"""

from __future__ import annotations

import datetime as dt
import zlib

from carenet.care.selectors import care_filter
from carenet.children.access import operator_scope
from carenet.children.selectors import on_roll
from carenet.indicators.kept import read_through
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
    empty = dict.fromkeys(COUNT_NAMES, 0)

    def count(stale: list[int]) -> dict[int, Counts]:
        # Kept counts are every child's of the unit: read only by those who see it whole.
        base = (
            operator_scope("kept counts")
            .children()
            .filter(unit_filter(stale), care_filter(counted_groups(as_of), as_of), on_roll(as_of))
        )
        found = counts_by_school(base, as_of=as_of, plans=plans)
        return {school: found.get(school, empty) for school in stale}

    kept = read_through(SchoolFigures, schools, as_of=as_of, rules=stamps, count=count)
    return {school: counts for school, counts in kept.items() if counted(counts)}


def count_all(as_of: dt.date) -> int:
    """Count and keep every county's schools for ``as_of``; returns how many schools
    have children in care."""
    total = 0
    for county in Org.objects.filter(kind=OrgKind.COUNTY):
        total += len(school_counts(county, as_of=as_of))
    return total
