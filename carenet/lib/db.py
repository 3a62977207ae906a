"""Database helpers shared by every app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection


@contextmanager
def without_jit() -> Iterator[None]:
    """PostgreSQL's JIT off for the queries inside, then as it was. It compiles the large
    grouped counts (indicators, statistics table) for longer than they run: 1.6 s of 3 s
    for a county's indicators, 2.7 s for a 0.4 s statistics count (bench/kpi_bench.py).
    Nothing on SQLite."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        before = cursor.fetchone()[0]
        cursor.execute("SET jit = off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('jit', %s, false)", [before])
        except DatabaseError:  # a failed transaction, whose rollback undoes the SET too
            pass
