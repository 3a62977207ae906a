"""Finding the header row (one or two levels, merged cells) and mapping its columns
to fields (``carenet.exchange.columns``), with the user's corrections if any.

A user may say what a column is ("this column is 监护人·联系电话") or that it is not
used (未使用): a ``ColumnChoice`` names the column by its position and its header text
as the preview showed it. Chosen keys override the automatic ones; a key the user gave
one column is no other column's (the user's choice wins).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.translation import gettext as _

from carenet.exchange.columns import (
    FIELD_LABELS,
    field_for_header,
    field_label,
    header_rank,
    normalise_header,
    settle_columns,
)
from carenet.exchange.errors import RegisterError
from carenet.exchange.importer.cells import cell_text
from carenet.exchange.importer.results import HeaderColumn
from carenet.exchange.reading import Sheet

HEADER_SEARCH_ROWS = 40
REQUIRED_KEYS = ("name", "id_number")
# A cell with this many digits in a row is a value (an ID number, a phone), not a header.
_VALUE = re.compile(r"\d{6}")


class ColumnChoice(NamedTuple):
    """What the user says a column is: ``key`` a field key, or None for 未使用."""

    column: int  # 0-based, as in the preview's ``header_columns``
    text: str  # the column's header text as the preview showed it ("父亲/联系电话")
    key: str | None
    # "user" (chosen now), "remembered" (chosen for an earlier file with this header) or
    # "auto" (what CareNet took it for, kept as such with the other columns' choices).
    origin: str = "user"


class MappingError(RegisterError):
    """The user's mapping cannot be used (a key twice, a key that does not exist)."""


class HeaderNotFound(RegisterError):
    """No header row with both 姓名 and an ID column. ``header`` is the most likely
    header row, for the user to map (None: not even that, the file is no register)."""

    def __init__(self, message: str, header: Header | None = None) -> None:
        super().__init__(message)
        self.header = header


def check_choices(choices: Iterable[ColumnChoice]) -> None:
    """MappingError unless every key chosen exists and no key is chosen twice."""
    seen: dict[str, str] = {}
    for choice in choices:
        if choice.key is None:
            continue
        if choice.key not in FIELD_LABELS:
            raise MappingError(
                _("“%(column)s”列选择的字段不存在，请从列表中选择") % {"column": choice.text}
            )
        if choice.key in seen:
            raise MappingError(
                _("“%(field)s”同时选给了“%(first)s”和“%(second)s”两列，每个字段只能对应一列")
                % {
                    "field": field_label(choice.key),
                    "first": seen[choice.key],
                    "second": choice.text,
                }
            )
        seen[choice.key] = choice.text


# ---------------------------------------------------------------------------- header


@dataclass
class Header:
    rows: list[int]  # 0-based indexes
    columns: dict[int, str]  # column index → field key taken
    texts: dict[int, str]  # column index → header text, of the columns taken
    cells: list[HeaderColumn] = field(default_factory=list)  # every column with a text


def merge_fill(sheet: Sheet, limit: int) -> dict[tuple[int, int], object]:
    """(row, col) → the value of the merged range covering it, for the top rows."""
    filled: dict[tuple[int, int], object] = {}
    for (r1, c1), (r2, c2) in sheet.merged:
        if r1 >= limit or r1 >= len(sheet.rows):
            continue
        top = sheet.rows[r1]
        value = top[c1] if c1 < len(top) else ""
        for r in range(r1, min(r2, limit) + 1):
            for c in range(c1, min(c2, 200) + 1):
                filled[(r, c)] = value
    return filled


class _Top:
    """The top rows of a sheet, where the header is, with merged cells filled in."""

    def __init__(self, sheet: Sheet) -> None:
        self.rows = sheet.rows[:HEADER_SEARCH_ROWS]
        self.filled = merge_fill(sheet, HEADER_SEARCH_ROWS)

    def cell(self, r: int, c: int) -> str:
        if (r, c) in self.filled:
            return cell_text(self.filled[(r, c)])
        row = self.rows[r]
        return cell_text(row[c]) if c < len(row) and isinstance(row[c], str) else ""

    def labels(self, sub: int, group: int | None) -> list[tuple[int, str, str | None]]:
        """(column, header text, the key the text means) of each column with a text.
        Where several columns mean one key, only the most specific means it (家长联系电话
        over 联系电话 over 手机号: ``columns.settle_columns``); the others mean nothing."""
        found = []
        ranked: list[tuple[int, str, int]] = []
        width = max(len(self.rows[sub]), len(self.rows[group]) if group is not None else 0)
        for c in range(min(width, 200)):
            label, upper = self.cell(sub, c), self.cell(group, c) if group is not None else ""
            if not label:
                label, upper = upper, ""
            if not label:
                continue
            key = field_for_header(label, upper or None)
            if key:
                ranked.append((c, key, header_rank(label, upper or None)))
            both = normalise_header(upper) and normalise_header(upper) != normalise_header(label)
            found.append((c, f"{upper}/{label}" if both else label, key))
        settled = settle_columns(ranked)
        return [(c, text, settled.get(c)) for c, text, _key in found]


def _same_text(a: str, b: str) -> bool:
    return a == b or normalise_header(a) == normalise_header(b)


def _apply(
    rows: list[int], labels: list[tuple[int, str, str | None]], choices: Sequence[ColumnChoice]
) -> tuple[Header, int]:
    """The header these labels make with ``choices`` applied, and how many applied."""
    text_of = {c: text for c, text, _key in labels}
    chosen = {
        choice.column: choice
        for choice in choices
        if choice.column in text_of and _same_text(text_of[choice.column], choice.text)
    }
    taken = {choice.key for choice in chosen.values() if choice.key}
    automatic: set[str] = set()  # without any choice: the first column of a key takes it
    columns: dict[int, str] = {}
    texts: dict[int, str] = {}
    cells: list[HeaderColumn] = []
    for c, text, meaning in labels:
        auto = meaning if meaning and meaning not in automatic else None
        if auto:
            automatic.add(auto)
        choice = chosen.get(c)
        if choice is not None:
            key, origin = choice.key, choice.origin
        else:
            # A column the user left alone takes what it means, unless a column the user
            # chose (or an earlier one) has it.
            key, origin = (meaning if meaning and meaning not in taken else None), "auto"
            if key:
                taken.add(key)
        if key:
            columns[c] = key
            texts[c] = text
        cells.append(HeaderColumn(c, text, key, auto, origin))
    return Header(rows, columns, texts, cells), len(chosen)


def find_header(sheet: Sheet, choices: Sequence[ColumnChoice] = ()) -> Header | None:
    """The header row(s) of a sheet: the top row (or two rows, a group over its columns)
    whose columns include 姓名 and an ID number, with the most known columns; the one
    the user's ``choices`` were made for first."""
    top = _Top(sheet)
    best: tuple[tuple[int, int, int], Header] | None = None
    for r in range(len(top.rows)):
        options: list[tuple[list[int], int | None]] = [([r], None)]
        if r + 1 < len(top.rows):
            options.append(([r, r + 1], r))
        for header_rows, group in options:
            header, applied = _apply(header_rows, top.labels(header_rows[-1], group), choices)
            keys = set(header.columns.values())
            if not set(REQUIRED_KEYS) <= keys:
                continue
            score = (applied, len(keys), -len(header_rows))
            if best is None or score > best[0]:
                best = (score, header)
    return best[1] if best else None


def guess_header(
    sheet: Sheet, choices: Sequence[ColumnChoice] = ()
) -> tuple[tuple[int, int], Header] | None:
    """Where ``find_header`` finds none: the row most likely the header, for the user to
    say which column is which — among the top rows, the one with most text cells (the
    one the ``choices`` were made for first), not a row of values (an ID number, a phone).
    With its score, or None when no row has two text cells."""
    top = _Top(sheet)
    best: tuple[tuple[int, int], Header] | None = None
    for r, row in enumerate(top.rows):
        if any(looks_like_value(v) for v in row):
            continue
        texts = sum(1 for v in row if isinstance(v, str) and cell_text(v))
        if texts < 2:
            continue
        header, applied = _apply([r], top.labels(r, None), choices)
        score = (applied, texts)
        if best is None or score > best[0]:
            best = (score, header)
    return best


def looks_like_value(cell: object) -> bool:
    """A cell that is a child's value rather than a column's name: 6 digits in a row."""
    if isinstance(cell, str):
        return bool(_VALUE.search(cell))
    return isinstance(cell, int | float) and not isinstance(cell, bool) and abs(cell) >= 100_000
