"""Finding the header row (one or two levels, merged cells) and mapping its columns
to fields (``carenet.exchange.columns``)."""

from __future__ import annotations

from dataclasses import dataclass

from carenet.exchange.columns import (
    field_for_header,
    header_rank,
    normalise_header,
    settle_columns,
)
from carenet.exchange.importer.cells import cell_text
from carenet.exchange.reading import Sheet

HEADER_SEARCH_ROWS = 40


# ---------------------------------------------------------------------------- header


@dataclass
class Header:
    rows: list[int]  # 0-based indexes
    columns: dict[int, str]
    texts: dict[int, str]


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


def find_header(sheet: Sheet) -> Header | None:
    rows = sheet.rows[:HEADER_SEARCH_ROWS]
    filled = merge_fill(sheet, HEADER_SEARCH_ROWS)

    def cell(r: int, c: int) -> str:
        if (r, c) in filled:
            return cell_text(filled[(r, c)])
        row = rows[r]
        return cell_text(row[c]) if c < len(row) and isinstance(row[c], str) else ""

    def mapping(sub: int, group: int | None) -> tuple[dict[int, str], dict[int, str]]:
        found: list[tuple[int, str, int]] = []  # (column, key, rank)
        texts: dict[int, str] = {}
        width = max(len(rows[sub]), len(rows[group]) if group is not None else 0)
        for c in range(min(width, 200)):
            label, upper = cell(sub, c), cell(group, c) if group is not None else ""
            if not label:
                label, upper = upper, ""
            key = field_for_header(label, upper or None)
            if key:
                found.append((c, key, header_rank(label, upper or None)))
                both = normalise_header(upper) and normalise_header(upper) != normalise_header(
                    label
                )
                texts[c] = f"{upper}/{label}" if both else label
        columns = settle_columns(found)  # one column per field: the most specific
        return columns, {c: text for c, text in texts.items() if c in columns}

    best: tuple[tuple[int, int], Header] | None = None
    for r in range(len(rows)):
        options = [([r], None)]
        if r + 1 < len(rows):
            options.append(([r, r + 1], r))
        for header_rows, group in options:
            columns, texts = mapping(header_rows[-1], group)
            keys = set(columns.values())
            if not {"name", "id_number"} <= keys:
                continue
            score = (len(keys), -len(header_rows))
            if best is None or score > best[0]:
                best = (score, Header(header_rows, columns, texts))
    return best[1] if best else None
