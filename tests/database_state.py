"""What a register import leaves in the database, in a form two worlds can be compared by:
every concrete field of the children, their family members and away periods, the history
rows, the orgs, the import batches and the kept indicator counts, with every id replaced
by a natural key (an org's code, a user's name, a child's ID-number hash), since two
worlds give their rows different ids.

``forked(write)`` runs ``write`` in a savepoint, takes the state and rolls back: two
forks of one world are two identical fresh worlds. ``differences(a, b)`` lists every
field that differs, by path (empty when the states are equal).

Timestamps are compared as they are (freeze time, without ticking, to compare two
worlds), or with ``times=False`` only as set or not (``SET``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.db import models, transaction

from carenet.children.models import AwayPeriod, Child, FamilyMember
from carenet.exchange.models import ImportBatch
from carenet.indicators.kept import unit_versions
from carenet.indicators.models import SchoolFigures
from carenet.orgs.models import Org

State = dict[str, Any]
Row = dict[str, Any]
SET = "<a time>"  # any date and time, with ``times=False``


def database_state(*, times: bool = True) -> State:
    children = {pk: key[:16] for pk, key in Child.objects.values_list("pk", "id_number_hash")}
    members = {
        pk: (children[child_id], relation)
        for pk, child_id, relation in FamilyMember.objects.values_list("pk", "child_id", "relation")
    }
    names: dict[Any, dict[int, Any]] = {
        Org: dict(Org.objects.values_list("pk", "code")),
        User: dict(User.objects.values_list("pk", "username")),
        Child: children,
        FamilyMember: members,
    }
    child_history = Child.history.model
    member_history = FamilyMember.history.model
    periods = _rows(AwayPeriod, names, times)
    periods.sort(key=lambda r: (r["child"], r["relation"], r["start"], r["end"] or dt.date.max))
    return {
        "orgs": {row["code"]: row for row in _rows(Org, names, times)},
        "children": {row["id_number_hash"][:16]: row for row in _rows(Child, names, times)},
        "family": {
            (row["child"], row["relation"]): row for row in _rows(FamilyMember, names, times)
        },
        "away_periods": periods,
        "child_history": _by_object(_rows(child_history, names, times, tracked=children)),
        "family_history": _by_object(_rows(member_history, names, times, tracked=members)),
        "import_batches": _rows(ImportBatch, names, times),
        # The kept counts still valid (counted at their unit's current version).
        "kept_figures": sorted(
            (names[Org][school], as_of)
            for school, as_of, version in SchoolFigures.objects.values_list(
                "school_id", "as_of", "version"
            )
            if version == unit_versions([school])[school]
        ),
    }


def _rows(
    model: type[models.Model],
    names: dict[Any, dict[int, Any]],
    times: bool,
    tracked: dict[int, Any] | None = None,
) -> list[Row]:
    """Every row of ``model`` (in id order) as field name → value, without its primary
    key, foreign keys given as the natural key of the row they point to; for a history
    model (``tracked``: the natural keys of the objects it tracks) the tracked object's
    id as its natural key too. Without ``times``, a date and time is only ``SET``."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = []
    for values in model.objects.order_by("pk").values(*[f.attname for f in fields]):
        row: Row = {}
        for f in fields:
            value = values[f.attname]
            if f.is_relation and value is not None:
                value = names[f.related_model].get(value, ("not on file", value))
            elif tracked is not None and f.attname == "id":
                value = tracked.get(value, ("not on file", value))
            elif not times and isinstance(value, dt.datetime):
                value = SET
            row[f.name] = value
        rows.append(row)
    return rows


def _by_object(rows: list[Row]) -> dict[Any, list[Row]]:
    """History rows by the object they are the history of, in the order they were made."""
    grouped: dict[Any, list[Row]] = {}
    for row in rows:  # in id order
        grouped.setdefault(row["id"], []).append(row)
    return grouped


def forked(write: Callable[[], object], *, times: bool = True) -> State:
    """The database state after ``write``, which is then rolled back."""
    with transaction.atomic():
        write()
        state = database_state(times=times)
        transaction.set_rollback(True)
    return state


def differences(a: object, b: object, path: str = "") -> list[str]:
    """Where ``a`` and ``b`` differ, one line per differing value (its path, both values)."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(a.keys() | b.keys(), key=repr):
            where = f"{path}[{key!r}]"
            if key not in b:
                found.append(f"{where}: only in the first")
            elif key not in a:
                found.append(f"{where}: only in the second")
            else:
                found += differences(a[key], b[key], where)
        return found
    if isinstance(a, list) and isinstance(b, list):
        found = [f"{path}: {len(a)} rows, {len(b)} rows"] if len(a) != len(b) else []
        for n, (x, y) in enumerate(zip(a, b, strict=False)):
            found += differences(x, y, f"{path}[{n}]")
        return found
    if a == b and type(a) is type(b):
        return []
    return [f"{path}: {a!r} != {b!r}"]
