"""The org tree (county → township → village / school → grade → class) and memberships."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class OrgKind(models.TextChoices):
    COUNTY = "county", _("县（区）")
    TOWNSHIP = "township", _("乡镇")
    VILLAGE = "village", _("村（社区）")
    SCHOOL = "school", _("学校")
    GRADE = "grade", _("年级")
    CLASS = "class", _("班级")


class SchoolStage(models.TextChoices):
    PRIMARY = "primary", _("小学")
    MIDDLE = "middle", _("初中")
    NINE_YEAR = "nine_year", _("九年一贯制")
    FULL_SECONDARY = "full_secondary", _("完全中学")
    TEACHING_POINT = "teaching_point", _("教学点")
    KINDERGARTEN = "kindergarten", _("幼儿园")


class Org(MP_Node):
    """A node of the org tree. "Everything under X" is ``path__startswith=X.path``."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=OrgKind.choices, db_index=True)
    county_code = models.CharField(_("县级区划代码"), max_length=6, db_index=True)
    stage = models.CharField(_("学段"), max_length=16, choices=SchoolStage.choices, blank=True)
    # A grade's year of schooling: 1–6 primary (一年级…六年级), 7–9 lower secondary (七年级 /
    # 初一…), 10–12 upper secondary; None for other kinds.
    level = models.PositiveSmallIntegerField(_("年级序号"), null=True, blank=True)
    # An org that no longer exists (an abolished village, a closed school or class) is kept
    # with its history and marked closed, never deleted.
    closed_on = models.DateField(_("撤销/关闭日期"), null=True, blank=True)
    steplen = 4

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    @property
    def parent_code(self) -> str | None:
        parent = self.get_parent()
        return parent.code if parent else None


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", _("县级管理员")
    TOWNSHIP_SUPERVISOR = "township_supervisor", _("乡镇儿童督导员")
    VILLAGE_DIRECTOR = "village_director", _("村儿童主任")
    PRINCIPAL = "principal", _("校长")
    SCHOOL_ADMIN = "school_admin", _("德育主任")
    TEACHER = "teacher", _("教师")
    COUNSELOR = "counselor", _("心理辅导教师")


# Roles that may see full ID numbers and phones; everyone else sees them masked.


class Membership(models.Model):
    """A user's role at an org. A teacher at a class is its class teacher (班主任)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    title = models.CharField(_("职务"), max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        constraints = [
            models.UniqueConstraint(fields=["user", "org", "role"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.org}"
