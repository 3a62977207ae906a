"""Phone numbers: mainland mobiles and landlines with an area code."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９－＋"}


class InvalidPhone(ValueError):
    pass


def normalise_phone(raw: object) -> str:
    """Canonical form: 11 digits for a mobile, ``0556-1234567`` for a landline."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).translate(_FULLWIDTH).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    text = re.sub(r"[\s\u3000()（）]", "", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    digits = text.replace("-", "")
    if digits.isdigit() and _MOBILE.match(digits):
        return digits
    return text


def parse_phone(raw: object) -> str:
    """The canonical phone, '' for blank, or InvalidPhone with a Chinese message."""
    value = normalise_phone(raw)
    if not value:
        return ""
    if _MOBILE.match(value):
        return value
    if _LANDLINE.match(value):
        if "-" not in value:
            area = 3 if value[1] in "12" else 4
            value = f"{value[:area]}-{value[area:]}"
        return value
    raise InvalidPhone(_("电话号码格式不正确：应为11位手机号或带区号的固定电话（如0556-1234567）"))


def mask_phone(value: str) -> str:
    if not value:
        return ""
    if len(value) == 11 and value.isdigit():
        return f"{value[:3]}****{value[7:]}"
    return value[:-4] + "****" if len(value) > 4 else "****"


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    return value[:6] + "*" * 8 + value[-4:] if len(value) == 18 else "*" * len(value)


def mask_student_number(value: str) -> str:
    """A student number (学籍号) masked as the ID number it carries: the national number is
    usually a letter and the child's ID number ("G" + 18 characters), shown as
    G340827********1234; any other form is starred whole (it may hold an ID otherwise)."""
    if not value:
        return ""
    prefix, rest = value[:-18], value[-18:]
    if len(value) >= 18 and len(prefix) <= 2 and (not prefix or prefix.isalpha()):
        return prefix + mask_id_number(rest)
    return "*" * len(value)
