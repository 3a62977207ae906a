"""The mandatory report (强制报告) and urgent handling (应急处置) of a child in danger.

The law (未成年人保护法 第十一条; the 2020 opinions of the procuratorate and eight
ministries on 强制报告) obliges schools, village committees and their staff to report at
once a child who is or may be harmed, or lives without care. A ``MandatoryReport`` keeps
the facts, the receiving agency, when and by whom it was made, the receipt and the
follow-ups until it is closed; one is due for every alert of a legal category
(``Alert.report_due``), and one not made within the care plan's hours is overdue. An
``EmergencyCase`` is the checklist of an urgent case (a child alone, hurt or missing):
each step (the people to call) is timestamped when done.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from carenet.alerts.models import Alert
from carenet.children.models import Child
from carenet.lib.crypto import EncryptedCharField
from carenet.lib.fields import user_field


class Agency(models.TextChoices):
    """The agencies a mandatory report is made to."""

    POLICE = "police", _("公安机关")
    CIVIL_AFFAIRS = "civil_affairs", _("民政部门")
    EDUCATION = "education", _("教育行政部门")
    WOMENS_FEDERATION = "womens_federation", _("妇联")
    PROCURATORATE = "procuratorate", _("人民检察院")


class ReportCategory(models.TextChoices):
    """The legal categories of the 2020 opinions (article 4) CareNet raises alerts for."""

    SEXUAL_HARM = "sexual_harm", _("遭受或疑似遭受性侵害")
    ABUSE = "abuse", _("遭受或疑似遭受虐待、暴力伤害")
    SELF_HARM = "self_harm", _("自杀、自残")
    UNATTENDED = "unattended", _("被遗弃或长期处于无人照料状态")
    MISSING = "missing", _("离家出走、失踪")
    OTHER = "other", _("其他严重侵害未成年人身心健康的情形")


class ReportStatus(models.TextChoices):
    DUE = "due", _("待报告")
    REPORTED = "reported", _("已报告")
    CLOSED = "closed", _("已结案")


class MandatoryReport(models.Model):
    """强制报告 of one child: due from an alert of a legal category (or opened by hand),
    made to an agency, followed up until closed. The facts are encrypted."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="mandatory_reports")
    county_code = models.CharField(max_length=6, db_index=True)
    alert = models.OneToOneField(
        Alert,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mandatory_report",
        verbose_name=_("预警"),
    )
    category = models.CharField(_("报告情形"), max_length=20, choices=ReportCategory.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.DUE
    )
    # When the duty to report arose (the alert was raised, or the case was found), and
    # by when the report must be made (the care plan's hours later).
    found_at = models.DateTimeField(_("发现时间"))
    due_by = models.DateTimeField(_("应报告时间"))
    facts = EncryptedCharField(_("基本情况"), blank=True, default="")
    measures = EncryptedCharField(_("已采取的措施"), blank=True, default="")
    agency = models.CharField(_("受理单位"), max_length=20, choices=Agency.choices, blank=True)
    agency_name = models.CharField(_("受理单位名称"), max_length=100, blank=True)
    reported_at = models.DateTimeField(_("报告时间"), null=True, blank=True)
    reported_by = user_field(_("报告人"))
    # The receipt (回执): who took the report and its number.
    receipt_number = models.CharField(_("回执编号"), max_length=60, blank=True)
    receiver = EncryptedCharField(_("接收人"), blank=True, default="")
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    closing_note = EncryptedCharField(_("结案说明"), blank=True, default="")
    opened_by = user_field(_("登记人"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("强制报告")
        verbose_name_plural = _("强制报告")
        indexes = [
            models.Index(fields=["child", "status"]),
            models.Index(fields=["county_code", "status"], name="report_county_status"),
        ]
        ordering = ["-found_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.child_id} {self.category} {self.status}"


class FollowUp(models.Model):
    """A follow-up of a mandatory report (跟进): what the agency or the school did."""

    report = models.ForeignKey(MandatoryReport, on_delete=models.CASCADE, related_name="follow_ups")
    at = models.DateTimeField(_("时间"))
    note = EncryptedCharField(_("跟进情况"))
    author = user_field(_("记录人"))

    class Meta:
        verbose_name = _("报告跟进")
        verbose_name_plural = _("报告跟进")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.at}"


class EmergencyKind(models.TextChoices):
    ALONE = "alone", _("独自在家无人照料")
    HURT = "hurt", _("受伤")
    MISSING = "missing", _("失踪、出走")


class EmergencyCase(models.Model):
    """应急处置 of an urgent case: the checklist of steps (``EmergencyStep``), opened with
    the people to call for its kind, each step timestamped when done."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="emergencies")
    county_code = models.CharField(max_length=6, db_index=True)
    kind = models.CharField(_("情形"), max_length=16, choices=EmergencyKind.choices)
    alert = models.ForeignKey(
        Alert,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="emergencies",
        verbose_name=_("预警"),
    )
    description = EncryptedCharField(_("情况"), blank=True, default="")
    opened_at = models.DateTimeField(_("开始时间"))
    opened_by = user_field(_("发起人"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    closing_note = EncryptedCharField(_("处置结果"), blank=True, default="")

    class Meta:
        verbose_name = _("应急处置")
        verbose_name_plural = _("应急处置")
        indexes = [models.Index(fields=["child", "closed_at"])]
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.child_id} {self.kind} {self.opened_at}"


class EmergencyStep(models.Model):
    """One step of an urgent case's checklist: whom to call (with the number known at
    opening, encrypted), done when and by whom."""

    case = models.ForeignKey(EmergencyCase, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(_("步骤"), max_length=40)
    label = models.CharField(_("内容"), max_length=100)
    contact_name = EncryptedCharField(_("联系人"), blank=True, default="")
    contact_phone = EncryptedCharField(_("电话"), blank=True, default="")
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = user_field(_("完成人"))
    note = EncryptedCharField(_("说明"), blank=True, default="")

    class Meta:
        verbose_name = _("处置步骤")
        verbose_name_plural = _("处置步骤")
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "step"], name="emergency_step_once")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.step}"
