"""Triggers that bump a unit's version (``UnitVersion``; a unit is a school, or a village
for the children not at a school) whenever a row its counts are made from changes: the
tables of ``selectors.COUNTED_TABLES``, inserted, updated or deleted, by the app, an
import, a ``QuerySet.update()`` or raw SQL. A kept count is valid only while the unit's
version is the one it was counted at (``carenet.indicators.kept``). The triggers never
touch the kept rows: a writer never waits for a reader.

SQLite: one trigger per table and event, per row. PostgreSQL: per statement, with
transition tables, so a bulk load or a ``COPY`` pays once, not per row; the units are
bumped in the order of their ids, so two writers lock them in the same order.

Created by migration 0003 and again after every ``migrate`` (``apps.py``): SQLite drops
a table's triggers when a migration rebuilds the table to alter it. Both replace what
was there (PostgreSQL's ``CREATE OR REPLACE``; on SQLite each trigger is dropped and
created). A migration that rebuilds one of these tables on SQLite runs
``drop_for_rebuild`` first and ``create_after_rebuild`` last (see ``children/0003``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from carenet.indicators.selectors import CHILD, COUNTED_TABLES, COUNTY, MEMBER, UNIT

VERSIONS = "indicators_unitversion"
CHILDREN = "children_child"
MEMBERS = "children_familymember"
ORGS = "orgs_org"
TABLES = tuple(COUNTED_TABLES)
EVENTS = ("insert", "update", "delete")


def _units(table: str, rows: str) -> str:
    """A SELECT of the ids (column ``unit``) of the units whose counts changed rows of
    ``table`` change. ``rows`` is a SQL select of one column of the changed rows (``{col}``
    is replaced by the column name): ``SELECT NEW.{col}`` on SQLite, a select from a
    transition table on PostgreSQL."""
    via = COUNTED_TABLES[table]
    if via == UNIT:
        return (
            f"SELECT unit FROM ({rows.format(col='school_id AS unit')}"
            f" UNION {rows.format(col='village_id')}) AS units"
        )
    if via == CHILD:
        return (
            f"SELECT COALESCE(school_id, village_id) AS unit FROM {CHILDREN}"
            f" WHERE id IN ({rows.format(col='child_id')})"
        )
    if via == MEMBER:
        return (
            f"SELECT COALESCE(c.school_id, c.village_id) AS unit FROM {CHILDREN} c"
            f" JOIN {MEMBERS} m ON m.child_id = c.id"
            f" WHERE m.id IN ({rows.format(col='member_id')})"
        )
    if via == COUNTY:
        return (
            f"SELECT id AS unit FROM {ORGS} WHERE kind IN ('school', 'village')"
            f" AND county_code IN ({rows.format(col='county_code')})"
        )
    raise ValueError(f"{table}: no units for {via!r}")


def bump_sql(units: str) -> str:
    """The statement bumping the version of each unit ``units`` (a SELECT of ``unit``)
    selects, in the order of their ids."""
    return (
        f"INSERT INTO {VERSIONS} (unit_id, version)"
        f" SELECT DISTINCT unit, 1 FROM ({units}) AS changed_units WHERE unit IS NOT NULL"
        f" ORDER BY unit"
        f" ON CONFLICT (unit_id) DO UPDATE SET version = {VERSIONS}.version + 1"
    )


def _sqlite(table: str, event: str) -> str:
    rows = {"insert": ("NEW",), "update": ("OLD", "NEW"), "delete": ("OLD",)}[event]
    listed = " UNION ".join(f"SELECT {row}.{{col}}" for row in rows)
    return (
        f"CREATE TRIGGER indicators_stale_{table}_{event} "
        f"AFTER {event.upper()} ON {table} "
        f"BEGIN {bump_sql(_units(table, listed))}; END"
    )


def _sqlite_drop(table: str, event: str) -> str:
    return f"DROP TRIGGER IF EXISTS indicators_stale_{table}_{event}"


def _postgres_function(table: str) -> str:
    changed = _units(table, "SELECT {col} FROM changed")
    changed_new = _units(table, "SELECT {col} FROM changed_new")
    return f"""
CREATE OR REPLACE FUNCTION indicators_stale_{table}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        {bump_sql(f"{changed} UNION {changed_new}")};
    ELSE
        {bump_sql(changed)};
    END IF;
    RETURN NULL;
END $$"""


def _postgres_trigger(table: str, event: str) -> str:
    referencing = {
        "insert": "NEW TABLE AS changed",
        "update": "OLD TABLE AS changed NEW TABLE AS changed_new",
        "delete": "OLD TABLE AS changed",
    }[event]
    return (
        f"CREATE OR REPLACE TRIGGER indicators_stale_{event} AFTER {event.upper()} ON {table} "
        f"REFERENCING {referencing} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION indicators_stale_{table}()"
    )


def statements(vendor: str) -> list[str]:
    found = []
    for table in TABLES:
        if vendor == "postgresql":
            found.append(_postgres_function(table))
        for event in EVENTS:
            if vendor == "sqlite":
                found += [_sqlite_drop(table, event), _sqlite(table, event)]
            elif vendor == "postgresql":
                found.append(_postgres_trigger(table, event))
    return found


def drop_statements(vendor: str) -> list[str]:
    found = []
    for table in TABLES:
        for event in EVENTS:
            if vendor == "sqlite":
                found.append(_sqlite_drop(table, event))
            elif vendor == "postgresql":
                found.append(f"DROP TRIGGER IF EXISTS indicators_stale_{event} ON {table}")
        if vendor == "postgresql":
            found.append(f"DROP FUNCTION IF EXISTS indicators_stale_{table}()")
    return found


def create_triggers(connection: BaseDatabaseWrapper) -> None:
    """Create (or re-create) the triggers, if the tables exist."""
    with connection.cursor() as cursor:
        if not {VERSIONS, ORGS, *TABLES} <= set(connection.introspection.table_names(cursor)):
            return
        for sql in statements(connection.vendor):
            cursor.execute(sql)


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for sql in drop_statements(connection.vendor):
            cursor.execute(sql)


def drop_for_rebuild(apps, schema_editor) -> None:
    """A migration's first operation when it rebuilds, on SQLite, a table these triggers
    name: SQLite will not rename the rebuilt ``children_child`` into place while other
    tables' triggers name it. ``create_after_rebuild`` is the last, so the triggers are
    back in the same transaction."""
    if schema_editor.connection.vendor == "sqlite":
        for sql in drop_statements("sqlite"):
            schema_editor.execute(sql)


def create_after_rebuild(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        create_triggers(schema_editor.connection)


def bump(connection: BaseDatabaseWrapper, units: Iterable[int]) -> None:
    """Bump the versions of ``units``: what the triggers do for a changed row of theirs."""
    ids = sorted(set(units))
    if not ids:
        return
    marks = ", ".join(["(%s)"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            bump_sql(f"SELECT column1 AS unit FROM (VALUES {marks}) AS given")
            if connection.vendor == "sqlite"
            else bump_sql(f"SELECT given.unit FROM (VALUES {marks}) AS given (unit)"),
            ids,
        )


@contextmanager
def suspended(
    connection: BaseDatabaseWrapper, tables: Sequence[str], schools: Iterable[int]
) -> Iterator[None]:
    """For a bulk write into ``tables`` that touches only the children of ``schools``
    (a register import): on SQLite the tables' per-row triggers are dropped for the
    writes inside and, afterwards, the versions of ``schools`` are bumped (what the
    triggers would have done) and the triggers created again.

    All in one transaction (the caller's, if there is one), so no other writer sees the
    tables without their triggers (SQLite has one writer at a time) and a failure rolls
    the drop back. A per-row trigger makes SQLite keep a statement journal for every row
    it inserts, which tripled an import's insert time. PostgreSQL's triggers run once per
    statement: nothing is suspended there.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            for table in tables:
                for event in EVENTS:
                    cursor.execute(_sqlite_drop(table, event))
        yield
        bump(connection, schools)
        with connection.cursor() as cursor:
            for table in tables:
                for event in EVENTS:
                    cursor.execute(_sqlite(table, event))
