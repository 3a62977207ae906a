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
- calamine copies a shared string into every cell that refers to it: a 30,000-character
  string in 100,000 cells is 3 GB from a small file. The length of each shared string is
  kept (4 bytes a string), and the text of every sheet's cells (shared strings by their
  length, inline strings by their own) is bounded in total for the workbook;
- the sheets' rectangles are bounded in total too, since every sheet is read;
- a legacy .xls (BIFF, read by calamine too) is bounded by its size, then its workbook
  stream is read from its OLE2 container (``olefile``) and walked record by record as
  calamine walks it: each sheet's DIMENSIONS record and the row and column of every cell
  record give its rectangle (65,536 × 256 cells is half a gigabyte). A file that is not
  OLE2 or BIFF is left to calamine, which refuses it;
- a CSV is bounded by its size.

Every refusal is a ``RegisterError`` with one Chinese sentence.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from array import array
from collections.abc import Iterator
from functools import lru_cache
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
# Bytes of cell text a workbook may expand to in the reader (shared strings counted once
# for every cell that refers to them): the 50,000-row canonical register (45 columns) has 18 MB.
MAX_TEXT_TOTAL = 100 * 1024 * 1024
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
_PREFIX_END = re.compile(rb":(?:row|c)[\s/>]")  # cheap to look for first (from each ":")
# A text run (between a tag's ">" and the next "<") longer than a cell may hold.
_LONG_TEXT = re.compile(rb">[^<]{%d}" % MAX_TEXT_BYTES)
# The usual sheet, as every common writer makes it: each row and cell has its address as
# its first attribute, in capitals; a row or cell out of the rectangle found so far is
# then found by one search (``_beyond_cell``) for an address beyond it.
# A row or cell tag whose first attribute is not its address in capitals.
_ODD_CELL = re.compile(rb'<c(?! r="[A-Z]{1,3}\d{1,7}"[\s/>])[\s/>]')
_ODD_ROW = re.compile(rb'<row(?! r="\d{1,7}"[\s/>])[\s/>]')
_ROW_NUMBERS = re.compile(rb'<row r="(\d+)"')
# A cell's shared string (its index) and an inline string's text runs.
_USUAL_SHARED_REFS = re.compile(rb't="s"[^>]*>\s*<v>(\d+)<')
# Any spacing and quotes calamine's XML reader accepts (t = 's'), a prefixed <x:v>.
_ODD_TYPE = re.compile(rb"""t(?:\s+=|=\s|=')""")
_SHARED_REFS = re.compile(rb"""t\s*=\s*["']s["'][^>]*>\s*<(?:[A-Za-z_][\w.-]*:)?v>\s*(\d+)\s*<""")
_INLINE_TEXT = re.compile(rb"<t(?:>|\s[^>]*>)([^<]*)")
_INLINE_TEXT_PREFIXED = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?t(?:>|\s[^>]*>)([^<]*)")
# The end of a shared string (<si>...</si>, or <si/>), and the plain one: <si><t>text</t></si>.
_SI_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?si>|<(?:[A-Za-z_][\w.-]*:)?si\s*/>")
_PLAIN_SI = re.compile(rb"<si><t(?:\s[^>]*)?(?:/>|>([^<]*)</t>)</si>|<si/>")
_ANY_TAG = re.compile(rb"<[^>]*>")


def _too_large() -> RegisterError:
    return RegisterError(
        _("文件的表格范围过大（超过 %(rows)d 行或 %(cols)d 列），请删除多余的行列或拆分后分批导入")
        % {"rows": MAX_ROWS, "cols": MAX_COLUMNS}
    )


def _too_large_together() -> RegisterError:
    return RegisterError(
        _("文件中各工作表的表格范围合计过大（超过 %(cells)d 个单元格），请删除多余的工作表或行列")
        % {"cells": MAX_CELLS}
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


def _much_text() -> RegisterError:
    return RegisterError(
        _("文件中单元格的文字总量过大（展开后超过 %(mb)d MB），这不是正常的花名册")
        % {"mb": MAX_TEXT_TOTAL // (1024 * 1024)}
    )


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOF, _EOF, _BOUNDSHEET, _FILEPASS, _DIMENSIONS = 0x0809, 0x000A, 0x0085, 0x002F, 0x0200
# BIFF cell records: the row (u16) at offset 0, the column (u16) at offset 2. FORMULA,
# LABELSST, BLANK, NUMBER, LABEL, BOOLERR, RK, RSTRING, and the BIFF4 FORMULA.
_XLS_CELLS = frozenset({0x0006, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6, 0x0406})
# MULRK and MULBLANK: the row, the first column, ..., the last column (u16) at the end.
_XLS_SPANS = frozenset({0x00BD, 0x00BE})
_U16_PAIR = struct.Struct("<HH")


def check_xls(data: bytes) -> None:
    """A legacy .xls: its size, then each sheet's rectangle (its DIMENSIONS record and its
    cell records) and the rectangles together, or RegisterError. A file that is not an
    OLE2 compound file with a BIFF workbook stream passes: the reader refuses it."""
    check_file_size(data)
    stream = _workbook_stream(data)
    if stream is None:
        return
    offsets = _sheet_offsets(stream)
    cells = walked = 0
    for offset in sorted(set(offsets)):
        extent = _Extent()
        walked += _walk_sheet(stream, offset, extent)
        if walked > len(stream):
            raise _damaged()  # sheets that overlap: the same records read again and again
        cells += extent.max_row * extent.max_col
        if cells > MAX_CELLS:
            raise _too_large_together()  # every sheet is read and kept


def _workbook_stream(data: bytes) -> bytes | None:
    """The BIFF workbook stream ("Workbook", or "Book" before Excel 97), or None."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception:  # olefile raises several types for what is not OLE2
        return None
    with ole:
        for name in ("Workbook", "Book"):
            if ole.exists(name):
                if ole.get_size(name) > len(data):
                    raise _damaged()  # a stream larger than the file holding it
                try:
                    return ole.openstream(name).read()
                except Exception:
                    return None
    return None


def _records(stream: bytes, pos: int) -> Iterator[tuple[int, int, int]]:
    """(type, start of the body, length) of each record from ``pos``."""
    end = len(stream) - 4
    unpack = _U16_PAIR.unpack_from
    while pos <= end:
        kind, length = unpack(stream, pos)
        yield kind, pos + 4, length
        pos += 4 + length


def _sheet_offsets(stream: bytes) -> list[int]:
    """Where each sheet's records begin (its BOUNDSHEET record in the workbook globals)."""
    offsets = []
    for kind, body, length in _records(stream, 0):
        if kind == _BOUNDSHEET and length >= 4:
            offsets.append(struct.unpack_from("<I", stream, body)[0])
        elif kind == _FILEPASS:
            raise _damaged()  # encrypted: its records cannot be read here (nor by calamine)
        elif kind == _EOF:
            break
    return offsets


def _walk_sheet(stream: bytes, offset: int, extent: _Extent) -> int:
    """Bound a sheet's rectangle from its records (up to its EOF, nested charts' BOF and
    EOF counted); the number of bytes walked."""
    unpack = _U16_PAIR.unpack_from
    end = len(stream) - 4
    pos = offset
    depth = rows = cols = 0
    cells, spans = _XLS_CELLS, _XLS_SPANS
    while pos <= end:
        kind, length = unpack(stream, pos)
        body = pos + 4
        pos = body + length
        if kind in cells:
            if length >= 4:
                row, col = unpack(stream, body)
                if row >= rows:
                    rows = row + 1
                if col >= cols:
                    cols = col + 1
        elif kind in spans:
            if length >= 6 and pos <= len(stream):
                row, first = unpack(stream, body)
                last = max(first, unpack(stream, pos - 4)[1])
                rows = max(rows, row + 1)
                cols = max(cols, last + 1)
        elif kind == _DIMENSIONS:
            if length >= 14:  # BIFF8: first row, last row + 1 (u32), first col, last col + 1
                _first, last_row, _col, last_col = struct.unpack_from("<IIHH", stream, body)
            elif length >= 8:  # BIFF5
                _first, last_row, _col, last_col = struct.unpack_from("<HHHH", stream, body)
            else:
                continue
            extent._bound(last_row, last_col)
        elif kind == _BOF:
            depth += 1
        elif kind == _EOF:
            depth -= 1
            if depth <= 0:
                break
    extent._bound(rows, cols)
    return max(0, min(pos, len(stream)) - offset)


def check_xlsx(data: bytes) -> None:
    """The archive's sizes, each sheet's rectangle, the longest text and the text of all
    cells together, or RegisterError."""
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
        strings = _Strings()
        for part in parts:
            if part.filename.lower() == "xl/sharedstrings.xml":
                _check_part(archive, part, strings.scan)
        text = _Text(strings.lengths)
        cells = 0
        for part in parts:
            # Any XML part may be a sheet: the workbook's relationships can name any path.
            if part.filename.lower() != "xl/sharedstrings.xml" and not part.is_dir():
                extent = _Extent()
                _check_part(archive, part, extent.scan, text.scan, xml_only=True)
                cells += extent.max_row * extent.max_col
                if cells > MAX_CELLS:
                    raise _too_large_together()  # every sheet is read and kept
        if text.total > MAX_TEXT_TOTAL:  # the bound of inline text is over: count it
            exact = _Text(strings.lengths, exact=True)
            for part in parts:
                if part.filename.lower() != "xl/sharedstrings.xml" and not part.is_dir():
                    _check_part(archive, part, exact.scan, xml_only=True)


def _check_part(
    archive: zipfile.ZipFile, part: zipfile.ZipInfo, *scans, xml_only: bool = False
) -> None:
    """Read the part a chunk at a time through each scan; with ``xml_only``, a part that
    does not begin as XML (an image, a binary part) is left unread."""
    read = 0
    try:
        with archive.open(part) as stream:
            if xml_only:
                head = stream.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
                if not head.startswith(b"<"):
                    return
                stream = _Rewound(head, stream)
            for buffer in _buffers(stream):
                read += len(buffer)
                if read > part.file_size + _CHUNK or read > MAX_UNCOMPRESSED_BYTES:
                    raise _bomb()  # more than the directory declared
                if _LONG_TEXT.search(buffer) or buffer.find(b"<") > MAX_TEXT_BYTES:
                    raise _long_text()
                for scan in scans:
                    scan(buffer)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise _damaged() from None


class _Rewound:
    """A stream with its first bytes (already read) given back first."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head, self._stream = head, stream

    def read(self, size: int) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            return head + self._stream.read(max(0, size - len(head)))
        return self._stream.read(size)


def _buffers(stream: IO[bytes] | _Rewound) -> Iterator[bytes]:
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


def _beyond(value: bytes, alphabet: bytes) -> bytes:
    """A pattern for a string of ``alphabet`` (b"0-9" or b"A-Z") greater than ``value``
    as a number: a longer one, or the same length and greater at its first difference.
    (Leading zeros make a longer string, so it is taken as greater: a false alarm only.)"""
    top = alphabet[-1]
    length = len(value)
    choices = [b"[%s]{%d,}" % (alphabet, length + 1)]
    for at, digit in enumerate(value):
        if digit < top:
            above = bytes([digit + 1, ord("-"), top])
            tail = b"[%s]{%d}" % (alphabet, length - at - 1)
            choices.append(re.escape(value[:at]) + b"[" + above + b"]" + tail)
    return b"(?:" + b"|".join(choices) + b")"


@lru_cache(maxsize=256)
def _beyond_cell(row: int, col: int) -> re.Pattern[bytes]:
    """A cell (its address first) beyond row ``row`` or column number ``col`` (0: any)."""
    beyond_col = _beyond(_column_letters(col), b"A-Z") if col else b"[A-Z]"
    beyond_row = _beyond(str(row).encode(), b"0-9")
    return re.compile(rb'<c r="(?:' + beyond_col + rb"\d|[A-Z]+" + beyond_row + b'")')


def _column_letters(number: int) -> bytes:
    letters = b""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = bytes([65 + rest]) + letters
    return letters


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
        self._in_data = False  # past <sheetData> (no <dimension> after it)

    def scan(self, buffer: bytes) -> None:
        if not self._in_data:
            self._dimension(buffer)
        if b":" in buffer and _PREFIX_END.search(buffer) and _PREFIXED.search(buffer):
            self._scan_tags(buffer)  # a namespace prefix
            return
        last_row = max(self.max_row, max(map(int, _ROW_NUMBERS.findall(buffer)), default=0))
        if (
            _ODD_CELL.search(buffer)
            or _ODD_ROW.search(buffer)
            or _beyond_cell(last_row, self.max_col).search(buffer)
        ):
            self._scan_addressed(buffer)
            return
        # Every row and cell is addressed (``r`` first), and no cell lies beyond the last
        # row number or the columns found so far.
        self._bound(last_row, self.max_col)
        self.row = last_row

    def _scan_addressed(self, buffer: bytes) -> None:
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

    def _dimension(self, buffer: bytes) -> None:
        """The ``<dimension ref>`` before ``<sheetData>`` (where a reader looks for it)."""
        data = buffer.find(b"<sheetData")
        self._in_data = data >= 0
        for match in _TAG.finditer(buffer, 0, data + 1 or len(buffer)):
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


class _Strings:
    """The length in bytes of each shared string's text (``xl/sharedStrings.xml``), in
    order, kept as 4-byte numbers; the part is read as a stream of chunks."""

    def __init__(self) -> None:
        self.lengths = array("I")
        self._rest = b""

    def scan(self, buffer: bytes) -> None:
        data = self._rest + buffer if self._rest else buffer
        cut = _after_last_string(data)
        if not cut:
            self._rest = data
            if len(data) > 16 * MAX_TEXT_BYTES:  # one string of many runs
                raise _long_text()
            return
        done, self._rest = data[:cut], data[cut:]
        plain = _PLAIN_SI.findall(done)
        if len(plain) == done.count(b"<si") and b":si" not in done:
            self.lengths.extend(map(len, plain))  # the usual strings, without runs
            return
        start = 0
        for end in _SI_END.finditer(done):
            # The text between the tags: several runs, phonetic guides (an upper bound).
            self.lengths.append(len(_ANY_TAG.sub(b"", done[start : end.start()])))
            start = end.end()


def _after_last_string(data: bytes) -> int:
    """Where the last complete shared string of ``data`` ends (0: none ends in it)."""
    if b":si" in data or b"<si " in data:  # a namespace prefix, or <si />: one by one
        cut = 0
        for match in _SI_END.finditer(data):
            cut = match.end()
        return cut
    cut = max(data.rfind(b"</si>"), data.rfind(b"<si/>")) + 5
    return cut if cut >= 5 else 0


class _Text:
    """The bytes of text a reader builds for the workbook's cells: a shared string once
    for every cell that refers to it, an inline string by its own length.

    Shared strings are counted exactly. Inline text is counted run by run when ``exact``;
    otherwise it is bounded from above, cheaply, by every byte outside the tags (each
    tag, from its "<", is at least 3 bytes) — ``check_xlsx`` counts again exactly only
    when that bound is over."""

    def __init__(self, lengths: array, *, exact: bool = False) -> None:
        self.lengths = lengths
        self.exact = exact
        self.shared = 0
        self.inline = 0

    @property
    def total(self) -> int:
        return self.shared + self.inline

    def scan(self, buffer: bytes) -> None:
        if self.lengths:
            odd = _ODD_TYPE.search(buffer) or (b":" in buffer and b":v>" in buffer)
            refs = map(int, (_SHARED_REFS if odd else _USUAL_SHARED_REFS).findall(buffer))
            try:
                self.shared += sum(map(self.lengths.__getitem__, refs))
            except IndexError:  # a string that is not there (the reader refuses the file)
                count = len(self.lengths)
                found = (int(ref) for ref in _SHARED_REFS.findall(buffer))
                self.shared += sum(self.lengths[ref] for ref in found if ref < count)
            if self.shared > MAX_TEXT_TOTAL:
                raise _much_text()
        if self.exact:
            runs = _INLINE_TEXT_PREFIXED if b":" in buffer else _INLINE_TEXT
            self.inline += sum(map(len, runs.findall(buffer)))
            if self.total > MAX_TEXT_TOTAL:
                raise _much_text()
        else:
            self.inline += max(0, len(buffer) - 3 * buffer.count(b"<"))
