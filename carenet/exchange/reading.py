"""Reading a spreadsheet into rows of cells: .xlsx (Excel, WPS), .xls and .csv.

python-calamine reads both Excel formats (about ten times faster than openpyxl); it
gives numbers as floats and date cells as ``datetime.date``. An Excel sheet stays in
calamine's native cells: its first ``HEAD_ROWS`` rows (where the header is) are Python
lists, the others are turned into lists row by row (``Sheet.all_rows``) while they are
validated, so a large register never holds all its cells as Python objects at once. A
CSV is UTF-8 (with or without a byte-order mark) or GBK (read as GB18030, its superset).
Row indexes are 0-based and absolute, so the Excel row number is ``index + 1``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from carenet.exchange.bounds import (
    MAX_COLUMNS,
    MAX_ROWS,
    OLE2_MAGIC,
    check_file_size,
    check_xls,
    check_xlsx,
)
from carenet.exchange.errors import RegisterError
from carenet.lib.memory import release_freed_memory

__all__ = ["MAX_ROWS", "RegisterError", "Sheet", "read_sheets", "register_file_check"]

# Rows of an Excel sheet read as lists at once: the header is searched for in them (at
# least the importer's HEADER_SEARCH_ROWS).
HEAD_ROWS = 50


@dataclass
class Sheet:
    name: str
    # A CSV's rows; an Excel sheet's first HEAD_ROWS rows (every row: ``all_rows``).
    rows: list[list[Any]]
    # Merged ranges as ((first_row, first_col), (last_row, last_col)), 0-based.
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    native: Any = None  # python-calamine's sheet (Excel)

    @property
    def height(self) -> int:
        """The number of rows, from row 0 to the last one with a cell."""
        if self.native is None:
            return len(self.rows)
        end = self.native.end
        return end[0] + 1 if end else 0

    def all_rows(self) -> Iterator[list[object]]:
        """Every row from row 0, as a list of cells (from column A)."""
        if self.native is None:
            return iter(self.rows)
        # calamine's rows start at the first column with a cell; the importer counts
        # columns from A, as to_python(skip_empty_area=False) gives them.
        start = self.native.start
        if not start or not start[1]:
            return self.native.iter_rows()
        pad = [""] * start[1]
        return (pad + row for row in self.native.iter_rows())


def read_sheets(data: bytes, filename: str) -> list[Sheet]:
    """Every sheet of the file (one for a CSV), or RegisterError.

    The file's sizes are checked first (``carenet.exchange.bounds``): a sheet whose
    rectangle or text would take more memory than a register needs is refused before
    calamine allocates it."""
    if register_file_check(data=data, filename=filename) == "excel":
        return _read_excel(data)
    return [_read_csv(data)]


def register_file_check(*, data: bytes, filename: str) -> str:
    """``"excel"`` or ``"csv"``: what the file is, once its sizes are found bounded
    (else RegisterError). An .xlsx is read a chunk at a time; an .xls's workbook stream
    (no larger than the file) is read whole, then walked record by record."""
    if not data or not data.strip():
        raise RegisterError(_("文件是空的"))
    if data[:4] == b"PK\x03\x04":
        check_xlsx(data)
        return "excel"
    if data[:8] == OLE2_MAGIC:
        check_xls(data)
        return "excel"
    if filename.lower().endswith((".xlsx", ".xls", ".xlsm", ".et")):
        raise RegisterError(_("无法读取该文件：它不是有效的 Excel 文件"))
    check_file_size(data)
    return "csv"


def _read_excel(data: bytes) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for index, meta in enumerate(book.sheets_metadata):
            if str(getattr(meta, "visible", "")).lower().endswith("hidden"):
                continue
            native = book.get_sheet_by_index(index)
            head = native.to_python(skip_empty_area=False, nrows=HEAD_ROWS)
            merged = list(native.merged_cell_ranges or [])
            sheet = Sheet(name=meta.name, rows=head, merged=merged, native=native)
            if sheet.height > MAX_ROWS + 100:
                raise RegisterError(_("文件超过 %(n)d 行，请拆分后分批导入") % {"n": MAX_ROWS})
            sheets.append(sheet)
    except RegisterError:
        raise
    except Exception:  # calamine raises several types for damaged or encrypted files
        raise RegisterError(
            _("无法读取该文件：Excel 文件已损坏或加密，请另存为 .xlsx 后重试")
        ) from None
    finally:
        book = None  # the workbook's archive goes, before the trim (the sheets stay)
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
            if len(row) > MAX_COLUMNS:
                raise RegisterError(_("文件超过 %(n)d 列，这不是正常的花名册") % {"n": MAX_COLUMNS})
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 100:
                raise RegisterError(_("文件超过 %(n)d 行，请拆分后分批导入") % {"n": MAX_ROWS})
    except csv.Error:
        raise RegisterError(_("无法读取该文件：CSV 格式有误")) from None
    return Sheet(name="csv", rows=rows)
