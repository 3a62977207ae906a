"""The early-warning rules and their settings in the care plan (``CarePlan.alert_rules``).

Each rule has an on/off switch and thresholds; a plan stores only what it changes, the
rest is read from ``RULES``' defaults (``config_of``). The hours before an unhandled alert
escalates and before a due mandatory report is overdue are plan settings too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carenet.alerts.models import AlertRule, Severity
from carenet.alerts.text import SignalCategory
from carenet.care.models import CarePlan


@dataclass(frozen=True)
class Param:
    """A threshold of a rule: a whole number within bounds."""

    label: str | Promise
    default: int
    minimum: int
    maximum: int
    unit: str | Promise = ""


@dataclass(frozen=True)
class RuleSpec:
    rule: AlertRule
    severity: Severity
    help: str | Promise
    params: Mapping[str, Param] = field(default_factory=lambda: MappingProxyType({}))
    on: bool = True


def _params(**params: Param) -> Mapping[str, Param]:
    return MappingProxyType(params)


DAYS = _("天")
RULES: Mapping[str, RuleSpec] = MappingProxyType(
    {
        AlertRule.CARE_OVERDUE: RuleSpec(
            AlertRule.CARE_OVERDUE,
            Severity.NOTICE,
            _("谈心、家访、联系家长等关爱工作逾期超过宽限天数"),
            _params(grace_days=Param(_("宽限天数"), 14, 0, 180, DAYS)),
        ),
        AlertRule.NO_PARENT_CONTACT: RuleSpec(
            AlertRule.NO_PARENT_CONTACT,
            Severity.SERIOUS,
            _("留守儿童与外出父母超过规定天数没有联系（据联系家长、亲情电话记录）"),
            _params(days=Param(_("未联系天数"), 30, 7, 365, DAYS)),
        ),
        AlertRule.NO_GUARDIAN: RuleSpec(
            AlertRule.NO_GUARDIAN,
            Severity.SEVERE,
            _("监护状况评为“无人监护”"),
        ),
        AlertRule.GUARDIAN_POOR: RuleSpec(
            AlertRule.GUARDIAN_POOR,
            Severity.SERIOUS,
            _("监护状况评为“差”，或家访评定监护能力差"),
        ),
        AlertRule.GUARDIAN_FRAIL: RuleSpec(
            AlertRule.GUARDIAN_FRAIL,
            Severity.SERIOUS,
            _("委托监护人年龄超过规定或身体状况差"),
            _params(age=Param(_("年龄超过"), 70, 50, 100, _("岁"))),
        ),
        AlertRule.LIVING_ALONE: RuleSpec(
            AlertRule.LIVING_ALONE,
            Severity.SEVERE,
            _("儿童独自居住：父母均外出，又没有委托监护人和祖辈在家"),
        ),
        AlertRule.ENTRUSTED_UNSUITABLE: RuleSpec(
            AlertRule.ENTRUSTED_UNSUITABLE,
            Severity.SERIOUS,
            _("委托照护人不符合条件：未成年、年龄过大、身体状况差、无监护能力或有虐待、遗弃记录"),
            _params(min_age=Param(_("最低年龄"), 18, 16, 30, _("岁"))),
        ),
        AlertRule.ABSENCE: RuleSpec(
            AlertRule.ABSENCE,
            Severity.SERIOUS,
            _("规定天数内缺勤达到规定次数（班主任登记的缺勤）"),
            _params(
                count=Param(_("缺勤次数"), 3, 1, 30, _("次")),
                days=Param(_("统计天数"), 30, 7, 120, DAYS),
            ),
        ),
        AlertRule.RESULTS_FALL: RuleSpec(
            AlertRule.RESULTS_FALL,
            Severity.SERIOUS,
            _("最近一次考试平均得分率比上一次下降超过规定百分点"),
            _params(points=Param(_("下降百分点"), 15, 5, 60, _("个百分点"))),
        ),
        AlertRule.TEXT_SIGNAL: RuleSpec(
            AlertRule.TEXT_SIGNAL,
            Severity.SERIOUS,
            _("谈心、家访、心理辅导和通话记录中出现自伤、受虐、欺凌、出走、辍学等危险信号"),
        ),
    }
)

# Hours settings of the plan (``CarePlan.alert_rules["hours"]``).
HOURS: Mapping[str, Param] = MappingProxyType(
    {
        "escalate": Param(_("预警未处理自动上报（小时）"), 48, 1, 720, _("小时")),
        "escalate_severe": Param(_("严重预警未处理自动上报（小时）"), 4, 1, 72, _("小时")),
        "report": Param(_("强制报告应在发现后（小时）内完成"), 24, 1, 168, _("小时")),
    }
)

# The text signals' severities: a severe one makes the risk high at once and, being a
# legal category of the mandatory report (强制报告), makes a report due.
TEXT_SEVERITY: Mapping[str, Severity] = MappingProxyType(
    {
        SignalCategory.SELF_HARM: Severity.SEVERE,
        SignalCategory.ABUSE: Severity.SEVERE,
        SignalCategory.DOMESTIC_VIOLENCE: Severity.SEVERE,
        SignalCategory.SEXUAL_HARM: Severity.SEVERE,
        SignalCategory.RUNNING_AWAY: Severity.SEVERE,
        SignalCategory.BULLYING: Severity.SERIOUS,
        SignalCategory.DROPOUT: Severity.SERIOUS,
        SignalCategory.CHILD_LABOUR: Severity.SERIOUS,
    }
)


@dataclass(frozen=True)
class RuleConfig:
    on: bool
    values: Mapping[str, int]

    def __getitem__(self, name: str) -> int:
        return self.values[name]


@dataclass(frozen=True)
class Config:
    """A plan's early-warning settings, defaults filled in."""

    rules: Mapping[str, RuleConfig]
    hours: Mapping[str, int]

    def rule(self, rule: str) -> RuleConfig:
        return self.rules[rule]


def _whole(value: Any, param: Param) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return param.default
    return min(max(number, param.minimum), param.maximum)


def config_of(plan: CarePlan | None) -> Config:
    """The settings of ``plan`` (``None``: the defaults), each value within its bounds."""
    stored: Mapping[str, Any] = (plan.alert_rules if plan is not None else None) or {}
    rules: dict[str, RuleConfig] = {}
    for key, spec in RULES.items():
        saved = stored.get(key) or {}
        rules[key] = RuleConfig(
            on=bool(saved.get("on", spec.on)),
            values=MappingProxyType(
                {name: _whole(saved.get(name, p.default), p) for name, p in spec.params.items()}
            ),
        )
    saved_hours = stored.get("hours") or {}
    hours = {name: _whole(saved_hours.get(name, p.default), p) for name, p in HOURS.items()}
    return Config(rules=MappingProxyType(rules), hours=MappingProxyType(hours))
