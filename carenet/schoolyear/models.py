"""The school year's step (学年升级) and what it left for the principals to confirm.

A ``SchoolYearStart`` is one county's step into the school year starting in September of
``year``: classes moved up a grade, graduates left the roll, new first-year classes. It
keeps what it changed (``changes``) so that it can be undone exactly, within
``settings.SCHOOL_YEAR_UNDO_DAYS`` (see ``services``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from carenet.orgs.models import Org


class SchoolYearStart(models.Model):
    county = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="+", verbose_name=_("县（区）")
    )
    county_code = models.CharField(_("县级区划代码"), max_length=6, db_index=True)
    year = models.PositiveSmallIntegerField(_("学年"))
    started_at = models.DateTimeField(_("升级时间"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("撤销人"),
    )
    # What the step changed, to undo it: {"moved": [{"id", "parent", "name", "path"}],
    # "closed": [{"id", "name"}], "created": [ids in creation order], "left": [child ids],
    # "transfers": [{"child", "school", "class"}], "schools": the preview's rows}.
    changes = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("学年升级")
        verbose_name_plural = _("学年升级")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year"],
                condition=models.Q(undone_at__isnull=True),
                name="school_year_once_per_county",
            )
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.year}"


class ClassTeacherCheck(models.Model):
    """A class that moved up a grade keeps its class teacher (班主任) until the school's
    principal confirms (or changes) them: 请确认各班班主任."""

    step = models.ForeignKey(
        SchoolYearStart, on_delete=models.CASCADE, related_name="teacher_checks"
    )
    school = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    school_class = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("确认人"),
    )

    class Meta:
        verbose_name = _("班主任确认")
        verbose_name_plural = _("班主任确认")
        indexes = [models.Index(fields=["school", "confirmed_at"])]

    def __str__(self) -> str:
        return f"{self.school_class} · {self.step}"
