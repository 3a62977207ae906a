"""The background jobs of web imports: run a confirmed batch; close abandoned uploads.

The web view stores the upload as a ``pending`` ImportBatch and queues
``import_batch_run`` with ``import_batch_enqueue`` once its transaction has committed.
In production the job runs in the queue worker (``run_huey``, a process of its own that
``carenet serve`` starts), not in a web server worker; the upload was read once in a
child process when it was uploaded (``carenet.exchange.uploads.register_probe``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from carenet.exchange.importer import RegisterError, import_commit, import_preview
from carenet.exchange.mapping import summary_choices
from carenet.exchange.models import ImportBatch, ImportStatus
from carenet.exchange.uploads import (
    import_uploads_expire,
    preview_summary,
    upload_delete,
    upload_read,
)

log = logging.getLogger(__name__)


def import_batch_process(batch_id: int) -> None:
    """pending → processing → complete | failed. A batch not pending is left alone. The
    upload is deleted whatever the outcome."""
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
        data = upload_read(batch=batch)
        preview = import_preview(
            data=data,
            filename=batch.filename,
            school=batch.school,
            user=batch.user,
            progress=progress,
            mapping=summary_choices(batch.summary),  # the columns as the preview mapped them
        )
        del data
        ImportBatch.objects.filter(pk=batch_id).update(
            total=len(preview.rows), summary=preview_summary(preview)
        )
        batch.summary = preview_summary(preview)
        import_commit(
            preview=preview, school=batch.school, actor=batch.user, batch=batch, progress=progress
        )
    except RegisterError as exc:
        _fail(batch_id, str(exc))
    except Exception as exc:  # recorded on the batch; the user sees a failed import
        log.exception("import batch %s failed", batch_id)
        _fail(batch_id, f"{type(exc).__name__}: {exc}")
    finally:
        upload_delete(batch=batch)


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


# Every hour: uploads pending longer than settings.IMPORT_UPLOAD_HOURS are deleted.
@db_periodic_task(crontab(minute="35"))
def import_uploads_expire_hourly() -> str:
    return import_uploads_expire(now=timezone.now(), hours=settings.IMPORT_UPLOAD_HOURS).describe()
