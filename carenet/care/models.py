"""Care work: the care plan (工作计划) of an org for a school year, and care records."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from carenet.children.models import Child
from carenet.lib.crypto import EncryptedCharField, EncryptedJSONField
from carenet.lib.fields import user_field
from carenet.orgs.models import Org


class CareKind(models.TextChoices):
    TALK = "talk", _("谈心")
    PARENT_CALL = "parent_call", _("联系家长")
    GUARDIAN_CONTACT = "guardian_contact", _("联系监护人")
    HOME_VISIT = "home_visit", _("家访")
    LETTER = "letter", _("家书")
    FAMILY_CALL = "family_call", _("亲情电话")
    COUNSELING = "counseling", _("心理辅导")
    ASSISTANCE = "assistance", _("物资帮扶")
    # A contact to bring a child who dropped out back to school (控辍保学): due while the
    # child is out (``selectors.persuade_back_tasks``), not scheduled by the plan.
    PERSUADE_BACK = "persuade_back", _("劝返")


# The kinds a plan schedules (the others are logged when they happen).
SCHEDULED_KINDS = (
    CareKind.TALK,
    CareKind.PARENT_CALL,
    CareKind.GUARDIAN_CONTACT,
    CareKind.HOME_VISIT,
    CareKind.LETTER,
)
# Duties done at school by school staff: term breaks pause them.
SCHOOL_SIDE_KINDS = frozenset({CareKind.TALK, CareKind.HOME_VISIT, CareKind.LETTER})
# Duties a village director (村儿童主任) does: for the children of the village not at a
# school, and for its school children during the winter and summer breaks when the plan
# hands them over (``CarePlan.holiday_handover``). Talks and letters stay with the school.
VILLAGE_SIDE_KINDS = frozenset(
    {CareKind.HOME_VISIT, CareKind.PARENT_CALL, CareKind.GUARDIAN_CONTACT}
)
# Kind-specific fields of a record (kept in ``details``).
DETAIL_FIELDS: dict[str, tuple[str, ...]] = {
    CareKind.TALK: ("place", "topics", "mood", "problems", "measures", "follow_up"),
    CareKind.HOME_VISIT: ("present", "living_conditions", "guardian_capacity", "needs"),
    CareKind.PARENT_CALL: ("with", "duration_minutes"),
    CareKind.GUARDIAN_CONTACT: ("with", "duration_minutes"),
    CareKind.FAMILY_CALL: ("with", "duration_minutes"),
}


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("每周")
    BIWEEKLY = "biweekly", _("每两周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    TERMLY = "termly", _("每学期")
    TERM_START_MIDDLE_END = "term_start_middle_end", _("期初、期中、期末")
    NONE = "none", _("不安排")


class CareGroup(models.TextChoices):
    """The children a plan schedules care for (``CarePlan.care_groups``): the left-behind
    (either definition) and the special categories of the child file."""

    LEFT_BEHIND = "left_behind", _("留守儿童（学籍口径）")
    CIVIL_LEFT_BEHIND = "civil_left_behind", _("留守儿童（民政口径）")
    DISTRESSED = "distressed", _("困境儿童")
    POOR = "poor", _("特困生")
    SINGLE_PARENT = "single_parent", _("单亲儿童")
    POTENTIAL = "potential", _("潜能生/后进生")


def default_care_groups() -> list[str]:
    """Left-behind children only (the education-register definition), as before plans
    named their groups."""
    return [CareGroup.LEFT_BEHIND.value]


class GuardianCapacity(models.TextChoices):
    GOOD = "good", _("较好")
    FAIR = "fair", _("一般")
    POOR = "poor", _("差")


class CarePlan(models.Model):
    """An org's care plan for one school year (2026 = Sep 2026 – Aug 2027).

    Inherited down the org tree: the plan in force at a school is the nearest one above
    it (``selectors.plan_in_force``)."""

    org = models.ForeignKey(
        Org, on_delete=models.CASCADE, related_name="care_plans", verbose_name=_("组织")
    )
    school_year = models.PositiveSmallIntegerField(_("学年"))
    name = models.CharField(_("名称"), max_length=100)
    preset = models.CharField(_("模板"), max_length=32, blank=True)
    # kind → Frequency value, for the kinds of SCHEDULED_KINDS
    frequencies = models.JSONField(_("关爱频次"), default=dict)
    # indicator key → percentage
    targets = models.JSONField(_("目标"), default=dict)
    mentor_min = models.PositiveSmallIntegerField(_("每位代理家长最少结对"), default=5)
    mentor_max = models.PositiveSmallIntegerField(_("每位代理家长最多结对"), default=7)
    # {"leader": "…", "members": ["…", …]}
    leading_group = models.JSONField(_("领导小组"), default=dict, blank=True)
    # [{"month": 9, "items": ["…", …]}, …]
    schedule = models.JSONField(_("月度安排"), default=list, blank=True)
    # CareGroup values: the children who get scheduled care (tasks and reminders).
    care_groups = models.JSONField(_("关爱对象"), default=default_care_groups, blank=True)
    # The seeds' 寒暑假以村民组为单位: in the winter and summer breaks the village director
    # takes over the home visits and calls of the school children living in the village.
    holiday_handover = models.BooleanField(_("寒暑假由村儿童主任接管家访和联系"), default=True)
    # The early-warning rules (预警规则): {rule: {"on": bool, <threshold>: value, …}} and
    # the hours before an unhandled alert escalates and a mandatory report is overdue;
    # what is not set takes the defaults of ``carenet.alerts.rules``.
    alert_rules = models.JSONField(_("预警规则"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("工作计划")
        verbose_name_plural = _("工作计划")
        constraints = [
            models.UniqueConstraint(fields=["org", "school_year"], name="careplan_one_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.school_year} {self.name}"

    def frequency(self, kind: str) -> str:
        return self.frequencies.get(kind, Frequency.NONE)

    @property
    def groups(self) -> frozenset[str]:
        """The care groups, as a set (none named: left-behind children)."""
        return frozenset(self.care_groups or default_care_groups())


class CareRecord(models.Model):
    """One piece of care work (a record card: 谈心记录卡, 家访记录, …)."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="care_records")
    county_code = models.CharField(max_length=6, db_index=True)
    kind = models.CharField(_("类型"), max_length=20, choices=CareKind.choices)
    date = models.DateField(_("日期"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="care_records",
        verbose_name=_("记录人"),
    )
    summary = EncryptedCharField(_("内容"))
    details = EncryptedJSONField(_("详情"), blank=True, default=dict)
    confidential = models.BooleanField(_("保密"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # The idempotency key a client sent with the record (the phone's offline queue sends
    # each record under the key made when its form was opened), and a digest of what was
    # sent under it: a replay of the same key and body returns this record, a replay
    # with another body is refused (``services.record_create_once``).
    client_key = models.UUIDField(null=True, blank=True, editable=False)
    client_digest = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("关爱记录")
        verbose_name_plural = _("关爱记录")
        indexes = [models.Index(fields=["child", "kind", "date"])]
        ordering = ["-date", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_key"],
                condition=models.Q(client_key__isnull=False),
                name="carerecord_client_key_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date} {self.child}"


def _photo_path(photo: CarePhoto, filename: str) -> str:
    # No names in paths: a county folder and a random name keep the file anonymous.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"care/{photo.county_code}/{uuid.uuid4().hex}.{extension}"


class CarePhoto(models.Model):
    """A photo attached to a care record (a home visit, an activity). Served only through
    a view that checks the record's visibility, never as a public media URL."""

    record = models.ForeignKey(CareRecord, on_delete=models.CASCADE, related_name="photos")
    county_code = models.CharField(max_length=6, db_index=True)
    image = models.ImageField(_("照片"), upload_to=_photo_path)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("记录照片")
        verbose_name_plural = _("记录照片")

    def __str__(self) -> str:
        return f"{self.record} #{self.pk}"


class AbsenceReason(models.TextChoices):
    SICK = "sick", _("病假")
    LEAVE = "leave", _("事假")
    TRUANT = "truant", _("旷课")
    UNKNOWN = "unknown", _("原因不明")


class Absence(models.Model):
    """缺勤: a day a child was absent from school, entered by the class teacher. Repeated
    absence raises an alert (``carenet.alerts.rules``)."""

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="absences", db_index=False
    )
    county_code = models.CharField(max_length=6, db_index=True)
    date = models.DateField(_("缺勤日期"))
    reason = models.CharField(_("原因"), max_length=16, choices=AbsenceReason.choices)
    note = EncryptedCharField(_("说明"), blank=True, default="")
    recorded_by = user_field(_("登记人"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("缺勤")
        verbose_name_plural = _("缺勤")
        ordering = ["-date", "-pk"]
        constraints = [models.UniqueConstraint(fields=["child", "date"], name="absence_once_a_day")]

    def __str__(self) -> str:
        return f"{self.child_id} {self.date} {self.reason}"


class ExamScore(models.Model):
    """One result of a child in one subject of one exam (期中、期末…), entered by the
    class teacher: what the rule of falling results (成绩明显下滑) reads until the study
    issue brings its own grades."""

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="exam_scores", db_index=False
    )
    county_code = models.CharField(max_length=6, db_index=True)
    exam = models.CharField(_("考试"), max_length=50)
    date = models.DateField(_("考试日期"))
    subject = models.CharField(_("科目"), max_length=20)
    score = models.DecimalField(_("成绩"), max_digits=5, decimal_places=1)
    full_score = models.DecimalField(_("满分"), max_digits=5, decimal_places=1, default=100)
    recorded_by = user_field(_("登记人"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("考试成绩")
        verbose_name_plural = _("考试成绩")
        ordering = ["-date", "subject"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "date", "exam", "subject"], name="exam_score_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.child_id} {self.exam} {self.subject} {self.score}"
