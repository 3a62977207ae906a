"""Notifications: what a user is told (inbox, e-mail, SMS/WeChat). The daily reminder is
one digest per user and day; its lines are the tasks due, each one a child and a kind of
care work the user can record at once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from carenet.care.models import CareKind


class NotificationKind(models.TextChoices):
    DIGEST = "digest", _("今日待办")
    # One message per task, as reminders were before the daily digest: kept for the
    # messages already in the inboxes (each has one line since notify/0003).
    TASK_DUE = "task_due", _("本周到期")
    TASK_OVERDUE = "task_overdue", _("已逾期")


class Notification(models.Model):
    """A message for one user: the day's digest (``kind`` DIGEST, ``day``) with one line
    per task due. ``dedupe_key`` makes creating it idempotent (one digest per user and
    day); delivery is claimed with a conditional update (``claimed_at``/``claim_token``)
    so that two runs never send it twice, and ``delivered_at`` marks it done."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    county_code = models.CharField(_("县级区划代码"), max_length=6, db_index=True)
    kind = models.CharField(_("类型"), max_length=32, choices=NotificationKind.choices)
    day = models.DateField(_("日期"), null=True, blank=True)
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
    def is_digest(self) -> bool:
        return self.kind == NotificationKind.DIGEST


class NotificationLine(models.Model):
    """One task of a notification: a child, a kind of care work, its due date, and
    whether it was overdue on the day of the message. ``position`` keeps the order of
    我的待办 (by risk, high first, then overdue first)."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="lines", verbose_name=_("消息")
    )
    child = models.ForeignKey(
        "children.Child",
        on_delete=models.CASCADE,
        related_name="notification_lines",
        verbose_name=_("儿童"),
    )
    care_kind = models.CharField(_("关爱类型"), max_length=32)
    due_date = models.DateField(_("应完成日期"))
    overdue = models.BooleanField(_("已逾期"), default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("待办事项")
        verbose_name_plural = _("待办事项")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "child", "care_kind"], name="notify_line_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.child_id}:{self.care_kind}:{self.due_date}"

    @property
    def kind_label(self) -> str:
        return str(dict(CareKind.choices).get(self.care_kind, self.care_kind))
