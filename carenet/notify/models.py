"""Notifications: one row per reminder a user gets (inbox, e-mail, SMS/WeChat)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    TASK_DUE = "task_due", _("本周到期")
    TASK_OVERDUE = "task_overdue", _("已逾期")


class Notification(models.Model):
    """A reminder for one user. ``dedupe_key`` makes creating it idempotent; delivery is
    claimed with a conditional update (``claimed_at``/``claim_token``) so that two runs
    never send it twice, and ``delivered_at`` marks it done."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    county_code = models.CharField(_("县级区划代码"), max_length=6, db_index=True)
    kind = models.CharField(_("类型"), max_length=32, choices=NotificationKind.choices)
    child = models.ForeignKey(
        "children.Child",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("儿童"),
    )
    care_kind = models.CharField(_("关爱类型"), max_length=32, blank=True)
    due_date = models.DateField(_("应完成日期"), null=True, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    sms_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        indexes = [
            models.Index(fields=["user", "read_at"], name="notify_user_unread"),
            models.Index(fields=["delivered_at", "claimed_at"], name="notify_undelivered"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def overdue(self) -> bool:
        return self.kind == NotificationKind.TASK_OVERDUE
