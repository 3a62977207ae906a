"""Support for families beyond the school's own care work: legal aid (法律援助) for a
child, the parent school (家长学校) where guardians learn about bringing up children, and
the activities (关爱活动) schools, classes and villages hold for the children.

Legal aid and the parent school are the records behind two indicators:
``legal_aid_rate`` and ``parent_education_rate`` (see ``selectors``). Activities feed no
indicator; the work summary counts them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from carenet.children.models import Child, FamilyMember
from carenet.lib.crypto import EncryptedCharField
from carenet.orgs.models import Org

if TYPE_CHECKING:
    from django.contrib.auth.models import User


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
    # Set before a save, read by django-simple-history: who made the change, and why.
    _history_user: User | None
    _change_reason: str

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


class ActivityKind(models.TextChoices):
    THEME_MEETING = "theme_meeting", _("主题班会")
    GROUP = "group", _("集体活动")
    FESTIVAL = "festival", _("节日活动")
    SAFETY = "safety", _("安全教育")
    MENTAL_HEALTH = "mental_health", _("心理健康教育")
    SOCIAL_PRACTICE = "social_practice", _("社会实践")
    OTHER = "other", _("其他")


class Activity(models.Model):
    """An activity (关爱活动) held by a school, a class or a village for its children: a
    theme class meeting, a festival, a lecture on safety, and who took part."""

    org = models.ForeignKey(
        Org,
        on_delete=models.CASCADE,
        related_name="activities",
        verbose_name=_("举办单位"),
    )
    county_code = models.CharField(max_length=6, db_index=True)
    held_on = models.DateField(_("日期"))
    kind = models.CharField(_("活动类型"), max_length=20, choices=ActivityKind.choices)
    title = models.CharField(_("活动主题"), max_length=200)
    summary = models.TextField(_("活动内容"), blank=True)
    others_count = models.PositiveIntegerField(
        _("其他参加人数"), default=0, help_text=_("未在名单中勾选的其他参加者")
    )
    participants = models.ManyToManyField(
        Child,
        through="ActivityParticipation",
        related_name="activities",
        verbose_name=_("参加的儿童"),
    )
    # The org's, not its recorder's (as ParentSchoolSession): kept when the account goes.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("记录人"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("关爱活动")
        verbose_name_plural = _("关爱活动")
        indexes = [models.Index(fields=["org", "held_on"])]
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.org} {self.held_on} {self.title}"


class ActivityParticipation(models.Model):
    """A child who took part in an activity."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="participation")
    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="activity_participation"
    )
    county_code = models.CharField(max_length=6, db_index=True)

    class Meta:
        verbose_name = _("活动参加记录")
        verbose_name_plural = _("活动参加记录")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "child"], name="activity_participation_once"
            )
        ]
        indexes = [models.Index(fields=["child", "activity"])]

    def __str__(self) -> str:
        return f"{self.child} @ {self.activity}"
