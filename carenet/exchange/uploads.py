"""A web import's upload: read in a child process, kept encrypted while the import needs it.

An uploaded register holds a school's ID numbers and phones in clear. It is:

- read first in a forked child (``register_probe``) under an address-space limit, so a
  file that makes the native reader abort or allocate gigabytes ends only that child,
  never the web server's worker or the queue worker; the user gets a Chinese message;
- stored encrypted with the field key (AES-GCM), mode 0600, under ``MEDIA_ROOT/imports/``
  with a random name, only while its batch is pending or processing (the backup never
  takes that folder);
- deleted when the batch is committed (complete or failed), cancelled, or abandoned:
  still pending ``settings.IMPORT_UPLOAD_HOURS`` after the upload (``import_uploads_expire``,
  hourly and from ``carenet manage retention``).

The upload is validated once, when it is staged. What the preview page and the error
workbook show is kept on the batch then (``ImportBatch.summary``, encrypted): the counts
by action, the header (texts, cells, column mapping) and the rejected rows with their
cells and errors; neither page reads the file again. They go too once the batch is that
many hours old. (The job that commits a confirmed batch checks the rows again, against
the children on file by then, and keeps what it found in place of the preview.)
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from carenet.exchange.columns import field_label
from carenet.exchange.errors import RegisterError
from carenet.exchange.importer import (
    CellError,
    ColumnChoice,
    HeaderColumn,
    HeaderNotFound,
    ImportPreview,
    RowResult,
    import_preview_checked,
)
from carenet.exchange.importer.header import REQUIRED_KEYS
from carenet.exchange.importer.leftbehind import LeftBehindCounts
from carenet.exchange.mapping import (
    columns_json,
    mapping_recall,
    mapping_summary,
    summary_columns,
)
from carenet.exchange.models import ImportBatch, ImportStatus
from carenet.exchange.reading import read_sheets
from carenet.lib.crypto import decrypt_bytes, encrypt_bytes
from carenet.lib.parallel import refuse_database
from carenet.lib.process import IsolatedCrash, run_isolated
from carenet.orgs.models import Org

UPLOAD_FOLDER = "imports"
# The child that reads an upload first may use this much memory beyond its parent's.
PROBE_MEMORY_BYTES = 512 * 1024 * 1024
PROBE_SECONDS = 120.0


# --------------------------------------------------------------------------- reading


def _walk(data: bytes, filename: str) -> int:
    """Every row of every sheet, read and dropped: the whole work of the native reader."""
    rows = 0
    for sheet in read_sheets(data, filename):
        for _row in sheet.all_rows():
            rows += 1
    return rows


def register_probe(*, data: bytes, filename: str) -> None:
    """Read the whole file in a child process; RegisterError if it cannot be read there
    (its own message, or a Chinese sentence when the child crashed or ran out of memory)."""
    try:
        run_isolated(
            lambda: _walk(data, filename),
            memory_bytes=PROBE_MEMORY_BYTES,
            timeout=PROBE_SECONDS,
            prepare=refuse_database,
        )
    except IsolatedCrash:
        raise RegisterError(
            _("无法读取该文件：读取时占用内存过多或文件已损坏，请另存为 .xlsx 后重试")
        ) from None


# --------------------------------------------------------------------------- the stored file


def _folder() -> Path:
    folder = Path(settings.MEDIA_ROOT) / UPLOAD_FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def upload_store(*, batch: ImportBatch, data: bytes) -> None:
    """Write ``data`` encrypted (mode 0600, a random name) and point the batch at it."""
    name = f"{secrets.token_hex(16)}.bin"
    path = _folder() / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(encrypt_bytes(data))
    batch.file.name = f"{UPLOAD_FOLDER}/{name}"


def upload_read(*, batch: ImportBatch) -> bytes:
    """The upload's bytes; RegisterError once it is gone."""
    gone = RegisterError(_("上传的文件已删除，请重新上传"))
    if not batch.file.name:
        raise gone
    try:
        blob = (Path(settings.MEDIA_ROOT) / batch.file.name).read_bytes()
        return decrypt_bytes(blob)
    except (OSError, ValueError):
        raise gone from None


def upload_present(*, batch: ImportBatch) -> bool:
    """Whether the batch's upload is still stored (its job can read it)."""
    name = batch.file.name
    if not name:
        return False
    return (Path(settings.MEDIA_ROOT) / name).is_file()


def upload_delete(*, batch: ImportBatch) -> None:
    """Delete the batch's upload (if any) and forget its name."""
    if batch.file.name:
        (Path(settings.MEDIA_ROOT) / batch.file.name).unlink(missing_ok=True)
    ImportBatch.objects.filter(pk=batch.pk).update(file="")
    batch.file.name = ""


# --------------------------------------------------------------------------- the summary


def _cell_json(value: object) -> object:
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _cell_value(value: object) -> object:
    if isinstance(value, dict):
        if "datetime" in value:
            return dt.datetime.fromisoformat(value["datetime"])
        if "date" in value:
            return dt.date.fromisoformat(value["date"])
    return value


def preview_summary(preview: ImportPreview) -> dict[str, Any]:
    """What the pages need of a preview, as JSON: counts, header, rejected rows."""
    return {
        "created": preview.created,
        "updated": preview.updated,
        "unchanged": preview.unchanged,
        "skipped": preview.skipped,
        "columns": [[c, key] for c, key in preview.columns.items()],
        "headers": [[c, text] for c, text in preview.headers.items()],
        "header_cells": [[_cell_json(v) for v in row] for row in preview.header_cells],
        "header_columns": columns_json(preview.header_columns),
        "rejected_rows": [
            {
                "row": r.row,
                "errors": [[e.field, e.column, e.message] for e in r.errors],
                "cells": [_cell_json(v) for v in r.cells],
            }
            for r in preview.rejected_rows
        ],
        "warnings": [
            {"row": r.row, "messages": [w.message for w in r.warnings]} for r in preview.warned_rows
        ],
        "left_behind": preview.left_behind.as_json() if preview.left_behind else None,
    }


@dataclass
class BatchSummary:
    """A preview as kept on its batch (the preview page reads it, never the file)."""

    filename: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected_rows: list[RowResult] = field(default_factory=list)
    columns: dict[int, str] = field(default_factory=dict)
    headers: dict[int, str] = field(default_factory=dict)
    header_cells: list[list[object]] = field(default_factory=list)
    # [{"row", "messages"}] of the rows imported with warnings; the left-behind counts.
    warnings: list[dict[str, Any]] = field(default_factory=list)
    left_behind: LeftBehindCounts | None = None
    # The header's columns as mapped (列对应); needs_mapping: no 姓名 or ID column found
    # yet, nothing validated until the user says which they are.
    header_columns: list[HeaderColumn] = field(default_factory=list)
    needs_mapping: bool = False

    @property
    def rejected(self) -> int:
        return len(self.rejected_rows)

    @property
    def missing(self) -> list[str]:
        """The labels of the required columns not mapped (姓名, 身份证号)."""
        keys = {c.key for c in self.header_columns}
        return [field_label(key) for key in REQUIRED_KEYS if key not in keys]

    @property
    def unused(self) -> int:
        return sum(1 for c in self.header_columns if not c.key)

    @property
    def remembered(self) -> int:
        return sum(1 for c in self.header_columns if c.origin == "remembered")

    def error_preview(self) -> ImportPreview:
        """An ImportPreview of the rejected rows and the warnings, for ``error_workbook``."""
        warned = [
            RowResult(
                w["row"], "create", [], [], None, tuple(CellError("", "", m) for m in w["messages"])
            )
            for w in self.warnings
        ]
        return ImportPreview(
            filename=self.filename,
            header_rows=[],
            columns=self.columns,
            rows=[*self.rejected_rows, *warned],
            headers=self.headers,
            header_cells=self.header_cells,
        )


def batch_summary(batch: ImportBatch) -> BatchSummary | None:
    """The batch's kept preview, or None once it has been cleared."""
    data = batch.summary
    if not data:
        return None
    rows = [
        RowResult(
            r["row"],
            "reject",
            [CellError(*e) for e in r["errors"]],
            [_cell_value(v) for v in r["cells"]],
        )
        for r in data.get("rejected_rows", [])
    ]
    return BatchSummary(
        filename=batch.filename,
        created=data.get("created", 0),
        updated=data.get("updated", 0),
        unchanged=data.get("unchanged", 0),
        skipped=data.get("skipped", 0),
        rejected_rows=rows,
        columns={int(c): key for c, key in data.get("columns", [])},
        headers={int(c): text for c, text in data.get("headers", [])},
        header_cells=[[_cell_value(v) for v in row] for row in data.get("header_cells", [])],
        warnings=data.get("warnings", []),
        left_behind=(
            LeftBehindCounts.from_json(data["left_behind"]) if data.get("left_behind") else None
        ),
        header_columns=summary_columns(data),
        needs_mapping=bool(data.get("needs_mapping")),
    )


# --------------------------------------------------------------------------- the batch


def import_batch_stage(
    *, data: bytes, filename: str, school: Org, user, request: HttpRequest | None = None
) -> ImportBatch:
    """A pending batch for an upload that reads as a register (else RegisterError): read
    in a child first, previewed (its refused ID numbers logged and counted), its upload
    stored encrypted and its preview kept. The columns are mapped as the user chose
    for a header like this one at this school before (``mapping_recall``); a file whose
    header is not found is kept with its likeliest header row, for the user to map."""
    register_probe(data=data, filename=filename)
    try:
        preview = import_preview_checked(
            data=data,
            filename=filename,
            school=school,
            user=user,
            request=request,
            recall=mapping_recall(school),
        )
    except HeaderNotFound as exc:
        if exc.header is None:
            raise
        total, summary = 0, mapping_summary(exc.header.cells)
    else:
        total, summary = len(preview.rows), preview_summary(preview)
    batch = ImportBatch(
        user=user,
        school=school,
        county_code=school.county_code,
        filename=filename[:255],
        total=total,
        summary=summary,
    )
    upload_store(batch=batch, data=data)
    try:
        batch.save()
    except BaseException:
        upload_delete(batch=batch)
        raise
    return batch


def import_batch_remap(
    *,
    batch: ImportBatch,
    choices: list[ColumnChoice],
    user,
    request: HttpRequest | None = None,
) -> None:
    """重新核对: validate a pending batch's upload again with the user's ``choices`` (its
    refused ID numbers logged and counted, as for an upload) and keep the new preview
    on the batch. RegisterError, the batch unchanged, when the file cannot be used so or
    the batch is no longer pending."""
    data = upload_read(batch=batch)
    try:
        preview = import_preview_checked(
            data=data,
            filename=batch.filename,
            school=batch.school,
            user=user,
            request=request,
            mapping=choices,
        )
    except HeaderNotFound:
        raise RegisterError(_("仍找不到“姓名”和“身份证号”列，请在列对应中指出这两列")) from None
    summary = preview_summary(preview)
    kept = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.PENDING).update(
        summary=summary, total=len(preview.rows)
    )
    if not kept:
        raise RegisterError(_("这次导入已经开始或已结束，不能再修改列对应"))
    batch.summary, batch.total = summary, len(preview.rows)


def import_batch_cancel(*, batch: ImportBatch) -> bool:
    """取消: a pending batch becomes cancelled and its upload is deleted; False if it was
    no longer pending (already running or finished)."""
    claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.PENDING).update(
        status=ImportStatus.CANCELLED, finished_at=timezone.now()
    )
    if claimed:
        batch.status = ImportStatus.CANCELLED
        upload_delete(batch=batch)
    return bool(claimed)


class Confirmed(StrEnum):
    """What 确认导入 did to a batch."""

    QUEUED = "queued"  # pending → queued: the caller queues its job
    ALREADY = "already"  # queued or running already (the button pressed twice)
    COMPLETE = "complete"  # imported already: not again
    CANCELLED = "cancelled"
    FAILED = "failed"  # failed before, or now: its upload expired or is gone


def _expired_message(hours: int) -> str:
    return _("上传后 %(hours)d 小时未完成导入，上传的文件已删除，请重新上传") % {"hours": hours}


def import_batch_confirm(*, batch: ImportBatch, now: dt.datetime, hours: int) -> Confirmed:
    """确认导入: a pending batch whose upload is still there (and less than ``hours`` old)
    becomes queued, claimed by a conditional update (two clicks queue it once). An
    expired or missing upload fails the batch with a Chinese sentence, and its upload is
    deleted. The batch is refreshed from the database."""
    pending = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.PENDING)
    problem = ""
    if batch.created_at < now - dt.timedelta(hours=hours):
        problem = _expired_message(hours)
    elif not upload_present(batch=batch):
        problem = _("上传的文件已删除，请重新上传")
    if problem:
        if pending.update(status=ImportStatus.FAILED, error=problem, finished_at=now):
            upload_delete(batch=batch)
    elif pending.update(status=ImportStatus.QUEUED):
        batch.refresh_from_db()
        return Confirmed.QUEUED
    batch.refresh_from_db()
    return {
        ImportStatus.QUEUED: Confirmed.ALREADY,
        ImportStatus.PROCESSING: Confirmed.ALREADY,
        ImportStatus.COMPLETE: Confirmed.COMPLETE,
        ImportStatus.CANCELLED: Confirmed.CANCELLED,
    }.get(batch.status, Confirmed.FAILED)  # type: ignore[call-overload]  # str values of the choices


@dataclass
class ExpiryResult:
    abandoned: int = 0  # pending batches given up, their uploads deleted
    files: int = 0  # upload files deleted (of those batches, or of no batch)
    summaries: int = 0  # kept previews cleared

    def describe(self) -> str:
        return (
            f"{self.abandoned} abandoned import(s) closed, {self.files} upload file(s) "
            f"deleted, {self.summaries} kept preview(s) cleared."
        )


def import_uploads_expire(*, now: dt.datetime, hours: int) -> ExpiryResult:
    """Close what an import no longer needs after ``hours``: a pending or stuck batch is
    failed (claimed by a conditional update, so two runs do it once), every upload of a
    finished or old batch and every file of no batch is deleted, old previews are cleared.
    Safe to run twice, and while imports run."""
    result = ExpiryResult()
    cutoff = now - dt.timedelta(hours=hours)
    message = _expired_message(hours)
    old = ImportBatch.objects.filter(created_at__lt=cutoff)
    open_ = [ImportStatus.PENDING, ImportStatus.QUEUED, ImportStatus.PROCESSING]
    for pk in old.filter(status__in=open_).values_list("pk", flat=True):
        result.abandoned += (
            ImportBatch.objects.filter(pk=pk, status__in=open_)
            .filter(created_at__lt=cutoff)
            .update(status=ImportStatus.FAILED, error=message, finished_at=now)
        )
    done = [ImportStatus.COMPLETE, ImportStatus.FAILED, ImportStatus.CANCELLED]
    for batch in ImportBatch.objects.filter(status__in=done).exclude(file=""):
        upload_delete(batch=batch)
        result.files += 1
    kept = set(
        ImportBatch.objects.exclude(file="").values_list("file", flat=True)
    )  # pending or running batches' uploads
    folder = Path(settings.MEDIA_ROOT) / UPLOAD_FOLDER
    if folder.is_dir():
        for path in folder.iterdir():
            name = f"{UPLOAD_FOLDER}/{path.name}"
            stale = path.stat().st_mtime < cutoff.timestamp()  # not one being stored now
            if path.is_file() and name not in kept and stale:
                path.unlink(missing_ok=True)
                result.files += 1
    result.summaries = old.filter(status__in=done).exclude(summary="").update(summary="")
    return result
