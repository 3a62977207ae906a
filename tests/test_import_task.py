"""The background import: the batch's status machine, claimed once."""

from __future__ import annotations

from carenet.children.models import Child
from carenet.exchange.models import ImportBatch, ImportStatus
from carenet.exchange.progress import job_progress_get
from carenet.exchange.tasks import import_batch_process, import_batch_run
from carenet.exchange.uploads import upload_store
from tests.import_files import SIMPLE_HEADER, an_id, simple_row, xlsx


def _batch(world, data: bytes, status: str = ImportStatus.QUEUED) -> ImportBatch:
    """A batch confirmed by its user (queued), unless told otherwise."""
    batch = ImportBatch(
        user=world.user("principal"),
        school=world.school,
        county_code=world.school.county_code,
        filename="花名册.xlsx",
        status=status,
    )
    upload_store(batch=batch, data=data)
    batch.save()
    return batch


def test_a_pending_batch_runs_to_complete_with_its_counts(world):
    batch = _batch(world, xlsx([SIMPLE_HEADER, simple_row(1, "甲", an_id()), ["填表人：王"]]))
    import_batch_run(batch.pk)  # huey runs at once in the tests
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMPLETE
    assert (batch.created, batch.skipped, batch.processed, batch.total) == (1, 1, 2, 2)
    assert batch.finished_at and Child.objects.filter(name="甲").exists()


def test_a_batch_nobody_confirmed_is_not_run(world):
    batch = _batch(world, xlsx([SIMPLE_HEADER, simple_row(1, "甲", an_id())]), ImportStatus.PENDING)
    import_batch_process(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PENDING and not Child.objects.filter(name="甲").exists()


def test_a_batch_already_claimed_is_not_run_twice(world):
    batch = _batch(world, xlsx([SIMPLE_HEADER, simple_row(1, "甲", an_id())]))
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.PROCESSING)
    import_batch_process(batch.pk)
    assert not Child.objects.filter(name="甲").exists()


def test_a_file_that_is_not_a_register_fails_the_batch_with_its_message(world):
    batch = _batch(world, b"just some text")
    import_batch_process(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED and "Excel" in batch.error
    assert batch.file.name == "" and job_progress_get(batch_id=batch.pk) is None


def test_the_counts_of_the_commit_are_kept_with_the_rows_left_unchanged(world):
    first = an_id()
    import_batch_process(_batch(world, xlsx([SIMPLE_HEADER, simple_row(1, "甲", first)])).pk)
    rows = [SIMPLE_HEADER, simple_row(1, "甲", first), simple_row(2, "乙", an_id())]
    batch = _batch(world, xlsx(rows))
    import_batch_process(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMPLETE, batch.error
    assert (batch.created, batch.updated, batch.unchanged, batch.rejected) == (1, 0, 1, 0)
    assert batch.summary["unchanged"] == 1  # what the job found, in place of the preview
