"""The school calendar: school years, terms, official holidays and adjusted workdays.

A school year is named by the year it starts: 2026 runs from 1 September 2026 to
31 August 2027. Terms are fixed dates (simple and the same in every county): the autumn
term 1 Sep – 15 Jan, the spring term 15 Feb – 5 Jul. Holidays and adjusted workdays
(调休) come from ``chinese_calendar``; for a year it does not know yet, weekends only.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar
from django.utils.translation import gettext_noop as N_
from lunardate import LunarDate

AUTUMN_START = (9, 1)
AUTUMN_END = (1, 15)
SPRING_START = (2, 15)
SPRING_END = (7, 5)
_MAX_SHIFT = 400  # days: a safety bound on every forward search


def school_year_of(day: dt.date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def terms(school_year: int) -> list[tuple[dt.date, dt.date]]:
    """The school year's two terms as (first day, last day)."""
    return [
        (dt.date(school_year, *AUTUMN_START), dt.date(school_year + 1, *AUTUMN_END)),
        (dt.date(school_year + 1, *SPRING_START), dt.date(school_year + 1, *SPRING_END)),
    ]


def term_of(day: dt.date) -> tuple[dt.date, dt.date] | None:
    """The term a day falls in, or None in a break."""
    for start, end in terms(school_year_of(day)):
        if start <= day <= end:
            return start, end
    return None


def next_term(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first term that starts after ``day``."""
    year = school_year_of(day)
    for start, end in terms(year) + terms(year + 1):
        if start > day:
            return start, end
    raise AssertionError("unreachable: a term starts within two school years")


def term_on_or_after(day: dt.date) -> tuple[dt.date, dt.date]:
    """The term a day falls in, else the next one (a day in a break)."""
    return term_of(day) or next_term(day)


@lru_cache(maxsize=4096)
def is_workday(day: dt.date) -> bool:
    """An official working day (adjusted workdays included, holidays excluded)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def next_workday(day: dt.date) -> dt.date:
    """``day`` if it is a working day, else the next working day."""
    for _ in range(_MAX_SHIFT):
        if is_workday(day):
            return day
        day += dt.timedelta(days=1)
    return day


def school_day_on_or_after(day: dt.date) -> dt.date:
    """The first working day in term on or after ``day``."""
    for _ in range(_MAX_SHIFT):
        start, _end = term_on_or_after(day)
        day = next_workday(max(day, start))
        if term_of(day) is not None:
            return day
    return day


# Festivals the seed plans schedule care work around: (lunar month, day) or solar dates.
_LUNAR_FESTIVALS = (
    ((1, 1), N_("春节")),
    ((1, 15), N_("元宵节")),
    ((5, 5), N_("端午节")),
    ((8, 15), N_("中秋节")),
    ((9, 9), N_("重阳节")),
)
_SOLAR_FESTIVALS = (
    ((1, 1), N_("元旦")),
    ((3, 8), N_("妇女节")),
    ((5, 1), N_("劳动节")),
    ((6, 1), N_("儿童节")),
    ((9, 10), N_("教师节")),
    ((10, 1), N_("国庆节")),
)


def festivals(school_year: int) -> list[tuple[dt.date, str]]:
    """The school year's festivals (lunar ones converted to their solar dates), in order.

    Names are msgids: translate them with gettext where shown."""
    start, end = dt.date(school_year, 9, 1), dt.date(school_year + 1, 8, 31)
    found: list[tuple[dt.date, str]] = []
    for year in (school_year, school_year + 1):
        for (month, day), name in _LUNAR_FESTIVALS:
            try:
                found.append((LunarDate(year, month, day).to_solar_date(), name))
            except ValueError:  # outside the package's table
                continue
        found.extend((dt.date(year, month, day), name) for (month, day), name in _SOLAR_FESTIVALS)
    return sorted((day, name) for day, name in found if start <= day <= end)
