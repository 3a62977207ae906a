"""How far a web import's job has got, for its status page.

The job writes the rows in one transaction (all or nothing): what it has written is
invisible to the web workers until it commits, and on SQLite no other connection may
write meanwhile. So the job reports its stage and row count through the queue's own
key-value store (huey's storage: a SQLite file of its own, or Redis; shared by the web
workers and the queue worker; in memory when the tests run jobs at once), and the status
page reads it there. Only numbers are stored, never a cell. Best effort: a report that
cannot be stored is logged and the import goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _
from huey.contrib.djhuey import HUEY

from carenet.exchange.models import ImportBatch, ImportStatus

log = logging.getLogger(__name__)


class Stage(StrEnum):
    CHECKING = "checking"  # the rows checked again against the children on file now
    WRITING = "writing"  # the good rows written (one transaction)


@dataclass(frozen=True)
class JobProgress:
    stage: Stage
    done: int
    total: int


def _key(batch_id: int) -> str:
    return f"carenet:import-progress:{batch_id}"


def job_progress_put(*, batch_id: int, stage: Stage, done: int, total: int) -> None:
    """Record how far the batch's job has got (replacing the previous report)."""
    try:
        HUEY.put(_key(batch_id), (stage.value, done, total))
    except Exception:  # the queue's store is down: the import itself goes on
        log.warning("import batch %s: progress not recorded", batch_id, exc_info=True)


def job_progress_get(*, batch_id: int) -> JobProgress | None:
    """The job's last report, or None (not started, finished, or the store unreadable)."""
    try:
        value = HUEY.get(_key(batch_id), peek=True)
    except Exception:
        log.warning("import batch %s: progress not readable", batch_id, exc_info=True)
        return None
    if value is None:
        return None
    stage, done, total = value
    return JobProgress(Stage(stage), int(done), int(total))


def job_progress_clear(*, batch_id: int) -> None:
    try:
        HUEY.delete(_key(batch_id))
    except Exception:
        log.warning("import batch %s: progress not cleared", batch_id, exc_info=True)


@dataclass(frozen=True)
class BatchProgress:
    """What the status page shows of a batch: a sentence for its stage, and the rows
    done of the stage's total when they are known (else a spinner)."""

    batch: ImportBatch
    stage: str
    done: int | None = None
    total: int | None = None

    @property
    def percent(self) -> int | None:
        if self.batch.status == ImportStatus.COMPLETE:
            return 100
        if self.done is None or not self.total:
            return None
        return min(99, round(100 * self.done / self.total))

    @property
    def bar(self) -> int:
        """The bar's width class, in steps of 5 % (the pages carry no inline style)."""
        return 5 * round((self.percent or 0) / 5)


def batch_progress(batch: ImportBatch) -> BatchProgress:
    """The status page's view of a batch that is not pending any more."""
    if batch.status == ImportStatus.QUEUED:
        return BatchProgress(batch, _("已确认导入，等待后台开始写入…"))
    if batch.status == ImportStatus.PROCESSING:
        report = job_progress_get(batch_id=batch.pk)
        if report is None:
            return BatchProgress(batch, _("正在读取文件…"))
        if report.stage == Stage.CHECKING:
            return BatchProgress(batch, _("正在按现有档案再次核对…"), report.done, report.total)
        return BatchProgress(batch, _("正在写入…"), report.done, report.total)
    return BatchProgress(batch, batch.get_status_display())
