"""Checks on a register file's declared and actual size, made before any reader sees it.

python-calamine allocates a sheet's whole rectangle, from its first to its last cell, in
native memory: one cell at XFD1048576 makes it ask for 17 billion cells and abort the
process; a shared string of 600 MB (0.6 MB compressed) is read whole. Nothing here
decompresses more than a chunk at a time or keeps what it read:

- an .xlsx is a zip archive: its central directory gives each part's uncompressed size,
  bounded in total, per part and by compression ratio (a zip bomb); then each sheet's XML
  is read as a stream for its ``<dimension ref>`` and the address of every row and cell
  (the rectangle calamine will build), and every sheet and the shared strings are
  checked for a text longer than a cell may hold (Excel: 32,767 characters);
- a legacy .xls (BIFF, read by calamine too) is bounded by its size (its own format
  bounds a sheet to 65,536 × 256 cells);
- a CSV is bounded by its size.

Every refusal is a ``RegisterError`` with one Chinese sentence.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from typing import IO

from django.utils.translation import gettext as _

from carenet.exchange.errors import RegisterError

MAX_ROWS = 100_000
MAX_COLUMNS = 300
# The rectangle calamine allocates (about 32 bytes a cell): 100,000 rows of 80 columns.
MAX_CELLS = 8_000_000
MAX_FILE_BYTES = 50 * 1024 * 1024  # a legacy .xls or a CSV
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024  # every part of an .xlsx together
MAX_PARTS = 5000
MAX_RATIO = 200  # uncompressed / compressed, for a part of more than a megabyte
# Bytes of text between two tags: Excel's 32,767 characters, up to 4 bytes each in UTF-8.
MAX_TEXT_BYTES = 4 * 32_767 + 1024
_CHUNK = 1 << 20

_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|dimension)(?=[\s/>])([^>]*)>")
_ATTR_R = re.compile(rb'\sr\s*=\s*["\']([A-Za-z]*)(\d*)["\']')
_ATTR_REF = re.compile(rb'\sref\s*=\s*["\']([A-Za-z]+\d+)(?::([A-Za-z]+\d+))?["\']')
_CELL = re.compile(rb"([A-Za-z]*)(\d*)")
# The usual sheet: every row and cell has its address (Excel, WPS, xlsxwriter, openpyxl).
_CELL_REFS = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br="([A-Z]{1,3})(\d{1,7})"')
_ROW_REFS = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?row\s[^>]*?\br="(\d{1,7})"')
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*:(?:row|c)[\s/>]")


def _too_large() -> RegisterError:
    return RegisterError(
        _("文件的表格范围过大（超过 %(rows)d 行或 %(cols)d 列），请删除多余的行列或拆分后分批导入")
        % {"rows": MAX_ROWS, "cols": MAX_COLUMNS}
    )


def _damaged() -> RegisterError:
    return RegisterError(_("无法读取该文件：Excel 文件已损坏或加密，请另存为 .xlsx 后重试"))


def _bomb() -> RegisterError:
    return RegisterError(
        _("文件解压后过大（超过 %(mb)d MB）或压缩比异常，请另存为普通的 .xlsx 后重试")
        % {"mb": MAX_UNCOMPRESSED_BYTES // (1024 * 1024)}
    )


def _long_text() -> RegisterError:
    return RegisterError(_("文件中有单元格的内容超过 32767 个字符，这不是正常的花名册"))


def check_file_size(data: bytes) -> None:
    """A legacy .xls or a CSV no larger than ``MAX_FILE_BYTES``."""
    if len(data) > MAX_FILE_BYTES:
        raise RegisterError(
            _("文件超过 %(mb)d MB，请拆分后分批导入") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
        )


def check_xlsx(data: bytes) -> None:
    """The archive's sizes, each sheet's rectangle and the longest text, or RegisterError."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _damaged() from None
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise _bomb()
        if sum(p.file_size for p in parts) > MAX_UNCOMPRESSED_BYTES:
            raise _bomb()
        for part in parts:
            if part.file_size > _CHUNK and part.file_size > MAX_RATIO * max(1, part.compress_size):
                raise _bomb()
        for part in parts:
            name = part.filename.lower()
            is_sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
            if is_sheet or name == "xl/sharedstrings.xml":
                _check_part(archive, part, sheet=is_sheet)


def _check_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo, *, sheet: bool) -> None:
    extent = _Extent()
    read = 0
    try:
        with archive.open(part) as stream:
            for buffer in _buffers(stream):
                read += len(buffer)
                if read > part.file_size + _CHUNK or read > MAX_UNCOMPRESSED_BYTES:
                    raise _bomb()  # more than the directory declared
                if max(map(len, buffer.split(b"<"))) > MAX_TEXT_BYTES:
                    raise _long_text()
                if sheet:
                    extent.scan(buffer)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise _damaged() from None


def _buffers(stream: IO[bytes]) -> Iterator[bytes]:
    """The part in chunks, each ending after a tag's ``>``; what follows it (a tag cut in
    two, text up to the next tag) begins the next chunk, so no tag or text run is split."""
    rest = b""
    while chunk := stream.read(_CHUNK):
        buffer = rest + chunk
        cut = buffer.rfind(b">") + 1
        if len(buffer) - cut > MAX_TEXT_BYTES + 64:
            raise _long_text()
        rest = buffer[cut:]
        if cut:
            yield buffer[:cut]
    if rest:
        yield rest


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


class _Extent:
    """The last row and column of a sheet's XML, as a reader counts them: a row or cell
    without an address follows the one before."""

    def __init__(self) -> None:
        self.row = 0
        self.col = 0
        self.max_row = 0
        self.max_col = 0

    def scan(self, buffer: bytes) -> None:
        cells = _CELL_REFS.findall(buffer)
        row_refs = _ROW_REFS.findall(buffer)
        tags = sum(buffer.count(tag) for tag in (b"<c ", b"<c>", b"<c/>"))
        row_tags = sum(buffer.count(tag) for tag in (b"<row ", b"<row>", b"<row/>"))
        if tags != len(cells) or row_tags != len(row_refs) or _PREFIXED.search(buffer):
            # A row or cell without an address (counted from the one before it), an
            # address of another shape, or a namespace prefix: tag by tag.
            self._scan_tags(buffer)
            return
        for letters in {letters for letters, _row in cells}:
            self._bound(self.max_row, _column_number(letters))
        rows = {int(row) for row in row_refs}
        rows.update(int(row) for _letters, row in cells)
        if rows:
            self._bound(max(rows), self.max_col)
            self.row = max(rows)
        for match in _TAG.finditer(buffer, 0, buffer.find(b"<sheetData") + 1 or len(buffer)):
            if match.group(1) == b"dimension":
                ref = _ATTR_REF.search(b" " + match.group(2))
                if ref:
                    self._reach(ref.group(2) or ref.group(1))

    def _scan_tags(self, buffer: bytes) -> None:
        for match in _TAG.finditer(buffer):
            kind, attrs = match.group(1), match.group(2)
            if kind == b"dimension":
                ref = _ATTR_REF.search(b" " + attrs)
                if ref:
                    self._reach(ref.group(2) or ref.group(1))
                continue
            address = _ATTR_R.search(b" " + attrs)
            if kind == b"row":
                self.row = int(address.group(2)) if address and address.group(2) else self.row + 1
                self.col = 0
                self._bound(self.row, 1)
                continue
            if address and address.group(1):
                self.col = _column_number(address.group(1))
                if address.group(2):
                    self.row = int(address.group(2))
            else:
                self.col += 1
            self._bound(self.row, self.col)

    def _reach(self, cell: bytes) -> None:
        match = _CELL.fullmatch(cell)
        if match and match.group(1) and match.group(2):
            self._bound(int(match.group(2)), _column_number(match.group(1)))

    def _bound(self, row: int, col: int) -> None:
        self.max_row = max(self.max_row, row)
        self.max_col = max(self.max_col, col)
        if (
            self.max_row > MAX_ROWS + 100
            or self.max_col > MAX_COLUMNS
            or self.max_row * self.max_col > MAX_CELLS
        ):
            raise _too_large()
