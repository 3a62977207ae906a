"""Support for families beyond the school's own care work: legal aid (法律援助) for a
child and the parent school (家长学校) where guardians learn about bringing up children.

They are the records behind two indicators: ``legal_aid_rate`` and
``parent_education_rate`` (see ``selectors``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from carenet.children.models import Child, FamilyMember
from carenet.lib.crypto import EncryptedCharField
from carenet.orgs.models import Org


class LegalAidProvider(models.TextChoices):
    JUSTICE_OFFICE = "justice_office", _("司法所")
    LEGAL_AID_CENTER = "legal_aid_center", _("法律援助中心")
    LAW_FIRM = "law_firm", _("律师事务所")
    OTHER = "other", _("其他")


class LegalAidCase(models.Model):
    """A legal matter of a child (guardianship, maintenance, injury, abuse …), whether
    the child is eligible for legal aid, and whether and when it was given."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="legal_aid_cases")
    county_code = models.CharField(max_length=6, db_index=True)
    opened_on = models.DateField(_("立案日期"))
    # The matter is sensitive (family conflict, abuse): encrypted at rest like care notes.
    matter = EncryptedCharField(_("事项"))
    eligible = models.BooleanField(_("符合法律援助条件"), default=True)
    aided = models.BooleanField(_("已获得法律援助"), default=False)
    aided_on = models.DateField(_("援助日期"), null=True, blank=True)
    provider = models.CharField(
        _("援助机构"), max_length=20, choices=LegalAidProvider.choices, blank=True
    )
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="legal_aid_cases",
        verbose_name=_("记录人"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("法律援助案件")
        verbose_name_plural = _("法律援助案件")
        indexes = [models.Index(fields=["child", "opened_on"])]
        ordering = ["-opened_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.child} {self.opened_on}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class ParentSchoolSession(models.Model):
    """A session of the parent school (家长学校) held by a school or a village."""

    org = models.ForeignKey(
        Org,
        on_delete=models.CASCADE,
        related_name="parent_school_sessions",
        verbose_name=_("举办单位"),
    )
    county_code = models.CharField(max_length=6, db_index=True)
    held_on = models.DateField(_("日期"))
    topic = models.CharField(_("主题"), max_length=200)
    speaker = models.CharField(_("主讲人"), max_length=100, blank=True)
    others_count = models.PositiveIntegerField(
        _("其他参加人数"), default=0, help_text=_("未在名单中勾选的其他参加者")
    )
    attendees = models.ManyToManyField(
        FamilyMember,
        through="ParentSchoolAttendance",
        related_name="parent_school_sessions",
        verbose_name=_("参加的家长"),
    )
    # A session is the org's, not its recorder's: it stays when the account goes (the
    # demo county's rebuild removes its users while their sessions' orgs still exist).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="parent_school_sessions",
        verbose_name=_("记录人"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("家长学校活动")
        verbose_name_plural = _("家长学校活动")
        indexes = [models.Index(fields=["org", "held_on"])]
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.org} {self.held_on} {self.topic}"


class ParentSchoolAttendance(models.Model):
    """A family member (a guardian or a parent) present at a parent-school session."""

    session = models.ForeignKey(
        ParentSchoolSession, on_delete=models.CASCADE, related_name="attendance"
    )
    member = models.ForeignKey(
        FamilyMember, on_delete=models.CASCADE, related_name="parent_school_attendance"
    )
    county_code = models.CharField(max_length=6, db_index=True)

    class Meta:
        verbose_name = _("家长学校签到")
        verbose_name_plural = _("家长学校签到")
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="parent_school_once")
        ]
        indexes = [models.Index(fields=["member", "session"])]

    def __str__(self) -> str:
        return f"{self.member} @ {self.session}"
