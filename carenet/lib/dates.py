"""The dates CareNet accepts anywhere a user or a program gives one (pages, forms, the API):
one range, so that no date far in the past or future reaches arithmetic that cannot hold it
(a year below 1 or above 9999 after subtracting 16 years, a calendar without the year)."""

from __future__ import annotations

import datetime as dt

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2100, 12, 31)


def date_in_range(value: dt.date) -> bool:
    return EARLIEST <= value <= LATEST
