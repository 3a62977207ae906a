"""The background jobs of web imports: run a confirmed batch; close abandoned uploads.

The web view stores the upload as a ``pending`` ImportBatch; 确认导入 makes it ``queued``
(``carenet.exchange.uploads.import_batch_confirm``) and queues ``import_batch_run`` with
``import_batch_enqueue`` once its transaction has committed. In production the job runs
in the queue worker (``run_huey``, a process of its own that ``carenet serve`` starts),
not in a web server worker; the upload was read once in a child process when it was
uploaded (``carenet.exchange.uploads.register_probe``). The job reports its stage and
rows to the status page (``carenet.exchange.progress``).

The job checks the rows again before writing them: the children on file may have
changed since the preview (another import, an edit), and what it writes is what it
finds then. The preview page and the error workbook never check the file again.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from carenet.exchange.importer import RegisterError, import_commit, import_preview
from carenet.exchange.mapping import summary_choices
from carenet.exchange.models import ImportBatch, ImportStatus
from carenet.exchange.progress import Stage, job_progress_clear, job_progress_put
from carenet.exchange.uploads import (
    import_uploads_expire,
    preview_summary,
    upload_delete,
    upload_read,
)

log = logging.getLogger(__name__)


def import_batch_process(batch_id: int) -> None:
    """queued → processing → complete | failed. A batch not queued is left alone. The
    upload is deleted whatever the outcome; a failure writes nothing (the commit is one
    transaction) and leaves a Chinese sentence on the batch."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.PROCESSING
    )
    if not claimed:
        return
    batch = ImportBatch.objects.select_related("school", "user").get(pk=batch_id)

    def reporter(stage: Stage):
        def report(done: int, total: int) -> None:
            job_progress_put(batch_id=batch_id, stage=stage, done=done, total=total)

        return report

    try:
        data = upload_read(batch=batch)
        preview = import_preview(
            data=data,
            filename=batch.filename,
            school=batch.school,
            user=batch.user,
            progress=reporter(Stage.CHECKING),
            mapping=summary_choices(batch.summary),  # the columns as the preview mapped them
        )
        del data
        summary = preview_summary(preview)
        ImportBatch.objects.filter(pk=batch_id).update(total=len(preview.rows), summary=summary)
        batch.summary = summary
        batch.unchanged = preview.unchanged  # saved with the commit's counts
        changes = preview.created + preview.updated
        job_progress_put(batch_id=batch_id, stage=Stage.WRITING, done=0, total=changes)
        import_commit(
            preview=preview,
            school=batch.school,
            actor=batch.user,
            batch=batch,
            progress=reporter(Stage.WRITING),
        )
    except RegisterError as exc:
        _fail(batch_id, str(exc))
    except Exception:  # recorded on the batch; the user sees a failed import, no traceback
        log.exception("import batch %s failed", batch_id)
        _fail(batch_id, _("处理时出现意外错误。请稍后重新上传；如果仍然出错，请联系管理员。"))
    finally:
        upload_delete(batch=batch)
        job_progress_clear(batch_id=batch_id)


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
