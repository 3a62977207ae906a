"""Kept counts without a lock (``carenet.indicators.kept``): the tables the counts read are
all declared (``selectors.COUNTED_TABLES``) and have the triggers that bump their units'
versions; old kept rows are purged; on PostgreSQL a reader never waits for a writer in
flight, nor a writer for a reader, and the counts stay exact."""

import datetime as dt
import re
import threading

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from carenet.care.services import record_create
from carenet.children.models import Child
from carenet.dashboards.counts import counts_by_school as chart_counts_by_school
from carenet.indicators.figures import school_counts
from carenet.indicators.kept import KEEP_DAYS, unit_versions, valid_units
from carenet.indicators.models import SchoolFigures
from carenet.indicators.selectors import (
    COUNTED_TABLES,
    NOT_COUNTED_TABLES,
    children_in_care,
    counted,
    counted_children,
    counts_by_school,
    school_plans,
)
from carenet.indicators.tasks import indicators_daily
from tests import test_indicators_speed as speed
from tests.test_indicators_speed import AS_OF, SHANGHAI

county = speed.county  # the fixture: two schools' children with every kind of record

# The machinery of the kept counts, not what they count.
KEEPING = {"indicators_schoolfigures", "dashboards_schoolchartcounts", "indicators_unitversion"}


def _tables_read(queries: list[dict]) -> set[str]:
    """The tables the captured SQL reads from (Django quotes every table name)."""
    found: set[str] = set()
    for query in queries:
        found |= set(re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', query["sql"]))
    return found - KEEPING


def _undeclared(queries: list[dict], declared) -> set[str]:
    return _tables_read(queries) - set(declared) - set(NOT_COUNTED_TABLES)


def _count_everything(world) -> list[dict]:
    """The queries of every counting of the kept counts, none kept (``county`` has
    children, families, away periods, pairings, care records, legal aid, parent school)."""
    SchoolFigures.objects.all().delete()
    with CaptureQueriesContext(connection) as captured:
        school_counts(world.county, as_of=AS_OF)
        base = counted_children(world.county, as_of=AS_OF, children=Child.objects.all())
        assert counts_by_school(base, as_of=AS_OF, plans=school_plans(world.county, AS_OF))
        assert chart_counts_by_school(Child.objects.all(), as_of=AS_OF)
    return captured.captured_queries


def test_the_counting_reads_only_declared_tables(county):
    queries = _count_everything(county)
    read = _tables_read(queries)
    assert set(COUNTED_TABLES) <= read  # the declaration is not wider than the counting
    assert _undeclared(queries, COUNTED_TABLES) == set()


def test_a_table_read_but_not_declared_is_found(county):
    """The check above fails when a count reads a table its triggers do not cover."""
    queries = _count_everything(county)
    for table in COUNTED_TABLES:
        fewer = {name: via for name, via in COUNTED_TABLES.items() if name != table}
        assert _undeclared(queries, fewer) == {table}


def _triggers_on(table: str) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [table],
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = %s::regclass",
                [table],
            )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_every_declared_table_has_its_triggers():
    for table in COUNTED_TABLES:
        assert _triggers_on(table) == 3, table  # insert, update, delete


def test_the_daily_job_purges_old_kept_rows(county):
    world = county

    def kept_on(days_before: int) -> SchoolFigures:
        return SchoolFigures.objects.create(
            school=world.other_school,
            county_code=world.other_school.county_code,
            as_of=AS_OF - dt.timedelta(days=days_before),
            rules="r",
            counts={},
        )

    old, recent = kept_on(KEEP_DAYS + 1), kept_on(KEEP_DAYS)
    with time_machine.travel(dt.datetime(2026, 11, 16, 0, 5, tzinfo=SHANGHAI), tick=False):
        indicators_daily()
    assert not SchoolFigures.objects.filter(pk=old.pk).exists()
    assert SchoolFigures.objects.filter(pk=recent.pk).exists()
    assert SchoolFigures.objects.filter(as_of=AS_OF).exists()


def test_a_unit_never_changed_is_version_0_and_each_change_bumps_it(world):
    child = children_in_care(world.school, as_of=AS_OF, children=Child.objects.all()).first()
    before = unit_versions([world.school.pk, world.other_school.pk])
    Child.objects.filter(pk=child.pk).update(notes="改")
    after = unit_versions([world.school.pk, world.other_school.pk])
    assert after[world.school.pk] > before[world.school.pk]
    assert after[world.other_school.pk] == before[world.other_school.pk]


# PostgreSQL: a second connection in flight.

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has one writer at a time"
)


def _scratch(world) -> dict:
    base = counted_children(world.county, as_of=AS_OF, children=Child.objects.all())
    found = counts_by_school(base, as_of=AS_OF, plans=school_plans(world.county, AS_OF))
    return {unit: counts for unit, counts in found.items() if counted(counts)}


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_reader_does_not_wait_for_a_writer_in_flight_and_stays_exact(world):
    import psycopg

    school = world.school.pk
    child = (
        children_in_care(world.school, as_of=AS_OF, children=Child.objects.all())
        .exclude(immunization="complete")
        .first()
    )
    assert child is not None
    before = school_counts(world.county, as_of=AS_OF)
    settings = connection.settings_dict
    writer = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    try:
        # In flight: written, its trigger run (the school's version row locked), not
        # committed.
        writer.execute(
            "UPDATE children_child SET immunization = 'complete' WHERE id = %s", [child.pk]
        )
        SchoolFigures.objects.all().delete()  # the reader must count and keep
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
            during = school_counts(world.county, as_of=AS_OF)  # does not raise
        assert during == before  # the writer's change is not committed
        assert valid_units(SchoolFigures, [school], as_of=AS_OF) == {school}
        writer.commit()
    finally:
        writer.close()
    # Counted without the change, kept under the version read: not valid any more.
    assert valid_units(SchoolFigures, [school], as_of=AS_OF) == set()
    after = school_counts(world.county, as_of=AS_OF)
    assert after[school]["immunized"] == before[school]["immunized"] + 1
    assert after == _scratch(world)
    assert valid_units(SchoolFigures, [school], as_of=AS_OF) == {school}


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_writer_does_not_wait_for_a_reader_in_flight(world):
    teacher = world.user("teacher")
    child = children_in_care(world.school, as_of=AS_OF, children=Child.objects.all()).first()
    written: list = []

    def write() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '1s'")
                written.append(
                    record_create(
                        actor=teacher, child=child, kind="talk", date=AS_OF, summary="谈心"
                    )
                )
        except Exception as exc:  # noqa: BLE001 (reported below)
            written.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        # A reader that has just counted and kept the rows, its transaction still open.
        school_counts(world.county, as_of=AS_OF)
        assert SchoolFigures.objects.filter(school=world.school).exists()
        thread = threading.Thread(target=write)
        thread.start()
        thread.join(timeout=10)
        assert not thread.is_alive()
    assert len(written) == 1 and not isinstance(written[0], Exception), written
    # The reader's rows, kept under the version it read before the writer's bump, are
    # not valid; the next read counts the talk.
    assert valid_units(SchoolFigures, [world.school.pk], as_of=AS_OF) == set()
    assert school_counts(world.county, as_of=AS_OF) == _scratch(world)
