"""The background job of a web import: claim a pending batch, validate, commit.

The web view stores the upload as a ``pending`` ImportBatch and queues
``import_batch_run`` with ``import_batch_enqueue`` once its transaction has committed.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import db_task

from carenet.exchange.importer import RegisterError, import_commit, import_preview
from carenet.exchange.models import ImportBatch, ImportStatus

log = logging.getLogger(__name__)


def import_batch_process(batch_id: int) -> None:
    """pending → processing → complete | failed. A batch not pending is left alone."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.PROCESSING
    )
    if not claimed:
        return
    batch = ImportBatch.objects.select_related("school", "user").get(pk=batch_id)

    def progress(done: int, total: int) -> None:
        # Visible to the progress bar only outside the commit's transaction (validation).
        if not transaction.get_connection().in_atomic_block:
            ImportBatch.objects.filter(pk=batch_id).update(processed=done, total=total)

    try:
        with batch.file.open("rb") as handle:
            data = handle.read()
        preview = import_preview(
            data=data,
            filename=batch.filename,
            school=batch.school,
            user=batch.user,
            progress=progress,
        )
        ImportBatch.objects.filter(pk=batch_id).update(total=len(preview.rows))
        import_commit(
            preview=preview, school=batch.school, actor=batch.user, batch=batch, progress=progress
        )
    except RegisterError as exc:
        _fail(batch_id, str(exc))
    except Exception as exc:  # recorded on the batch; the user sees a failed import
        log.exception("import batch %s failed", batch_id)
        _fail(batch_id, f"{type(exc).__name__}: {exc}")


def _fail(batch_id: int, message: str) -> None:
    ImportBatch.objects.filter(pk=batch_id).update(
        status=ImportStatus.FAILED, error=message, finished_at=timezone.now()
    )


@db_task()
def import_batch_run(batch_id: int) -> None:
    import_batch_process(batch_id)


def import_batch_enqueue(batch: ImportBatch) -> None:
    """Queue the batch's job once the current transaction has committed."""
    transaction.on_commit(lambda: import_batch_run(batch.pk))
