"""The fast writer: bulk rows of prepared values (``executemany`` on SQLite, ``COPY``
on PostgreSQL) with their django-simple-history rows copied by the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection

from carenet.children.models import AwayPeriod, Child, FamilyMember
from carenet.exchange.importer.matching import chunks_of
from carenet.exchange.importer.validate import RowPlan
from carenet.lib.crypto import blind_indexer, encrypt_many
from carenet.lib.names import name_pinyin
from carenet.orgs.models import Org, OrgKind

# A first import of at least this many children into (nearly) empty tables drops the
# tables' secondary indexes and builds them again at the end, in the same transaction
# (SQLite only): building an index from sorted data is several times cheaper than
# inserting 450,000 rows into a dozen random-order B-trees.
BULK_LOAD_MIN = 5000
BULK_TABLES = (Child, FamilyMember, AwayPeriod)
# The import connection's page cache while it writes (SQLite; KiB, the PRAGMA's
# negative form): the default 2 MB spills pages to the WAL mid-transaction.
_SQLITE_CACHE_KIB = 16384


@dataclass
class ModelSpec:
    """How ``RawWriter`` turns a model's values into database values."""

    attnames: list[str]
    columns: list[str]
    defaults: list[Any]  # database values, by column
    encrypted: list[str]  # EncryptedCharField attnames, encrypted in one batch
    preps: list[tuple[str, Callable[[Any], Any]]]  # other conversions, by attname


class DatabaseRows(NamedTuple):
    columns: list[str]  # the columns of ``rows``
    rows: list[tuple]
    fixed: dict[str, Any]  # column → the value it has in every row


class RawWriter:
    """Bulk writes of prepared rows through Django's connection (and its transaction).

    A model's rows are dicts ``attname → value``, turned into database values column by
    column (``database_rows``: encrypted fields in one ``crypto.encrypt_many`` batch,
    dates and datetimes through the backend's adapters); missing fields take the model's
    default, as the model's constructor would. New rows get their primary keys here,
    before they are written (``allocate_ids``), so nothing has to be read back; their
    history rows are copied by the database from the rows written (``copy_history``: the
    same ciphertext).
    """

    def __init__(self, now: dt.datetime, user_id: int | None, reason: str) -> None:
        self.connection = connection
        self.blind_index = blind_indexer()
        self.ops = connection.ops
        self.postgres = connection.vendor == "postgresql"
        self.now = now
        self.now_db = self.ops.adapt_datetimefield_value(now)
        self.user_id = user_id
        self.reason = reason
        self._specs: dict[type, ModelSpec] = {}
        self._literals: dict[tuple[type, object], str] = {}
        self._sequences: dict[type, str] = {}
        self.pinyin: dict[str, tuple[str, str]] = {}

    # ---------------------------------------------------------------- values

    def _spec(self, model) -> ModelSpec:
        spec = self._specs.get(model)
        if spec is not None:
            return spec
        from django.db import models

        from carenet.lib.crypto import EncryptedCharField, EncryptedJSONField

        spec = self._specs[model] = ModelSpec([], [], [], [], [])
        for f in model._meta.concrete_fields:
            default = None if f.primary_key else f.get_default()
            if default is not None:
                default = f.get_db_prep_save(default, self.connection)
            if isinstance(default, str):
                default = str(default)  # a TextChoices member → plain text
            spec.attnames.append(f.attname)
            spec.columns.append(f.column)
            spec.defaults.append(default)
            if isinstance(f, EncryptedJSONField):
                spec.preps.append((f.attname, f.get_prep_value))
            elif isinstance(f, EncryptedCharField):
                spec.encrypted.append(f.attname)
            elif isinstance(f, models.DateTimeField):
                spec.preps.append((f.attname, self.ops.adapt_datetimefield_value))
            elif isinstance(f, models.DateField):
                spec.preps.append((f.attname, self.ops.adapt_datefield_value))
            elif not isinstance(
                f,
                models.CharField
                | models.TextField
                | models.BooleanField
                | models.IntegerField
                | models.ForeignKey,
            ):
                spec.preps.append(
                    (f.attname, lambda v, f=f: f.get_db_prep_save(v, self.connection))  # type: ignore[misc]  # a default-bound lambda
                )
        return spec

    def database_rows(
        self, model, rows: list[dict[str, Any]], constants: dict[str, Any] | None = None
    ) -> DatabaseRows:
        """The database values of objects given as ``rows`` dicts (``attname → value``;
        converted in place).

        Missing fields take the model's default, as the model's constructor would give
        them; ``constants`` are database values shared by every row (the timestamps).
        Columns that no row states and the constants come back once, as ``fixed``,
        not in every row: SQLite binds each parameter of each row, and a register's
        rows leave half of the columns at their defaults. Work is done column by
        column: the encrypted fields of all the rows are encrypted in one
        ``encrypt_many`` call."""
        spec = self._spec(model)
        for attname, prep in spec.preps:
            for row in rows:
                value = row.get(attname)
                if value is not None:
                    row[attname] = prep(value)
        for attname in spec.encrypted:
            present = [row for row in rows if row.get(attname) not in (None, "")]
            tokens = encrypt_many([str(row[attname]) for row in present])
            for row, token in zip(present, tokens, strict=True):
                row[attname] = token
        constants = constants or {}
        stated = set().union(*rows) - set(constants)
        attnames, columns, defaults, fixed = [], [], [], {}
        for attname, column, default in zip(
            spec.attnames, spec.columns, spec.defaults, strict=True
        ):
            if attname in stated:
                attnames.append(attname)
                columns.append(column)
                defaults.append(default)
            else:
                fixed[column] = constants.get(attname, default)
        values = [tuple(map(row.get, attnames, defaults)) for row in rows]
        return DatabaseRows(columns, values, fixed)

    def prepare_instance(self, obj) -> dict[str, Any]:
        """An object's database values by attname."""
        spec = self._spec(type(obj))
        prepared = self.database_rows(type(obj), [{a: getattr(obj, a) for a in spec.attnames}])
        return dict(zip(spec.attnames, prepared.rows[0], strict=True))

    # ---------------------------------------------------------------- statements

    def allocate_ids(self, model, n: int) -> list[int]:
        """``n`` primary keys for new rows of ``model``, taken before they are written.

        PostgreSQL: from the table's sequence (safe beside other writers). SQLite: after
        the highest id ever used (AUTOINCREMENT's ``sqlite_sequence``); the import's
        transaction holds SQLite's only write lock, so no one else takes them.
        """
        if n <= 0:
            return []
        meta = model._meta
        with self.connection.cursor() as cursor:
            if self.postgres:
                sequence = self._sequences.get(model)
                if sequence is None:
                    cursor.execute(
                        "SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column]
                    )
                    sequence = self._sequences[model] = cursor.fetchone()[0]
                cursor.execute(  # the regclass is resolved once, not once per id
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, n]
                )
                return sorted(row[0] for row in cursor.fetchall())
            quote = self.ops.quote_name
            cursor.execute(f"SELECT max({quote(meta.pk.column)}) FROM {quote(meta.db_table)}")
            highest = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [meta.db_table])
            row = cursor.fetchone()
            start = max(highest, row[0] if row else 0) + 1
        return list(range(start, start + n))

    def insert(self, model, prepared: DatabaseRows) -> None:
        """Insert ``database_rows``, their primary keys included (``allocate_ids``)."""
        if not prepared.rows:
            return
        table = self.ops.quote_name(model._meta.db_table)
        columns = prepared.columns + list(prepared.fixed)
        names = ", ".join(self.ops.quote_name(c) for c in columns)
        with self.connection.cursor() as cursor:
            if self.postgres:
                shared = tuple(prepared.fixed.values())
                raw = cursor.cursor  # psycopg 3: COPY, the fast way into PostgreSQL
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in prepared.rows:
                        copy.write_row(row + shared)
            else:
                marks = ["%s"] * len(prepared.columns)
                marks += [self._literal(cursor, v) for v in prepared.fixed.values()]
                sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(marks)})"
                cursor.executemany(sql, prepared.rows)

    def _literal(self, cursor, value: object) -> str:
        """``value`` as an SQLite literal, quoted by SQLite itself (``quote()``)."""
        key = (type(value), value)
        literal = self._literals.get(key)
        if literal is None:
            cursor.execute("SELECT quote(%s)", [value])
            literal = self._literals[key] = cursor.fetchone()[0]
        return literal.replace("%", "%%")  # Django's cursor formats %s

    def create(
        self, model, rows: list[dict[str, Any]], constants: dict[str, Any] | None = None
    ) -> None:
        """Insert new objects (``database_rows``' input) with ``insert_new``."""
        if rows:
            self.insert_new(model, self.database_rows(model, rows, constants))

    def insert_new(self, model, prepared: DatabaseRows) -> None:
        """Insert the ``database_rows`` of new objects, with their '+' history rows if the
        model keeps history. Rows without an id are given one here (``allocate_ids``)."""
        if not prepared.rows:
            return
        columns = prepared.columns
        if "id" in columns:
            at = columns.index("id")
            ids = [row[at] for row in prepared.rows]
        else:
            ids = self.allocate_ids(model, len(prepared.rows))
            rows = [(pk, *row) for pk, row in zip(ids, prepared.rows, strict=True)]
            fixed = {c: v for c, v in prepared.fixed.items() if c != "id"}  # no id stated
            prepared = DatabaseRows(["id", *columns], rows, fixed)
        self.insert(model, prepared)
        if hasattr(model, "history"):
            self.copy_history(model, ids, "+")

    def copy_history(self, model, ids: list[int], history_type: str) -> None:
        """One django-simple-history row per object, copied by the database from the rows
        of ``ids`` as they are now, with the date, the user and the change reason."""
        from django.conf import settings

        if not ids or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            return
        quote = self.ops.quote_name
        historical = model.history.model
        tracked = [f.attname for f in historical.tracked_fields]
        source = ", ".join(quote(model._meta.get_field(a).column) for a in tracked)
        columns = [quote(historical._meta.get_field(a).column) for a in tracked]
        columns += ["history_date", "history_change_reason", "history_type", "history_user_id"]
        head = (
            f"INSERT INTO {quote(historical._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {source}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
            f"WHERE {quote(model._meta.pk.column)} "
        )
        extra = [self.now_db, self.reason, history_type, self.user_id]
        ordered = sorted(ids)
        with self.connection.cursor() as cursor:
            if ordered[-1] - ordered[0] + 1 == len(ordered):  # a block of new rows
                cursor.execute(
                    head + "BETWEEN %s AND %s ORDER BY 1", [*extra, ordered[0], ordered[-1]]
                )
            elif self.postgres:
                cursor.execute(head + "= ANY(%s) ORDER BY 1", [*extra, ordered])
            else:
                size = max(1, (self.connection.features.max_query_params or 999) - len(extra))
                for chunk in chunks_of(ordered, size):
                    marks = ", ".join(["%s"] * len(chunk))
                    cursor.execute(head + f"IN ({marks}) ORDER BY 1", [*extra, *chunk])

    def update(self, model, fields: list[str], rows: list[tuple]) -> None:
        """``rows`` are (value of each field…, pk)."""
        if not rows:
            return
        quote = self.ops.quote_name
        meta = model._meta
        sets = ", ".join(f"{quote(meta.get_field(f).column)} = %s" for f in fields)
        sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    @contextmanager
    def bulk_load(self, new_children: int) -> Iterator[None]:
        """Around the writes of an import: on SQLite a bigger page cache for this
        connection, and for a large first import (``BULK_LOAD_MIN``) the secondary
        indexes of the tables still smaller than the import dropped and built again at
        the end. It all happens inside the import's transaction: if the import fails,
        the rollback restores the indexes with everything else."""
        if self.postgres:
            yield
            return
        tables = []
        for model in BULK_TABLES:
            tables.append(model._meta.db_table)
            history = getattr(model, "history", None)
            if history is not None:
                tables.append(history.model._meta.db_table)
        rebuild: list[tuple[str, str]] = []
        with self.connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            cache_size = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
            if new_children >= BULK_LOAD_MIN:
                quote = self.ops.quote_name
                for table in tables:
                    cursor.execute(f"SELECT max(rowid) FROM {quote(table)}")
                    if (cursor.fetchone()[0] or 0) >= new_children:
                        continue  # a table this size keeps its indexes
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                        "AND tbl_name = %s AND sql IS NOT NULL ORDER BY name",
                        [table],
                    )
                    for name, sql in cursor.fetchall():
                        if not sql.lstrip().upper().startswith("CREATE UNIQUE"):
                            rebuild.append((name, sql))
                for name, _sql in rebuild:
                    cursor.execute(f"DROP INDEX {quote(name)}")
        try:
            yield
            with self.connection.cursor() as cursor:
                for _name, sql in rebuild:
                    cursor.execute(sql)
        finally:
            with self.connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")

    def member_row(self, child_id: int, relation: str, stated: dict[str, Any]) -> dict[str, Any]:
        """A new family member's fields (``create``'s input), with its ID number's index."""
        row = dict(stated, child_id=child_id, relation=relation)
        row["id_number_hash"] = self.blind_index(stated.get("id_number") or "")
        return row

    def name_pinyin(self, name: str) -> tuple[str, str]:
        cached = self.pinyin.get(name)
        if cached is None:
            cached = self.pinyin[name] = name_pinyin(name)
        return cached


def created_rows(
    plans: list[RowPlan],
    child_ids: list[int],
    school: Org,
    classes: dict[tuple[str, str], int],
    writer: RawWriter,
    derived_start: dt.date,
) -> list[tuple[type, DatabaseRows]]:
    """The database rows of new children (with their ids, ``child_ids``), of their family
    members and of their away periods (without ids: ``RawWriter.insert_new`` gives
    them). A function of its arguments alone: a helper process may compute it."""
    children: list[dict[str, Any]] = []
    at_school = school.kind != OrgKind.VILLAGE  # else filed under the village, no class
    for plan, pk in zip(plans, child_ids, strict=True):
        assert plan.place is not None or not at_school  # rejected by the preview otherwise
        values = dict(plan.child_values, id=pk)
        values["name_pinyin"], values["name_initials"] = writer.name_pinyin(values["name"])
        values["school_class_id"] = (
            classes[plan.place] if at_school and plan.place is not None else None
        )
        values["id_number_hash"] = plan.id_hash
        children.append(values)
    shared = {"county_code": school.county_code}
    stamps = {**shared, "school_id": school.pk if at_school else None}
    stamps["created_at"] = writer.now_db
    stamps["updated_at"] = writer.now_db
    members: list[dict[str, Any]] = []
    periods: list[dict[str, Any]] = []
    for plan, pk in zip(plans, child_ids, strict=True):
        for relation, stated in plan.family.items():
            members.append(writer.member_row(pk, relation, stated))
        for relation, start in plan.away.items():
            periods.append(period_row(pk, relation, start))
        for relation in sorted(plan.derived_away):
            periods.append(period_row(pk, relation, derived_start))
    return [
        (Child, writer.database_rows(Child, children, stamps)),
        (FamilyMember, writer.database_rows(FamilyMember, members, shared)),
        (AwayPeriod, writer.database_rows(AwayPeriod, periods, shared)),
    ]


def period_row(child_id: int, relation: str, start: dt.date) -> dict[str, Any]:
    """A new away period's fields (``RawWriter.create``'s input)."""
    return {"child_id": child_id, "relation": relation, "start": start}


def write_changes(
    plans: list[RowPlan], classes: dict[tuple[str, str], int], writer: RawWriter
) -> None:
    """Update children on file (``plans`` of children that exist) and their family members
    and away periods, with history rows for what changed."""
    groups: dict[tuple[str, ...], list[tuple]] = {}
    updated: list[int] = []
    for plan in plans:
        child = plan.existing
        assert child is not None  # plans of children on file
        if not plan.child_changes:
            continue
        changed: set[str] = {"updated_at"}
        for f, v in plan.child_changes.items():
            if f == "school_class":
                child.school_class_id = classes[v]
                changed.add("school_class_id")
            else:
                setattr(child, f, v)
                changed.add(f)
        if "name" in plan.child_changes:
            child.name_pinyin, child.name_initials = writer.name_pinyin(child.name)
            changed |= {"name_pinyin", "name_initials"}
        child.updated_at = writer.now
        prepared = writer.prepare_instance(child)
        fields = tuple(sorted(changed))
        groups.setdefault(fields, []).append(tuple(prepared[f] for f in fields) + (prepared["id"],))
        updated.append(child.pk)
    for fields, rows in groups.items():
        writer.update(Child, list(fields), rows)
    writer.copy_history(Child, updated, "~")

    new_members: list[dict[str, Any]] = []
    member_groups: dict[tuple[str, ...], list[tuple]] = {}
    changed_members: list[int] = []
    new_periods: list[dict[str, Any]] = []
    moved_periods: list[tuple] = []
    existing_members: dict[tuple[int, str], FamilyMember] = {}
    wanted = [p.existing.pk for p in plans if p.family_changes and p.existing is not None]
    for ids in chunks_of(wanted):
        for member in FamilyMember.objects.filter(child_id__in=ids):
            existing_members[(member.child_id, member.relation)] = member
    blind_index = writer.blind_index
    for plan in plans:
        child = plan.existing
        assert child is not None  # plans of children on file
        for relation, values in (plan.family_changes or {}).items():
            member = existing_members.get((child.pk, relation))
            if member is None:
                row = writer.member_row(child.pk, relation, values)
                row["county_code"] = child.county_code
                new_members.append(row)
                continue
            fields = set(values)
            for f, v in values.items():
                setattr(member, f, v)
            if "id_number" in values:
                member.id_number_hash = blind_index(member.id_number or "")
                fields.add("id_number_hash")
            prepared = writer.prepare_instance(member)
            names = tuple(sorted(fields))
            member_groups.setdefault(names, []).append(
                tuple(prepared[f] for f in names) + (prepared["id"],)
            )
            changed_members.append(member.pk)
        for relation, start, period in plan.away_ops or []:
            if period is None:
                row = period_row(child.pk, relation, start)
                row["county_code"] = child.county_code
                new_periods.append(row)
            else:
                moved_periods.append((writer.ops.adapt_datefield_value(start), period.pk))
    writer.create(FamilyMember, new_members)
    writer.create(AwayPeriod, new_periods)
    for names, rows in member_groups.items():
        writer.update(FamilyMember, list(names), rows)
    writer.copy_history(FamilyMember, changed_members, "~")
    writer.update(AwayPeriod, ["start"], moved_periods)
