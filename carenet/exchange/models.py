"""A register import (导入批次): who imported which file into which school, and how it went.

Status machine (as rapidpro's ContactImport): pending → queued → processing → complete |
failed, or pending → cancelled. A batch is created ``pending`` with its upload stored
encrypted (``carenet.exchange.uploads``) and the preview's result kept on the row
(``summary``, encrypted: the rejected rows hold ID numbers); 确认导入 makes it ``queued``
(the page follows the job from then on, before the queue worker has taken it); the
background job claims it with a conditional update (so two workers never run it twice),
checks the sheet again against the children on file now, then commits the good rows
atomically. The upload is deleted once the batch is finished, cancelled or abandoned
(``settings.IMPORT_UPLOAD_HOURS``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from carenet.lib.crypto import EncryptedJSONField
from carenet.orgs.models import Org


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("等待确认")
    QUEUED = "queued", _("等待写入")
    PROCESSING = "processing", _("正在导入")
    COMPLETE = "complete", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


class ImportBatch(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_batches",
        verbose_name=_("导入人"),
    )
    school = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="import_batches", verbose_name=_("学校")
    )
    county_code = models.CharField(max_length=6, db_index=True)
    filename = models.CharField(_("文件名"), max_length=255)
    # The upload, encrypted with the field key, while the import needs it; then empty.
    file = models.FileField(_("文件"), upload_to="imports/", blank=True)
    # The preview's counts and rejected rows (for the preview page and the error workbook).
    summary = EncryptedJSONField(_("检查结果"), blank=True, default=dict)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=ImportStatus.choices,
        default=ImportStatus.PENDING,
        db_index=True,
    )
    created = models.PositiveIntegerField(_("新建"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变"), default=0)
    skipped = models.PositiveIntegerField(_("跳过"), default=0)
    rejected = models.PositiveIntegerField(_("拒绝"), default=0)
    processed = models.PositiveIntegerField(_("已处理行数"), default=0)
    total = models.PositiveIntegerField(_("总行数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.COMPLETE, ImportStatus.FAILED, ImportStatus.CANCELLED)


class ColumnMapping(models.Model):
    """What a user said the columns of a register are (列对应), remembered for the school
    (or the village) it was imported into and offered again for a file with the same
    header. Header texts and field keys only, never a child's data."""

    org = models.ForeignKey(
        Org, on_delete=models.CASCADE, related_name="column_mappings", verbose_name=_("单位")
    )
    # sha256 of the header's texts, normalised, in order (``carenet.exchange.mapping``).
    signature = models.CharField(_("表头特征"), max_length=64)
    # Header text (normalised; "#2" for its second column) → field key, or "": not used.
    mapping = models.JSONField(_("列对应"), default=dict)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("修改人"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("列对应")
        verbose_name_plural = _("列对应")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["org", "signature"], name="column_mapping_per_header")
        ]

    def __str__(self) -> str:
        return f"{self.org_id}:{self.signature[:8]}"
