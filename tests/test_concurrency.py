"""SQLite in WAL mode with IMMEDIATE transactions and a busy timeout (settings) takes
several writing processes at once without "database is locked".

The pytest test database is in memory, so this test builds its own installation: a
temporary CARENET_HOME with the SQLite file, migrated and seeded by one process, then
written by several processes at once, each with its own Django and its own connection,
exactly like the web workers of ``carenet serve``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
import sqlite3
from pathlib import Path

WORKERS = 4
WRITES = 50


def _django_in(home: str) -> None:
    os.environ["CARENET_HOME"] = home
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("CARENET_FIELD_KEY", None)
    os.environ.pop("CARENET_FIELD_KEY_FILE", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "carenet.settings"
    import django

    django.setup()


def _seed(home: str) -> None:
    _django_in(home)
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", interactive=False, verbosity=0)
    from tests.factories import world_build

    world_build()


def _summaries(home: str) -> set[str]:
    _django_in(home)
    from carenet.care.models import CareRecord

    return {r.summary for r in CareRecord.objects.all() if r.summary.startswith("worker ")}


def _write(args: tuple[str, int]) -> tuple[int, list[str]]:
    """WRITES transactions that read, then write (a child's record and a child file edit),
    like a request under ATOMIC_REQUESTS."""
    home, number = args
    _django_in(home)
    from django.contrib.auth.models import User
    from django.db import transaction

    from carenet.care.models import CareKind, CareRecord
    from carenet.care.services import record_create
    from carenet.children.models import Child

    teacher = User.objects.get(username="teacher")
    children = list(Child.objects.order_by("pk"))
    done, errors = 0, []
    for index in range(WRITES):
        child = children[(number + index) % len(children)]
        try:
            with transaction.atomic():
                CareRecord.objects.filter(child=child).count()  # read first
                record_create(
                    actor=teacher,
                    child=child,
                    kind=CareKind.TALK,
                    date=dt.date(2026, 3, 2),
                    summary=f"worker {number} write {index}",
                )
                Child.objects.filter(pk=child.pk).update(notes=f"worker {number} write {index}")
            done += 1
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.append(f"{type(exc).__name__}: {exc}")
    return done, errors


def test_parallel_writers_never_meet_database_is_locked(tmp_path: Path):
    home = str(tmp_path / "home")
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        pool.apply_async(_seed, (home,)).get(timeout=180)
    with context.Pool(WORKERS) as pool:
        results = pool.map_async(_write, [(home, n) for n in range(WORKERS)]).get(timeout=240)

    errors = [error for _done, worker_errors in results for error in worker_errors]
    assert errors == []
    assert sum(done for done, _errors in results) == WORKERS * WRITES
    database = Path(home) / "carenet.sqlite3"
    with contextlib.closing(sqlite3.connect(database)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA page_size").fetchone()[0] == 8192  # set on creation
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with context.Pool(1) as pool:
        summaries = pool.apply_async(_summaries, (home,)).get(timeout=120)
    assert summaries == {f"worker {n} write {i}" for n in range(WORKERS) for i in range(WRITES)}
