"""Plans for one child: study plans (学习帮扶计划) with their checks (阶段检查), and
individual plans (个别教育管理方案) for children in trouble, with dated reviews."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from carenet.alerts.models import Alert
from carenet.children.models import Child
from carenet.lib.crypto import EncryptedCharField


class PlanStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


class Subject(models.TextChoices):
    CHINESE = "chinese", _("语文")
    MATH = "math", _("数学")
    ENGLISH = "english", _("英语")
    SCIENCE = "science", _("科学")
    MORALITY = "morality", _("道德与法治")
    PHYSICS = "physics", _("物理")
    CHEMISTRY = "chemistry", _("化学")
    OTHER = "other", _("其他")


class CheckResult(models.TextChoices):
    CLEAR = "clear", _("进步明显")
    SOME = "some", _("有进步")
    NONE = "none", _("无变化")
    WORSE = "worse", _("退步")


class Reason(models.TextChoices):
    TRUANCY = "truancy", _("厌学")
    PSYCHOLOGICAL = "psychological", _("心理")
    BEHAVIOR = "behavior", _("行为")
    SAFETY = "safety", _("安全")
    FAMILY = "family", _("家庭变故")
    OTHER = "other", _("其他")


class StudyPlan(models.Model):
    """学习帮扶计划: which subjects, the goals, what is done and when, by whom."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="study_plans")
    county_code = models.CharField(max_length=6, db_index=True)
    # Subject codes as "math,chinese".
    subjects = models.CharField(_("帮扶科目"), max_length=200)
    goals = models.TextField(_("帮扶目标"))
    measures = models.TextField(_("帮扶措施"))
    schedule = models.CharField(_("帮扶时间"), max_length=200, blank=True)
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="study_plans",
        null=True,
        blank=True,
        verbose_name=_("帮扶教师"),
    )
    buddy_name = models.CharField(_("学习帮手"), max_length=50, blank=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=PlanStatus.choices, default=PlanStatus.OPEN
    )
    closed_on = models.DateField(_("结束于"), null=True, blank=True)
    closing_summary = models.TextField(_("阶段性效果"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("学习帮扶计划")
        verbose_name_plural = _("学习帮扶计划")
        indexes = [models.Index(fields=["child", "status"])]
        ordering = ["-start_date", "-pk"]

    def __str__(self) -> str:
        return f"{self.child} {self.subject_labels()}"

    @property
    def subject_list(self) -> list[str]:
        return [s for s in self.subjects.split(",") if s]

    def subject_labels(self) -> str:
        labels = dict(Subject.choices)
        return "、".join(str(labels.get(s, s)) for s in self.subject_list)

    @property
    def is_open(self) -> bool:
        return self.status == PlanStatus.OPEN


class StudyCheck(models.Model):
    """阶段检查: a dated check of a study plan's effect (the 进步档案)."""

    plan = models.ForeignKey(StudyPlan, on_delete=models.CASCADE, related_name="checks")
    date = models.DateField(_("检查日期"))
    result = models.CharField(_("效果"), max_length=8, choices=CheckResult.choices)
    scores = models.CharField(_("成绩情况"), max_length=200, blank=True)
    notes = models.TextField(_("说明"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("阶段检查")
        verbose_name_plural = _("阶段检查")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.plan} {self.date} {self.get_result_display()}"


class IndividualPlan(models.Model):
    """个别教育管理方案 for a child in trouble, reviewed until it is closed.

    The text is encrypted: it speaks of the child's troubles."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="individual_plans")
    county_code = models.CharField(max_length=6, db_index=True)
    reason = models.CharField(_("原因"), max_length=16, choices=Reason.choices)
    reason_detail = EncryptedCharField(_("情况说明"), blank=True, default="")
    goals = EncryptedCharField(_("教育目标"))
    measures = EncryptedCharField(_("矫治和帮助措施"))
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="individual_plans",
        verbose_name=_("责任人"),
    )
    opened_on = models.DateField(_("开始日期"))
    status = models.CharField(
        _("状态"), max_length=8, choices=PlanStatus.choices, default=PlanStatus.OPEN
    )
    closed_on = models.DateField(_("结束日期"), null=True, blank=True)
    closing_summary = EncryptedCharField(_("结案小结"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The alert (预警) the plan was opened from, if any.
    alert = models.ForeignKey(
        Alert,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="individual_plans",
        verbose_name=_("预警"),
    )

    class Meta:
        verbose_name = _("个别教育管理方案")
        verbose_name_plural = _("个别教育管理方案")
        indexes = [models.Index(fields=["child", "status"])]
        ordering = ["-opened_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.child} {self.get_reason_display()}"

    @property
    def is_open(self) -> bool:
        return self.status == PlanStatus.OPEN


class PlanReview(models.Model):
    """A dated review of an individual plan: progress and next steps."""

    plan = models.ForeignKey(IndividualPlan, on_delete=models.CASCADE, related_name="reviews")
    date = models.DateField(_("日期"))
    progress = EncryptedCharField(_("进展情况"))
    next_steps = EncryptedCharField(_("下一步措施"), blank=True, default="")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("方案回访")
        verbose_name_plural = _("方案回访")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.plan} {self.date}"
