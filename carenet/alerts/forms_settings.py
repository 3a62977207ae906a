"""The form of a plan's early-warning settings (预警规则), built from ``rules.RULES``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from carenet.alerts.rules import HOURS, RULES, Config, Param, RuleSpec
from carenet.alerts.settings import field_name
from carenet.lib.forms import ServiceErrorsMixin


def _number_field(param: Param, initial: int) -> forms.CharField:
    # Text checked by the service (``plan_rules_save``): a value out of bounds comes
    # back with its message, as typed.
    return forms.CharField(
        label=str(param.label),
        required=False,
        initial=initial,
        help_text=_("%(low)s—%(high)s %(unit)s，默认 %(default)s")
        % {
            "low": param.minimum,
            "high": param.maximum,
            "unit": param.unit,
            "default": param.default,
        },
        widget=forms.NumberInput(
            attrs={"min": param.minimum, "max": param.maximum, "inputmode": "numeric"}
        ),
    )


@dataclass(frozen=True)
class RuleRow:
    spec: RuleSpec
    on: forms.BoundField
    params: list[forms.BoundField]


class RuleSettingsForm(ServiceErrorsMixin, forms.Form):
    def __init__(self, *args: Any, config: Config, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for rule, spec in RULES.items():
            current = config.rule(rule)
            self.fields[field_name(rule, "on")] = forms.BooleanField(
                label=_("启用"), required=False, initial=current.on
            )
            for name, param in spec.params.items():
                self.fields[field_name(rule, name)] = _number_field(param, current[name])
        for name, param in HOURS.items():
            self.fields[field_name("hours", name)] = _number_field(param, config.hours[name])

    def rule_rows(self) -> list[RuleRow]:
        return [
            RuleRow(
                spec=spec,
                on=self[field_name(rule, "on")],
                params=[self[field_name(rule, name)] for name in spec.params],
            )
            for rule, spec in RULES.items()
        ]

    def hour_fields(self) -> list[forms.BoundField]:
        return [self[field_name("hours", name)] for name in HOURS]

    def settings_data(self) -> dict[str, dict[str, Any]]:
        """What was typed, in the shape ``plan_rules_save`` takes."""
        data: dict[str, dict[str, Any]] = {}
        for rule, spec in RULES.items():
            values: dict[str, Any] = {"on": self.cleaned_data[field_name(rule, "on")]}
            for name in spec.params:
                values[name] = self.cleaned_data[field_name(rule, name)].strip()
            data[rule] = values
        data["hours"] = {
            name: self.cleaned_data[field_name("hours", name)].strip() for name in HOURS
        }
        return data
