"""Password rules with Chinese wording where Django's zh-hans catalogue has none."""

from __future__ import annotations

from django.contrib.auth.password_validation import MinimumLengthValidator
from django.utils.translation import gettext as _


class MinimumLength(MinimumLengthValidator):
    """Django's minimum length (10 in the settings), worded in Chinese: Django 5.2's zh-hans
    catalogue leaves this message untranslated."""

    def get_error_message(self) -> str:
        return _("密码太短，至少需要%(min_length)d个字符。") % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return _("密码至少需要%(min_length)d个字符。") % {"min_length": self.min_length}
