"""Triggers that delete a school's kept indicator counts (``SchoolFigures``; for children
not at a school, their village's) whenever a
row they were counted from changes: a child, a family member, an away period, a pairing,
a care record, a legal-aid case or a parent-school attendance or session, inserted,
updated or deleted (see ``carenet.indicators.figures``).

SQLite: one trigger per table and event, per row. PostgreSQL: per statement, with
transition tables, so a bulk load or a ``COPY`` pays once, not per row.

Created by migration 0002 and again after every ``migrate`` (``apps.py``): SQLite drops
a table's triggers when a migration rebuilds the table to alter it. Both are idempotent.
A migration that rebuilds one of these tables on SQLite runs ``drop_for_rebuild`` first
and ``create_after_rebuild`` last (see ``children/0003``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

FIGURES = "indicators_schoolfigures"
CHILDREN = "children_child"
# Tables whose rows belong to a child through ``child_id``.
CHILD_TABLES = (
    "children_familymember",
    "children_awayperiod",
    "children_pairing",
    "care_carerecord",
    "support_legalaidcase",
)
# A guardian's attendance at a parent-school session: a family member's, so a child's.
ATTENDANCE = "support_parentschoolattendance"
# A session moved to another day changes its attendees' figures: the county's rows go.
SESSIONS = "support_parentschoolsession"
TABLES = (CHILDREN, *CHILD_TABLES, ATTENDANCE, SESSIONS)
EVENTS = ("insert", "update", "delete")


def _stale(table: str, rows: str) -> str:
    """The WHERE clause selecting the kept rows made stale by changed rows of ``table``.

    ``rows`` is a SQL expression listing the changed rows' column (``{col}`` is replaced
    by the column name): ``NEW.{col}, OLD.{col}`` on SQLite, a sub-select of a
    transition table on PostgreSQL."""
    if table == CHILDREN:
        # A child not at a school is counted under their village (``figures``): the kept
        # rows of the village go too (for a school child, needlessly but harmlessly).
        return (
            f"school_id IN ({rows.format(col='school_id')})"
            f" OR school_id IN ({rows.format(col='village_id')})"
        )
    if table == SESSIONS:
        return f"county_code IN ({rows.format(col='county_code')})"
    if table == ATTENDANCE:
        return (
            f"school_id IN (SELECT COALESCE(c.school_id, c.village_id) FROM {CHILDREN} c"
            f" JOIN children_familymember m"
            f" ON m.child_id = c.id WHERE m.id IN ({rows.format(col='member_id')}))"
        )
    return (
        f"school_id IN (SELECT COALESCE(school_id, village_id) FROM {CHILDREN} WHERE id IN "
        f"({rows.format(col='child_id')}))"
    )


def _sqlite(table: str, event: str) -> str:
    rows = {"insert": ("NEW",), "update": ("OLD", "NEW"), "delete": ("OLD",)}[event]
    listed = ", ".join(f"{row}.{{col}}" for row in rows)
    return (
        f"CREATE TRIGGER IF NOT EXISTS indicators_stale_{table}_{event} "
        f"AFTER {event.upper()} ON {table} WHEN EXISTS (SELECT 1 FROM {FIGURES}) "
        f"BEGIN DELETE FROM {FIGURES} WHERE {_stale(table, listed)}; END"
    )


def _sqlite_drop(table: str, event: str) -> str:
    return f"DROP TRIGGER IF EXISTS indicators_stale_{table}_{event}"


def _postgres_function(table: str) -> str:
    changed = _stale(table, "SELECT {col} FROM changed")
    changed_new = _stale(table, "SELECT {col} FROM changed_new")
    return f"""
CREATE OR REPLACE FUNCTION indicators_stale_{table}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM {FIGURES} WHERE ({changed}) OR ({changed_new});
    ELSE
        DELETE FROM {FIGURES} WHERE {changed};
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
                found.append(_sqlite(table, event))
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
        if not {FIGURES, *TABLES} <= set(connection.introspection.table_names(cursor)):
            return
        for sql in statements(connection.vendor):
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


@contextmanager
def suspended(
    connection: BaseDatabaseWrapper, tables: Sequence[str], schools: Iterable[int]
) -> Iterator[None]:
    """For a bulk write into ``tables`` that touches only the children of ``schools``
    (a register import): on SQLite the tables' per-row triggers are dropped for the
    writes inside and, afterwards, the kept rows of ``schools`` are deleted (what the
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
        ids = sorted(set(schools))
        with connection.cursor() as cursor:
            if ids:
                marks = ", ".join(["%s"] * len(ids))
                cursor.execute(f"DELETE FROM {FIGURES} WHERE school_id IN ({marks})", ids)
            for table in tables:
                for event in EVENTS:
                    cursor.execute(_sqlite(table, event))
