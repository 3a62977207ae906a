"""Hostile spreadsheets built in code: each is small on disk and huge once read."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import olefile
import xlsxwriter

# A genuine BIFF8 register saved by LibreOffice Calc (tests/test_import_xls.py).
REGISTER_XLS = Path(__file__).parent / "fixtures" / "register.xls"

_OOXML = "http://schemas.openxmlformats.org"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_REL = f"{_OOXML}/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<Types xmlns="{_OOXML}/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<Relationships xmlns="{_OOXML}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<workbook xmlns="{_OOXML}/spreadsheetml/2006/main" xmlns:r="{_REL}">'
    '<sheets><sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<Relationships xmlns="{_OOXML}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
_SHEET_DATA = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
_SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    f"<sheetData>{_SHEET_DATA}</sheetData></worksheet>"
)
_SST_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
    'uniqueCount="1"><si><t>'
)


def _cells(cells: list[tuple[int, int, str]]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("花名册")
    for row, col, value in cells:
        sheet.write_string(row, col, value)
    book.close()
    return out.getvalue()


def far_corner() -> bytes:
    """One cell at XFD1048576, the last cell a sheet may have."""
    return _cells([(1_048_575, 16_383, "x")])


def sparse_rectangle() -> bytes:
    """A header cell at A1 and one cell at a far corner: the rectangle between them."""
    return _cells([(0, 0, "姓名"), (0, 1, "身份证号"), (399_999, 2_999, "x")])


def huge_shared_string(path: Path, *, megabytes: int = 600) -> Path:
    """An .xlsx whose one shared string is ``megabytes`` MB long (about 0.6 MB on disk),
    written a megabyte at a time."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        _minimal_into(archive)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(_SST_HEAD.encode())
            block = b"A" * (1 << 20)
            for _ in range(megabytes):
                part.write(block)
            part.write(b"</t></si></sst>")
    return path


def _minimal_into(archive: zipfile.ZipFile, *, sheet: str = _SHEET) -> None:
    archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
    archive.writestr("_rels/.rels", _RELS)
    archive.writestr("xl/workbook.xml", _WORKBOOK)
    archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
    archive.writestr("xl/worksheets/sheet1.xml", sheet)


def zip_bomb(*, parts: int = 40, megabytes: int = 10) -> bytes:
    """An .xlsx with ``parts`` extra entries of ``megabytes`` MB of zeros each."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _minimal_into(archive)
        archive.writestr("xl/sharedStrings.xml", _SST_HEAD + "姓名</t></si></sst>")
        zeros = bytes(megabytes << 20)
        for n in range(parts):
            archive.writestr(f"xl/media/image{n}.png", zeros)
    return out.getvalue()


def long_shared_string(*, characters: int = 200_000) -> bytes:
    """A small .xlsx whose one shared string is longer than a cell may hold."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _minimal_into(archive)
        archive.writestr("xl/sharedStrings.xml", _SST_HEAD + "A" * characters + "</t></si></sst>")
    return out.getvalue()


def legacy_xls(
    *,
    dimensions: tuple[int, int] | None = None,
    last_cell: tuple[int, int] | None = None,
    record_types: dict[int, int] | None = None,
) -> bytes:
    """The genuine .xls register, its workbook stream edited in place (same length) with
    olefile's writer: its sheet's DIMENSIONS record declaring ``dimensions`` (rows, columns:
    the last row and column + 1), its last text cell (LABELSST) moved to ``last_cell``
    (row, column, 0-based), records of a type retyped (``record_types``: old → new).

    ``last_cell=(65_535, 255)`` (IV65536) makes python-calamine build 65,536 × 256 cells,
    about 1 GB, from a file of 7.5 KB."""
    raw = io.BytesIO(REGISTER_XLS.read_bytes())
    with olefile.OleFileIO(raw, write_mode=True) as ole:
        stream = bytearray(ole.openstream("Workbook").read())
        pos, last_text = 0, None
        while pos + 4 <= len(stream):
            kind, length = struct.unpack_from("<HH", stream, pos)
            if record_types and kind in record_types:
                struct.pack_into("<H", stream, pos, record_types[kind])
            if kind == 0x0200 and dimensions:
                struct.pack_into("<IIHH", stream, pos + 4, 0, dimensions[0], 0, dimensions[1])
            if kind == 0x00FD:
                last_text = pos
            pos += 4 + length
        if last_cell:
            struct.pack_into("<HH", stream, last_text + 4, *last_cell)
        ole.write_stream("Workbook", bytes(stream))
    return raw.getvalue()


def shared_string_in_many_cells(*, characters: int = 30_000, cells: int = 20_000) -> bytes:
    """One shared string of ``characters`` (under the 32,767 a cell holds) in ``cells``
    cells of column A: a reader copies it into each, 600 MB of text from 60 KB."""
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>' for n in range(1, cells + 1)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _minimal_into(archive, sheet=_SHEET.replace(_SHEET_DATA, rows))
        archive.writestr("xl/sharedStrings.xml", _SST_HEAD + "A" * characters + "</t></si></sst>")
    return out.getvalue()


def two_large_sheets() -> bytes:
    """Two sheets, each a rectangle of 100,000 rows × 80 columns (the most one sheet may
    have), from a cell at A1 and one at CB100000: 500 MB once both are read."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    for name in ("花名册", "备份"):
        sheet = book.add_worksheet(name)
        sheet.write_string(0, 0, "姓名")
        sheet.write_string(99_999, 79, "x")
    book.close()
    return out.getvalue()


def far_corner_elsewhere(path: str = "xl/data/part.bin") -> bytes:
    """The far-corner sheet stored at ``path`` (not under xl/worksheets/), as the workbook's
    relationships may name it: python-calamine reads it from there."""
    source = zipfile.ZipFile(io.BytesIO(far_corner()))
    out = io.BytesIO()
    target = path.removeprefix("xl/")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in source.infolist():
            data, name = source.read(part), part.filename
            if name == "xl/worksheets/sheet1.xml":
                name = path
            elif name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"worksheets/sheet1.xml", target.encode())
            elif name == "[Content_Types].xml":
                data = data.replace(b"/xl/worksheets/sheet1.xml", b"/" + path.encode())
            archive.writestr(name, data)
        archive.writestr("xl/media/image1.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4000)
    return out.getvalue()
