"""The background import: the batch's status machine, claimed once."""

from __future__ import annotations

from carenet.children.models import Child
from carenet.exchange.models import ImportBatch, ImportStatus
from carenet.exchange.tasks import import_batch_process, import_batch_run
from carenet.exchange.uploads import upload_store
from tests.import_files import SIMPLE_HEADER, an_id, simple_row, xlsx


def _batch(world, data: bytes) -> ImportBatch:
    batch = ImportBatch(
        user=world.user("principal"),
        school=world.school,
        county_code=world.school.county_code,
        filename="花名册.xlsx",
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
