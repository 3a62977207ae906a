"""Hostile spreadsheets built in code: each is small on disk and huge once read."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import xlsxwriter

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
_SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
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


def _minimal_into(archive: zipfile.ZipFile) -> None:
    archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
    archive.writestr("_rels/.rels", _RELS)
    archive.writestr("xl/workbook.xml", _WORKBOOK)
    archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
    archive.writestr("xl/worksheets/sheet1.xml", _SHEET)


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
