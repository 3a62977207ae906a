"""Text signals (placeholder until the matcher lands: categories only)."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class SignalCategory(StrEnum):
    SELF_HARM = "self_harm"
    ABUSE = "abuse"
    DOMESTIC_VIOLENCE = "domestic_violence"
    BULLYING = "bullying"
    SEXUAL_HARM = "sexual_harm"
    RUNNING_AWAY = "running_away"
    DROPOUT = "dropout"
    CHILD_LABOUR = "child_labour"


CATEGORY_LABELS = {
    SignalCategory.SELF_HARM: _("自伤自杀"),
    SignalCategory.ABUSE: _("虐待"),
    SignalCategory.DOMESTIC_VIOLENCE: _("家庭暴力"),
    SignalCategory.BULLYING: _("欺凌"),
    SignalCategory.SEXUAL_HARM: _("性侵害"),
    SignalCategory.RUNNING_AWAY: _("离家出走、失踪"),
    SignalCategory.DROPOUT: _("辍学"),
    SignalCategory.CHILD_LABOUR: _("未成年外出打工"),
}
