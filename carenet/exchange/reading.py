"""Reading a spreadsheet into rows of cells: .xlsx (Excel, WPS), .xls and .csv.

python-calamine reads both Excel formats (about ten times faster than openpyxl); it
gives numbers as floats and date cells as ``datetime.date``. A CSV is UTF-8 (with or
without a byte-order mark) or GBK (read as GB18030, its superset). Row indexes are
0-based and absolute, so the Excel row number is ``index + 1``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from carenet.lib.memory import release_freed_memory

MAX_ROWS = 100_000


class RegisterError(Exception):
    """The whole file is unusable; ``str(exc)`` is one Chinese sentence for the user."""


@dataclass
class Sheet:
    name: str
    rows: list[list[object]]
    # Merged ranges as ((first_row, first_col), (last_row, last_col)), 0-based.
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)


def read_sheets(data: bytes, filename: str) -> list[Sheet]:
    """Every sheet of the file (one for a CSV), or RegisterError."""
    if not data or not data.strip():
        raise RegisterError(_("文件是空的"))
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return _read_excel(data)
    if filename.lower().endswith((".xlsx", ".xls", ".xlsm", ".et")):
        raise RegisterError(_("无法读取该文件：它不是有效的 Excel 文件"))
    return [_read_csv(data)]


def _read_excel(data: bytes) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for index, meta in enumerate(book.sheets_metadata):
            if str(getattr(meta, "visible", "")).lower().endswith("hidden"):
                continue
            sheet = book.get_sheet_by_index(index)
            rows = sheet.to_python(skip_empty_area=False)
            if len(rows) > MAX_ROWS + 100:
                raise RegisterError(_("文件超过 %(n)d 行，请拆分后分批导入") % {"n": MAX_ROWS})
            merged = list(sheet.merged_cell_ranges or [])
            sheets.append(Sheet(name=meta.name, rows=rows, merged=merged))
            del sheet  # its native cells, now that the rows are Python lists
    except RegisterError:
        raise
    except Exception:  # calamine raises several types for damaged or encrypted files
        raise RegisterError(
            _("无法读取该文件：Excel 文件已损坏或加密，请另存为 .xlsx 后重试")
        ) from None
    finally:
        book = None  # the workbook's native data goes too, before the trim
        release_freed_memory()
    return sheets


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise RegisterError(
            _("无法读取该文件：不是 Excel 文件，也不是 UTF-8 或 GBK 编码的 CSV 文件")
        ) from None


def _read_csv(data: bytes) -> Sheet:
    text = _decode(data)
    if "\x00" in text:
        raise RegisterError(
            _("无法读取该文件：不是 Excel 文件，也不是 UTF-8 或 GBK 编码的 CSV 文件")
        )
    first = text[:4096].split("\n", 1)[0]
    delimiter = max([",", "\t", ";"], key=first.count)
    try:
        rows: list[list[object]] = []
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 100:
                raise RegisterError(_("文件超过 %(n)d 行，请拆分后分批导入") % {"n": MAX_ROWS})
    except csv.Error:
        raise RegisterError(_("无法读取该文件：CSV 格式有误")) from None
    return Sheet(name="csv", rows=rows)
