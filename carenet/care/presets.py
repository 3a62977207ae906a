"""Care plan presets that reproduce the seed plans (``shared/seeds``).

``weekly_talks``: a talk every week (on Monday, 每周一谈心), a call to the parents every
month, a home visit every quarter. ``monthly_talks``: a talk every month (每月至少谈心一次),
home visits at the start, middle and end of each term (期初、期中、期末家访), a call to the
parents and to the guardian every month.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from carenet.care.models import CareKind, CarePlan, Frequency
from carenet.orgs.models import Org

DEFAULT_PRESET = "weekly_talks"

TARGETS = {
    "filing_rate": 100,  # 建档率
    "enrollment_rate": 100,  # 入学率
    "retention_rate": 100,  # 巩固率
    "immunization_rate": 95,  # 计划免疫接种率
    "legal_aid_rate": 100,  # 法律援助
    "parent_education_rate": 95,  # 家长家教知识普及率
}

SCHEDULE: list[dict[str, Any]] = [
    {"month": 9, "items": ["讨论并制定学校关爱留守儿童工作计划", "建立健全留守儿童档案"]},
    {"month": 10, "items": ["中秋、国庆开展教师家访和学生谈心活动"]},
    {"month": 11, "items": ["开展师生结对帮扶活动"]},
    {"month": 12, "items": ["继续开展师生结对活动", "冬季安全教育"]},
    {"month": 1, "items": ["班级及学校留守儿童工作总结", "寒假安全教育"]},
    {"month": 3, "items": ["新学期更新留守儿童档案", "制定本班留守儿童帮扶计划"]},
    {"month": 4, "items": ["春季家访", "心理健康教育"]},
    {"month": 5, "items": ["给外出务工的父母写一封信"]},
    {"month": 6, "items": ["防溺水安全教育", "期末家访"]},
    {"month": 7, "items": ["工作总结", "暑期安全教育"]},
]

PRESETS: dict[str, dict[str, Any]] = {
    "weekly_talks": {
        "name": _("每周谈心、每月联系家长、每季度家访"),
        "frequencies": {
            CareKind.TALK: Frequency.WEEKLY,
            CareKind.PARENT_CALL: Frequency.MONTHLY,
            CareKind.GUARDIAN_CONTACT: Frequency.MONTHLY,
            CareKind.HOME_VISIT: Frequency.QUARTERLY,
            CareKind.LETTER: Frequency.TERMLY,
        },
    },
    "monthly_talks": {
        "name": _("每月谈心、期初期中期末家访"),
        "frequencies": {
            CareKind.TALK: Frequency.MONTHLY,
            CareKind.PARENT_CALL: Frequency.MONTHLY,
            CareKind.GUARDIAN_CONTACT: Frequency.MONTHLY,
            CareKind.HOME_VISIT: Frequency.TERM_START_MIDDLE_END,
            CareKind.LETTER: Frequency.NONE,
        },
    },
}


def preset_plan(key: str, *, org: Org, school_year: int) -> CarePlan:
    """An unsaved plan filled from a preset (save it to configure the org)."""
    preset = PRESETS[key]
    return CarePlan(
        org=org,
        school_year=school_year,
        name=str(preset["name"]),
        preset=key,
        frequencies={str(k): str(v) for k, v in preset["frequencies"].items()},
        targets=dict(TARGETS),
        mentor_min=5,
        mentor_max=7,
        leading_group={"leader": "校长", "members": ["德育主任", "班主任", "心理辅导教师"]},
        schedule=[dict(entry, items=list(entry["items"])) for entry in SCHEDULE],
    )
