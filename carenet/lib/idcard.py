"""Resident ID numbers (公民身份号码, GB 11643-1999): normalisation and the check digit.

Written by hand: the packaged validators are slow or reject division codes created
after 2014. We check the structure, the province (the first two digits), the check digit
and the embedded birth date. The county code is not checked here: codes are abolished
and created every year and an old one stays on its holder's card for life, so an unknown
county is a warning for the caller (``carenet.children.idcheck``), never a rejection.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from operator import mul
from typing import NamedTuple

from django.utils.translation import gettext as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９ＸｘＡ"}
# sum(ASCII code × weight) is sum(digit × weight) + 48 × sum(weights).
_ASCII_OFFSET = ord("0") * sum(_WEIGHTS)


# The province-level codes of GB/T 2260 (the first two digits of every division code):
# 11–15 North, 21–23 North-East, 31–37 East, 41–46 Centre-South, 50–54 South-West,
# 61–65 North-West, 71 台湾, 81 香港, 82 澳门; and 83, the address code of the residence
# permits of Taiwan residents (830000; those of Hong Kong and Macao residents use 810000 and
# 820000: 《港澳台居民居住证申领发放办法》, 2018).
PROVINCE_CODES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23"}
    | {"31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45", "46"}
    | {"50", "51", "52", "53", "54", "61", "62", "63", "64", "65"}
    | {"71", "81", "82", "83"}
)


class InvalidIdNumber(ValueError):
    """The message is a Chinese sentence fit for the user."""


class IdNumber(NamedTuple):
    value: str
    birth_date: dt.date
    gender: str  # "M" or "F"

    @property
    def division_code(self) -> str:
        return self.value[:6]


def normalise_id_number(raw: object) -> str:
    text = "" if raw is None else str(raw)
    text = text.translate(_FULLWIDTH)
    text = "".join(text.split()).replace("\u3000", "")
    return text.upper()


def _ascii_check_digit(first17: str) -> str:
    """The check digit of 17 ASCII digits, in C: the weights applied to the codes."""
    return _CHECK[(sum(map(mul, first17.encode("ascii"), _WEIGHTS)) - _ASCII_OFFSET) % 11]


def check_digit(first17: str) -> str:
    if len(first17) == 17 and first17.isascii() and first17.isdigit():
        return _ascii_check_digit(first17)
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def parse_id_number(raw: object, *, today: dt.date | None = None) -> IdNumber:
    if (
        type(raw) is str
        and len(raw) == 18
        and raw.isascii()
        and raw[:17].isdigit()
        and (raw[17].isdigit() or raw[17] in "Xx")
    ):
        value = raw.upper() if raw[17] == "x" else raw  # already normal: the common case
        expected = _ascii_check_digit(value[:17])
    else:
        value = normalise_id_number(raw)
        if not value:
            raise InvalidIdNumber(_("身份证号不能为空"))
        if "E+" in value or (value.replace(".", "").isdigit() and "." in value):
            raise InvalidIdNumber(
                _("身份证号被 Excel 存成了数字，末几位已丢失，请把该列设为文本后重新填写")
            )
        if len(value) != 18:
            raise InvalidIdNumber(_("身份证号应为18位，现为%(n)d位") % {"n": len(value)})
        if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
            raise InvalidIdNumber(_("身份证号只能由数字和末位X组成"))
        expected = check_digit(value[:17])
    if value[:2] not in PROVINCE_CODES:
        raise InvalidIdNumber(
            _("身份证号前两位（%(code)s）不是有效的省级行政区划代码") % {"code": value[:2]}
        )
    birth = _birth_date(value[6:14])
    if birth is None:
        raise InvalidIdNumber(_("身份证号中的出生日期不是有效日期"))
    if birth > (today or dt.date.today()) or birth.year < 1900:
        raise InvalidIdNumber(_("身份证号中的出生日期不合理"))
    if expected != value[17]:
        raise InvalidIdNumber(_("身份证号校验位错误"))
    return IdNumber(value, birth, "M" if int(value[16]) % 2 else "F")


@lru_cache(maxsize=65536)
def _birth_date(digits: str) -> dt.date | None:
    """The date of 8 digits (YYYYMMDD), or None: a register repeats a few thousand days."""
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def make_id_number(division: str, birth: dt.date, sequence: int, gender: str) -> str:
    """Build a valid ID number (for the demo and tests)."""
    seq = sequence % 1000
    if (seq % 2 == 1) != (gender == "M"):
        seq = (seq + 1) % 1000
    first17 = f"{division}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)
