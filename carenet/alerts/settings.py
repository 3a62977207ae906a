"""The plan's early-warning settings (预警规则): saving what a plan manager typed into
``CarePlan.alert_rules``.

A plan stores only what differs from the defaults of ``carenet.alerts.rules``; the
defaults apply to the rest (``rules.config_of``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from carenet.alerts.rules import HOURS, RULES, Param
from carenet.care.models import CarePlan
from carenet.children.access import plan_orgs
from carenet.orgs.selectors import AnyUser


def field_name(group: str, name: str) -> str:
    """The form field of a setting: ``<rule>__<param>``, ``<rule>__on``, ``hours__<name>``."""
    return f"{group}__{name}"


def may_manage_rules(user: AnyUser, plan: CarePlan) -> bool:
    """Whether ``user`` configures ``plan`` (``Permission.MANAGE_PLANS`` at its org)."""
    return plan_orgs(user).filter(pk=plan.org_id).exists()


def _number(value: Any, param: Param, key: str, errors: dict[str, list[str]]) -> int | None:
    if value is None or value == "":
        errors.setdefault(key, []).append(_("请填写%(label)s。") % {"label": param.label})
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.setdefault(key, []).append(_("%(label)s应为整数。") % {"label": param.label})
        return None
    if not param.minimum <= number <= param.maximum:
        errors.setdefault(key, []).append(
            _("%(label)s应在 %(low)s 到 %(high)s %(unit)s之间。")
            % {
                "label": param.label,
                "low": param.minimum,
                "high": param.maximum,
                "unit": param.unit,
            }
        )
        return None
    return number


def plan_rules_save(
    *, actor: User, plan: CarePlan, data: Mapping[str, Mapping[str, Any]]
) -> CarePlan:
    """Save a plan's rule settings. ``data`` is ``{rule: {"on": bool, param: int},
    "hours": {name: int}}``; a rule or value left out keeps its default. Values out of
    their bounds are refused (``ValidationError`` by form field, ``field_name``) and
    nothing is saved."""
    if not may_manage_rules(actor, plan):
        raise PermissionDenied(_("只有县级管理员和学校领导可以修改预警规则"))
    errors: dict[str, list[str]] = {}
    stored: dict[str, Any] = {}
    for rule, spec in RULES.items():
        given = data.get(rule) or {}
        saved: dict[str, Any] = {}
        on = bool(given.get("on", spec.on))
        if on != spec.on:
            saved["on"] = on
        for name, param in spec.params.items():
            if name not in given:
                continue
            number = _number(given[name], param, field_name(rule, name), errors)
            if number is not None and number != param.default:
                saved[name] = number
        if saved:
            stored[rule] = saved
    hours: dict[str, int] = {}
    given_hours = data.get("hours") or {}
    for name, param in HOURS.items():
        if name not in given_hours:
            continue
        number = _number(given_hours[name], param, field_name("hours", name), errors)
        if number is not None and number != param.default:
            hours[name] = number
    if hours:
        stored["hours"] = hours
    if errors:
        raise ValidationError(errors)
    plan.alert_rules = stored
    plan.save(update_fields=["alert_rules"])
    return plan
