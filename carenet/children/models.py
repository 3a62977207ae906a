"""The child file (档案): the child, family members, parents' away periods, pairings.

Left-behind status is not a column: it is derived from the away periods by
``selectors.with_left_behind`` so that its history is the history of the periods.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from carenet.lib.addresses import address_once
from carenet.lib.crypto import EncryptedCharField
from carenet.orgs.models import Org

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Health(models.TextChoices):
    HEALTHY = "healthy", _("健康")
    FAIR = "fair", _("一般")
    POOR = "poor", _("较差")
    CHRONIC = "chronic", _("慢性病")
    DISABLED = "disabled", _("残疾")


class Schooling(models.TextChoices):
    ENROLLED = "enrolled", _("在校")
    SUSPENDED = "suspended", _("休学")
    DROPPED_OUT = "dropped_out", _("辍学")
    TRANSFERRED = "transferred", _("转出")
    GRADUATED = "graduated", _("毕业")
    NOT_SCHOOL_AGE = "preschool", _("未到学龄")
    # Taught at home by visiting teachers (送教上门): filed under the village, no school.
    HOME_TAUGHT = "home_taught", _("送教上门")
    # The 2016 national survey form's (国发〔2016〕13号) states of a child not at school:
    # in a kindergarten, of kindergarten age and in none, and out of school (不在学: never
    # enrolled, or past compulsory education and in no school).
    KINDERGARTEN = "kindergarten", _("幼儿园")
    NOT_IN_KINDERGARTEN = "not_in_kindergarten", _("未入园")
    OUT_OF_SCHOOL = "out_of_school", _("不在学")


# Schooling read as "not yet at school" (the school's routines treat them alike) and as
# "out of school" (辍学, 不在学: what the retention figures count against). One home each,
# so that every figure and screen groups the states the same way.
PRESCHOOL_STATES: tuple[str, ...] = (
    Schooling.NOT_SCHOOL_AGE,
    Schooling.KINDERGARTEN,
    Schooling.NOT_IN_KINDERGARTEN,
)
OUT_OF_SCHOOL_STATES: tuple[str, ...] = (Schooling.DROPPED_OUT, Schooling.OUT_OF_SCHOOL)
# The longest schooling code ("not_in_kindergarten") and some room.
SCHOOLING_LENGTH = 24


class Stage(models.TextChoices):
    """The stage a child filed under a village (no school in CareNet) is at school in: the
    2016 form's 就学情况 小学/初中/高中/中职."""

    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中")
    VOCATIONAL = "vocational", _("中职")


class Immunization(models.TextChoices):
    COMPLETE = "complete", _("已全程接种")
    INCOMPLETE = "incomplete", _("未全程接种")
    UNKNOWN = "unknown", _("不详")


class Category(models.TextChoices):
    POOR = "poor", _("特困")
    GIFTED = "gifted", _("特长")
    SPECIAL = "special", _("特殊")
    SINGLE_PARENT = "single_parent", _("单亲")
    POTENTIAL = "potential", _("潜能生")
    DISTRESSED = "distressed", _("困境儿童")


class IncomeSource(models.TextChoices):
    """家庭经济来源 (the 2016 form; several may apply)."""

    WAGES = "wages", _("打工收入")
    FARMING = "farming", _("种养殖业")
    GOVERNMENT = "government", _("政府救助")
    RELATIVES = "relatives", _("亲朋接济")
    OTHER = "other", _("其他")


class Assistance(models.TextChoices):
    """救助帮扶情况 (the 2016 form and the civil-affairs register; several may apply)."""

    SUBSISTENCE = "subsistence", _("低保")
    TEMPORARY = "temporary", _("临时救助")
    MEDICAL = "medical", _("医疗救助")
    HOUSING = "housing", _("住房救助")
    EXTREME_POVERTY = "extreme_poverty", _("特困供养")
    ORPHAN_ALLOWANCE = "orphan_allowance", _("孤儿基本生活保障")
    UNSUPPORTED_ALLOWANCE = "unsupported_allowance", _("事实无人抚养儿童保障")
    EDUCATION = "education", _("教育资助")
    OTHER = "other", _("其他救助")


class DistressKind(models.TextChoices):
    """困境类型 of a child in distress (困境儿童, the civil-affairs register)."""

    POVERTY = "poverty", _("家庭经济困难")
    DISABILITY = "disability", _("自身残疾")
    ILLNESS = "illness", _("重病")
    UNSUPPORTED = "unsupported", _("事实无人抚养")
    GUARDIANSHIP = "guardianship", _("监护缺失或不当")
    OTHER = "other", _("其他")


def code_list(value: str) -> list[str]:
    """The codes of a code-list column (",poor,gifted," → ["poor", "gifted"])."""
    return [code for code in (value or "").split(",") if code]


def code_list_value(codes: Iterable[str]) -> str:
    """A code-list column's value: ",a,b," (each code once, in the given order), or "" for
    none, so that one ``LIKE '%,a,%'`` finds a code on any database."""
    kept = list(dict.fromkeys(code for code in codes if code))
    return "," + ",".join(kept) + "," if kept else ""


def code_labels(choices: type[models.TextChoices], value: str) -> list[str]:
    labels = dict(choices.choices)
    return [str(labels.get(code, code)) for code in code_list(value)]


class RiskLevel(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")


class ChildStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    LEFT = "left", _("已离开")
    ARCHIVED = "archived", _("已归档")


class LeaveReason(models.TextChoices):
    """Why a child left the roll (``Child.left_reason``)."""

    GRADUATED = "graduated", _("毕业")
    TRANSFERRED_OUT = "transferred_out", _("转出县外")
    MOVED_AWAY = "moved_away", _("迁出")
    DIED = "died", _("死亡")
    OTHER = "other", _("其他")


class LeftBehindType(models.TextChoices):
    BOTH_PARENTS = "both_parents", _("双亲留守")
    ONE_PARENT = "one_parent", _("单亲留守")
    NONE = "none", _("非留守")


# The register import's tables index their county code and ID-number hash in Meta, not
# with ``db_index``/``unique`` on the field: for those PostgreSQL gets from Django a second,
# ``varchar_pattern_ops`` index (for ``LIKE 'prefix%'``), which no query here can use
# (both are compared whole), and which every imported row pays for (docs/benchmarks.md).


class Child(models.Model):
    county_code = models.CharField(_("县级区划代码"), max_length=6)
    name = models.CharField(_("姓名"), max_length=50)
    name_pinyin = models.CharField(max_length=120, db_index=True, editable=False)
    name_initials = models.CharField(max_length=30, db_index=True, editable=False)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    birth_date = models.DateField(_("出生日期"))
    id_number = EncryptedCharField(_("身份证号"))
    id_number_hash = models.CharField(max_length=64, editable=False)  # unique: see Meta
    # The national student number is usually "G" + the ID number: encrypted like it.
    student_number = EncryptedCharField(_("学籍号"), blank=True, default="")
    # No single-column indexes on school, class and village: the (…, status) indexes of
    # Meta serve the same lookups, and every index costs a register import its upkeep.
    # A child not at a school (aged 0–5, out of school, taught at home) has neither and is
    # filed under their village (``village``), in the village director's care.
    school = models.ForeignKey(
        Org,
        on_delete=models.PROTECT,
        related_name="school_children",
        verbose_name=_("学校"),
        null=True,
        blank=True,
        db_index=False,
    )
    school_class = models.ForeignKey(
        Org,
        on_delete=models.PROTECT,
        related_name="class_children",
        verbose_name=_("班级"),
        null=True,
        blank=True,
        db_index=False,
    )
    boarding = models.BooleanField(_("寄宿"), default=False)
    registered_residence = models.CharField(_("户籍地"), max_length=200, blank=True)
    rural_hukou = models.BooleanField(_("农村户籍"), default=True)
    # 是否登记户口 (the 2016 form): None when the register does not say.
    hukou_registered = models.BooleanField(_("已登记户口"), null=True, blank=True)
    # The 学籍 table's flags.
    migrant_child = models.BooleanField(_("进城务工人员随迁子女"), default=False)
    orphan = models.BooleanField(_("孤儿"), default=False)
    needs_aid = models.BooleanField(_("需要申请资助"), default=False)
    village = models.ForeignKey(
        Org,
        on_delete=models.PROTECT,
        related_name="village_children",
        verbose_name=_("现居住村（社区）"),
        null=True,
        blank=True,
        db_index=False,
    )
    residence_group = models.CharField(_("村民组"), max_length=50, blank=True)
    residence_address = models.CharField(_("详细住址"), max_length=200, blank=True)
    health = models.CharField(
        _("健康状况"), max_length=16, choices=Health.choices, default=Health.HEALTHY
    )
    health_notes = EncryptedCharField(_("健康说明"), blank=True, default="")
    disability = EncryptedCharField(_("残疾类别等级"), blank=True, default="")
    schooling = models.CharField(
        _("就学情况"),
        max_length=SCHOOLING_LENGTH,
        choices=Schooling.choices,
        default=Schooling.ENROLLED,
    )
    # For a child filed under a village (no school in CareNet) who is at school somewhere.
    stage = models.CharField(_("就读学段"), max_length=16, choices=Stage.choices, blank=True)
    immunization = models.CharField(
        _("计划免疫接种"),
        max_length=16,
        choices=Immunization.choices,
        default=Immunization.UNKNOWN,
    )
    interests = models.CharField(_("兴趣爱好"), max_length=200, blank=True)
    personality = models.CharField(_("性格特征"), max_length=200, blank=True)
    # Special categories as ",poor,gifted," so one LIKE finds a category on any database.
    categories = models.CharField(_("特殊类别"), max_length=100, blank=True, default="")
    # The national registers' multiple choices, stored like the categories (``code_list``).
    income_sources = models.CharField(_("家庭经济来源"), max_length=100, blank=True, default="")
    assistance = models.CharField(_("救助帮扶情况"), max_length=200, blank=True, default="")
    distress_kinds = models.CharField(_("困境类型"), max_length=100, blank=True, default="")
    # 父母外出有无委托其他监护人 (the 2016 form): None when the register does not say.
    guardian_entrusted = models.BooleanField(_("父母外出已委托监护人"), null=True, blank=True)
    # Derived, not typed: the highest of what the open alerts and the file say and of the
    # level raised by hand (``risk_floor``), kept up to date as alerts open and close
    # (``carenet.alerts.services.risk_refresh``) so that lists sort and filter by it.
    risk_level = models.CharField(
        _("风险等级"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    # A level raised by hand, with the reason: the risk is never below it, and never
    # below what the rules say either ("" = not raised by hand).
    risk_floor = models.CharField(
        _("人工调高风险等级"), max_length=8, choices=RiskLevel.choices, blank=True
    )
    risk_floor_reason = EncryptedCharField(_("调高原因"), blank=True, default="")
    risk_floor_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("调高人"),
    )
    risk_floor_at = models.DateTimeField(_("调高时间"), null=True, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=ChildStatus.choices,
        default=ChildStatus.ACTIVE,
    )
    # When and why the child left the roll (``services.child_leave``): from that day the
    # child has no tasks and counts in no figure (both filter ``status=ACTIVE``).
    left_on = models.DateField(_("离开日期"), null=True, blank=True)
    left_reason = models.CharField(
        _("离开原因"), max_length=16, choices=LeaveReason.choices, blank=True
    )
    # When the file was archived (left, or aged out): the retention clock starts here.
    archived_on = models.DateField(_("归档日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # History rows are looked up by the child (id) only, in date order.
    history = HistoricalRecords(
        excluded_fields=["name_pinyin", "name_initials", "updated_at"],
        no_db_index=["school", "school_class", "village"],
    )
    # Set before a save, read by django-simple-history: who made the change, and why.
    _history_user: User | None
    _change_reason: str

    class Meta:
        verbose_name = _("儿童")
        verbose_name_plural = _("儿童")
        # Status is only looked up with the school, the class or the village, or within
        # a county: it has no index of its own.
        indexes = [
            models.Index(fields=["school", "status"]),
            models.Index(fields=["school_class", "status"]),
            models.Index(fields=["village", "status"]),
            models.Index(fields=["county_code"], name="child_county_code"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["id_number_hash"], name="child_one_per_id_number")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def category_list(self) -> list[str]:
        return code_list(self.categories)

    @property
    def income_source_list(self) -> list[str]:
        return code_list(self.income_sources)

    @property
    def assistance_list(self) -> list[str]:
        return code_list(self.assistance)

    @property
    def distress_kind_list(self) -> list[str]:
        return code_list(self.distress_kinds)

    @property
    def at_school(self) -> bool:
        """Filed at a school (else under a village only, in the village director's care)."""
        return self.school_id is not None

    @property
    def place_label(self) -> str:
        """Where the child is filed, as shown in lists: 学校 班级, or the village."""
        if self.school_id is not None:
            klass = self.school_class.name if self.school_class is not None else ""
            school = self.school.name if self.school is not None else ""
            return f"{school} {klass}".strip()
        return self.village.name if self.village is not None else ""

    @property
    def residence_label(self) -> str:
        """现住址 as printed: village, group and the stored address, each place once."""
        village = self.village.name if self.village is not None else ""
        return address_once([village, self.residence_group], self.residence_address)

    @property
    def class_or_village(self) -> str:
        """The class's name, or for a child not at a school the village's."""
        if self.school_class is not None:
            return self.school_class.name
        return self.village.name if self.village is not None else ""

    def get_category_labels(self) -> list[str]:
        return code_labels(Category, self.categories)

    def get_income_source_labels(self) -> list[str]:
        return code_labels(IncomeSource, self.income_sources)

    def get_assistance_labels(self) -> list[str]:
        return code_labels(Assistance, self.assistance)

    def get_distress_kind_labels(self) -> list[str]:
        return code_labels(DistressKind, self.distress_kinds)


# The code-list columns of a child file and the choices their codes come from.
CODE_LIST_FIELDS: dict[str, type[models.TextChoices]] = {
    "categories": Category,
    "income_sources": IncomeSource,
    "assistance": Assistance,
    "distress_kinds": DistressKind,
}


class Relation(models.TextChoices):
    FATHER = "father", _("父亲")
    MOTHER = "mother", _("母亲")
    GUARDIAN = "guardian", _("委托监护人")
    # Grandparents (the 2016 form's 家庭情况): never parents, never the left-behind rule's.
    GRANDFATHER = "grandfather", _("祖父")
    GRANDMOTHER = "grandmother", _("祖母")
    M_GRANDFATHER = "m_grandfather", _("外祖父")
    M_GRANDMOTHER = "m_grandmother", _("外祖母")


PARENT_RELATIONS: tuple[str, ...] = (Relation.FATHER, Relation.MOTHER)
GRANDPARENT_RELATIONS: tuple[str, ...] = (
    Relation.GRANDFATHER,
    Relation.GRANDMOTHER,
    Relation.M_GRANDFATHER,
    Relation.M_GRANDMOTHER,
)


class GuardianshipQuality(models.TextChoices):
    GOOD = "good", _("较好")
    FAIR = "fair", _("一般")
    POOR = "poor", _("差")
    NONE = "none", _("无人监护")


class Education(models.TextChoices):
    NONE = "none", _("文盲或半文盲")
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中或中专")
    COLLEGE = "college", _("大专及以上")


class FamilyMember(models.Model):
    """A parent, the entrusted guardian (委托监护人) or a grandparent of a child, one row
    per relation. Only the parents' rows (and their away periods) make a child left-behind."""

    # The unique (child, relation) constraint's index serves lookups by child.
    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="family", db_index=False
    )
    relation = models.CharField(_("身份"), max_length=16, choices=Relation.choices)
    county_code = models.CharField(max_length=6)
    name = models.CharField(_("姓名"), max_length=50, blank=True)
    id_number = EncryptedCharField(_("身份证号"), blank=True, default="")
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    phone = EncryptedCharField(_("联系电话"), blank=True, default="")
    # Parents and grandparents (the 2016 form).
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    # Parents
    work_province = models.CharField(_("务工省份"), max_length=20, blank=True)
    work_city = models.CharField(_("务工城市"), max_length=30, blank=True)
    employer = models.CharField(_("务工单位"), max_length=100, blank=True)
    employer_phone = EncryptedCharField(_("单位电话"), blank=True, default="")
    can_guard = models.BooleanField(
        _("具备监护能力"),
        default=True,
        help_text=_("去世、服刑、重残、失联等情形请取消勾选"),
    )
    # Guardian (``health`` for the grandparents too)
    kinship = models.CharField(_("与儿童关系"), max_length=20, blank=True)
    age = models.PositiveSmallIntegerField(_("年龄"), null=True, blank=True)
    health = models.CharField(_("身体状况"), max_length=50, blank=True)
    education = models.CharField(
        _("文化程度"), max_length=16, choices=Education.choices, blank=True
    )
    occupation = models.CharField(_("职业"), max_length=50, blank=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    guardianship_quality = models.CharField(
        _("监护状况"), max_length=16, choices=GuardianshipQuality.choices, blank=True
    )
    # The suitability check of an entrusted guardian (委托照护): a known record of abuse,
    # abandonment or neglect of a child makes them unsuitable (an alert of the early
    # warning, ``carenet.alerts``).
    abuse_record = models.BooleanField(
        _("有虐待、遗弃或严重忽视儿童的记录"),
        default=False,
        help_text=_("委托照护评估：曾有虐待、遗弃、严重忽视儿童的情形"),
    )
    # History rows are looked up by the child and the member only, in date order.
    history = HistoricalRecords()
    # Set before a save, read by django-simple-history: who made the change, and why.
    _history_user: User | None
    _change_reason: str

    class Meta:
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        indexes = [
            models.Index(fields=["county_code"], name="family_county_code"),
            models.Index(fields=["id_number_hash"], name="family_id_number_hash"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["child", "relation"], name="family_one_per_relation")
        ]

    def __str__(self) -> str:
        return f"{self.get_relation_display()} {self.name}"


class AwayPeriod(models.Model):
    """A parent away for work. Periods are kept, so the left-behind history is kept."""

    # The (child, relation, start) index serves lookups by child.
    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="away_periods", db_index=False
    )
    relation = models.CharField(
        _("父/母"),
        max_length=16,
        choices=[
            (Relation.FATHER, Relation.FATHER.label),
            (Relation.MOTHER, Relation.MOTHER.label),
        ],
    )
    county_code = models.CharField(max_length=6)
    start = models.DateField(_("外出时间"))
    end = models.DateField(_("返乡时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("外出务工时段")
        verbose_name_plural = _("外出务工时段")
        indexes = [
            models.Index(fields=["child", "relation", "start"]),
            models.Index(fields=["county_code"], name="away_county_code"),
        ]
        ordering = ["start"]

    def __str__(self) -> str:
        return f"{self.get_relation_display()} {self.start} – {self.end or ''}"


class PairingKind(models.TextChoices):
    MENTOR = "mentor", _("代理家长")
    BUDDY = "buddy", _("学习帮手")


class Pairing(models.Model):
    """结对帮扶: a teacher mentor or a student buddy for a child, over a period."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="pairings")
    kind = models.CharField(_("类型"), max_length=16, choices=PairingKind.choices)
    county_code = models.CharField(max_length=6, db_index=True)
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="mentees",
        null=True,
        blank=True,
        verbose_name=_("帮扶教师"),
    )
    buddy = models.ForeignKey(
        Child,
        on_delete=models.SET_NULL,
        related_name="buddy_of",
        null=True,
        blank=True,
        verbose_name=_("学习帮手"),
    )
    buddy_name = models.CharField(_("学习帮手姓名"), max_length=50, blank=True)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("结对")
        verbose_name_plural = _("结对")
        constraints = [
            models.UniqueConstraint(
                fields=["child", "kind"],
                condition=models.Q(ended_on__isnull=True),
                name="pairing_one_active_per_kind",
            )
        ]
        indexes = [models.Index(fields=["mentor", "ended_on"])]

    def __str__(self) -> str:
        partner = self.mentor or self.buddy_name
        return f"{self.get_kind_display()} {partner} → {self.child}"


class SchoolingChange(models.Model):
    """A dated change of a child's schooling (辍学, 复学): the small history the 劝返 duty
    runs from (``care.selectors.persuade_back_tasks``) and the file shows."""

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="schooling_changes", db_index=False
    )
    county_code = models.CharField(max_length=6)
    on = models.DateField(_("日期"))
    schooling_from = models.CharField(
        _("原就学情况"), max_length=SCHOOLING_LENGTH, choices=Schooling.choices
    )
    schooling_to = models.CharField(
        _("就学情况"), max_length=SCHOOLING_LENGTH, choices=Schooling.choices
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记人"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("就学情况变更")
        verbose_name_plural = _("就学情况变更")
        indexes = [
            models.Index(fields=["child", "schooling_to", "on"]),
            models.Index(fields=["county_code"], name="schooling_change_county"),
        ]
        ordering = ["-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.child_id} {self.on} {self.schooling_from}→{self.schooling_to}"


class TransferStatus(models.TextChoices):
    REQUESTED = "requested", _("待处理")
    ACCEPTED = "accepted", _("已接收")
    REFUSED = "refused", _("已拒绝")
    CANCELLED = "cancelled", _("已撤回")


class TransferSide(models.TextChoices):
    """Who asked: the school holding the file (转出申请, the receiving school decides) or
    the school that enrols the child (转入申请, the school holding the file consents)."""

    SENDING = "sending", _("转出学校申请")
    RECEIVING = "receiving", _("转入学校申请")
    COUNTY = "county", _("县级管理员办理")


class Transfer(models.Model):
    """转学: a child's move to another school of the same county, requested by one school
    and decided by the other (``services.transfer_*``). The file moves only on acceptance,
    and it is the same file: records, plans and history stay with the child."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="transfers")
    county_code = models.CharField(max_length=6)
    side = models.CharField(
        _("发起方"), max_length=16, choices=TransferSide.choices, default=TransferSide.SENDING
    )
    from_school = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="+", verbose_name=_("转出学校")
    )
    from_class = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="+", verbose_name=_("原班级")
    )
    to_school = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="+", verbose_name=_("转入学校")
    )
    to_class = models.ForeignKey(
        Org,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("转入班级"),
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=TransferStatus.choices, default=TransferStatus.REQUESTED
    )
    reason = models.CharField(_("转学原因"), max_length=200, blank=True)
    note = models.CharField(_("处理意见"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("申请人"),
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处理人"),
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("转学")
        verbose_name_plural = _("转学")
        indexes = [
            models.Index(fields=["to_school", "status"]),
            models.Index(fields=["from_school", "status"]),
            models.Index(fields=["county_code", "status"], name="transfer_county_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(status="requested"),
                name="transfer_one_open_per_child",
            )
        ]

    def __str__(self) -> str:
        return f"{self.child_id} {self.from_school_id}→{self.to_school_id} {self.status}"
