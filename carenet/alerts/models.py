"""Early warning (预警): alerts raised on a child by the rules of the care plan, and the
history of how each alert was handled.

An alert is raised by a rule (``AlertRule``) from the records — a care duty long overdue,
parents out of touch, a guardian who cannot care, repeated absence, falling results, or a
phrase in a record's text (``text.find_signals``) — with its evidence, a severity and an
owner (the mentor, else the class teacher, else the village director). Nothing is
deleted: an alert moves through its states and every step is an ``AlertEvent``. The
child's risk level is derived from the open alerts (``services.risk_refresh``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from carenet.children.models import Child
from carenet.lib.crypto import EncryptedCharField, EncryptedJSONField
from carenet.lib.fields import user_field


class AlertRule(models.TextChoices):
    """The rules that raise alerts (configured per care plan: ``rules.RULES``)."""

    CARE_OVERDUE = "care_overdue", _("关爱工作逾期")
    NO_PARENT_CONTACT = "no_parent_contact", _("父母长期未联系")
    GUARDIAN_POOR = "guardian_poor", _("监护状况差")
    NO_GUARDIAN = "no_guardian", _("无人监护")
    GUARDIAN_FRAIL = "guardian_frail", _("监护人年老体弱")
    LIVING_ALONE = "living_alone", _("独自居住")
    ENTRUSTED_UNSUITABLE = "entrusted_unsuitable", _("委托照护人不适宜")
    ABSENCE = "absence", _("多次缺勤")
    RESULTS_FALL = "results_fall", _("成绩明显下滑")
    TEXT_SIGNAL = "text_signal", _("记录中的危险信号")


class Severity(models.TextChoices):
    """How grave an alert is: a severe alert makes the child's risk high at once, a
    serious one medium; a notice (a duty overdue) does not change the risk."""

    SEVERE = "severe", _("严重")
    SERIOUS = "serious", _("较重")
    NOTICE = "notice", _("提示")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("处理中")
    RESOLVED = "resolved", _("已解决")
    # The condition that raised it no longer holds (the overdue talk was held, the
    # guardian's assessment improved): closed by the rules, not by a person.
    CLEARED = "cleared", _("已消除")


OPEN_STATUSES: tuple[str, ...] = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class Alert(models.Model):
    """One alert on one child. ``key`` names the condition within its rule (the care
    kind and due date, the family member, the record and category of a text signal), so
    that a rule run twice raises it once: at most one open alert per child, rule and key."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="alerts")
    county_code = models.CharField(max_length=6, db_index=True)
    rule = models.CharField(_("规则"), max_length=32, choices=AlertRule.choices)
    # For a text signal: the category (``text.SignalCategory``); else "".
    category = models.CharField(_("类别"), max_length=32, blank=True)
    key = models.CharField(max_length=120)
    severity = models.CharField(_("严重程度"), max_length=16, choices=Severity.choices)
    # A legal category of the mandatory report (强制报告): a report is due.
    report_due = models.BooleanField(_("需强制报告"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    # What raised it: {"record": id, "record_kind": …, "date": …, "field": …, "phrase": …}
    # and for file rules the member, the values read. Encrypted: it quotes the notes.
    evidence = EncryptedJSONField(_("依据"), blank=True, default=dict)
    owner = user_field(_("负责人"), related_name="owned_alerts")
    assigned_to = user_field(_("指派给"), related_name="assigned_alerts")
    raised_at = models.DateTimeField(_("预警时间"))
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    # Escalated to the principal and the township supervisor (by a person or, unhandled
    # past the plan's hours, by the sweep).
    escalated_at = models.DateTimeField(_("上报时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_by = user_field(_("关闭人"))
    resolution = EncryptedCharField(_("处理结果"), blank=True, default="")
    # For a resolved alert: its condition cleared since, so its return raises a new one
    # (while it has not, the rule does not raise again what a person resolved).
    cleared_since = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        indexes = [
            models.Index(fields=["child", "status"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["assigned_to", "status"]),
            models.Index(fields=["county_code", "status"], name="alert_county_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "rule", "key"],
                condition=models.Q(status__in=["open", "acknowledged"]),
                name="alert_one_open_per_key",
            )
        ]
        ordering = ["-raised_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.child_id} {self.rule}:{self.key} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class AlertAction(models.TextChoices):
    RAISED = "raised", _("发出预警")
    ACKNOWLEDGED = "acknowledged", _("确认")
    ASSIGNED = "assigned", _("指派")
    ESCALATED = "escalated", _("上报校长和乡镇督导员")
    AUTO_ESCALATED = "auto_escalated", _("超时未处理，自动上报")
    NOTE = "note", _("备注")
    PLAN_OPENED = "plan_opened", _("制定个别教育管理方案")
    REPORTED = "reported", _("强制报告")
    RESOLVED = "resolved", _("解决")
    CLEARED = "cleared", _("条件消除，自动关闭")
    REOPENED = "reopened", _("重新打开")


class AlertEvent(models.Model):
    """A step in an alert's history: who did what, when, with a note. Never changed."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"))
    actor = user_field(_("操作人"))
    action = models.CharField(_("操作"), max_length=20, choices=AlertAction.choices)
    assignee = user_field(_("指派给"))
    note = EncryptedCharField(_("说明"), blank=True, default="")

    class Meta:
        verbose_name = _("预警处理记录")
        verbose_name_plural = _("预警处理记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.action} {self.at}"
