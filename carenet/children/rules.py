"""Cross-field rules of a child file, shared by the child form, the API and the importer.

One home for what must agree between the fields of one child: the gender and the birth
date with the ID number. The form checks a whole date; a register may state only a year
or a month (出生年月), which must then agree to that precision.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.utils.translation import gettext_lazy as _

from carenet.lib.idcard import IdNumber

Precision = Literal["day", "month", "year"]

GENDER_DISAGREES = _("性别与身份证号不符（第17位奇数为男，偶数为女）")
BIRTH_DATE_DISAGREES = _("出生日期与身份证号不符")


def same_birth_date(given: dt.date, precision: Precision, actual: dt.date) -> bool:
    """Whether a stated birth date (to ``precision``) agrees with ``actual``."""
    if precision == "year":
        return given.year == actual.year
    if precision == "month":
        return (given.year, given.month) == (actual.year, actual.month)
    return given == actual


def id_disagreements(
    parsed: IdNumber,
    *,
    gender: str | None = None,
    birth_date: dt.date | None = None,
    precision: Precision = "day",
) -> dict[str, str]:
    """field → why it disagrees with the ID number, for the stated ``gender`` and
    ``birth_date`` (None: not stated, nothing to check)."""
    errors: dict[str, str] = {}
    if gender and gender != parsed.gender:
        errors["gender"] = str(GENDER_DISAGREES)
    if birth_date is not None and not same_birth_date(birth_date, precision, parsed.birth_date):
        errors["birth_date"] = str(BIRTH_DATE_DISAGREES)
    return errors
