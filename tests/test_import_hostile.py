"""Hostile spreadsheets: refused from their declared sizes before a reader allocates them.

Each file is a few kilobytes that a reader would turn into gigabytes (or a native abort:
python-calamine allocates a sheet's whole rectangle). Each is refused with one Chinese
line and exit 2, and the command stays far below 500 MB.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from carenet.cli import main
from carenet.exchange.reading import RegisterError, read_sheets, register_file_check
from tests import hostile_files
from tests.import_files import SIMPLE_HEADER, an_id, simple_row, xlsx

ROOT = Path(__file__).resolve().parent.parent
MEMORY_BOUND_KIB = 500 * 1024

TOO_LARGE = "表格范围过大"
TOGETHER = "表格范围合计过大"
UNPACKED = "解压后过大"
MUCH_TEXT = "文字总量过大"


@pytest.fixture(scope="module")
def huge_string_file(tmp_path_factory) -> Path:
    return hostile_files.huge_shared_string(tmp_path_factory.mktemp("hostile") / "huge.xlsx")


def _cases(huge: Path) -> dict[str, tuple[bytes, str]]:
    return {
        "far corner": (hostile_files.far_corner(), TOO_LARGE),
        "sparse rectangle": (hostile_files.sparse_rectangle(), TOO_LARGE),
        "far corner in a part named elsewhere": (hostile_files.far_corner_elsewhere(), TOO_LARGE),
        "huge shared string": (huge.read_bytes(), UNPACKED),
        "zip bomb": (hostile_files.zip_bomb(), UNPACKED),
        "a text longer than a cell holds": (hostile_files.long_shared_string(), "32767"),
        "a legacy .xls of 51 MB": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(51 << 20), "50 MB"),
        "a legacy .xls with a cell at IV65536": (
            hostile_files.legacy_xls(last_cell=(65_535, 255)),
            TOO_LARGE,
        ),
        "a legacy .xls declaring IV65536": (
            hostile_files.legacy_xls(dimensions=(65_536, 256)),
            TOO_LARGE,
        ),
        "a shared string in 20,000 cells": (
            hostile_files.shared_string_in_many_cells(),
            MUCH_TEXT,
        ),
        "two sheets each as large as one may be": (hostile_files.two_large_sheets(), TOGETHER),
        "a CSV of 51 MB": (b"a,b\n" * (51 << 18), "50 MB"),
    }


def _suffix(name: str) -> str:
    return ".xls" if ".xls " in name else ".csv" if "CSV" in name else ".xlsx"


def test_each_hostile_file_is_refused_with_a_chinese_message(huge_string_file):
    for name, (data, words) in _cases(huge_string_file).items():
        with pytest.raises(RegisterError) as refused:
            register_file_check(data=data, filename="x" + _suffix(name))
        assert words in str(refused.value), name


def test_an_ordinary_register_passes_the_checks():
    rows = [["华阳小学花名册"], SIMPLE_HEADER] + [simple_row(n, "甲", an_id()) for n in range(50)]
    assert register_file_check(data=xlsx(rows), filename="x.xlsx") == "excel"


def test_a_far_cell_without_a_dimension_or_addresses_is_still_found():
    from carenet.exchange.bounds import _Extent

    with pytest.raises(RegisterError):
        _Extent().scan(b'<sheetData><row r="1"><c r="A1"/></row><row r="400000"><c r="B400000"/>')
    with pytest.raises(RegisterError):
        _Extent().scan(b"<sheetData><row>" + b"<c><v>1</v></c>" * 301 + b"</row>")
    with pytest.raises(RegisterError):
        _Extent().scan(b'<x:row r="1"><x:c r="A1"/><x:c r="XFD1"/></x:row>')


def test_the_command_exits_2_with_one_chinese_line(world, tmp_path, capsys):
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(hostile_files.far_corner())
    assert main(["import", "children", str(path), "--school", world.school.code]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and TOO_LARGE in err


def test_a_csv_wider_than_a_register_exits_2(world, tmp_path, capsys):
    path = tmp_path / "花名册.csv"
    path.write_bytes(("姓名,身份证号," + "x," * 1000 + "\n").encode())
    assert main(["import", "children", str(path), "--school", world.school.code]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "列" in err


# Runs a command as its only child and prints that child's peak memory (KiB) last on
# stdout: the test process's own RUSAGE_CHILDREN would count every child it ever had.
_MEASURED = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print('PEAK', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


def _run_cli(path: Path, home: Path) -> tuple[subprocess.CompletedProcess, int]:
    """The import command on ``path`` and the peak memory (KiB) of its process."""
    env = {**os.environ, "CARENET_HOME": str(home), "PYTHONPATH": str(ROOT), "DATABASE_URL": ""}
    command = [sys.executable, "-m", "carenet.cli", "import", "children", str(path)]
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, *command, "--school", "X"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    peak = int(done.stdout.strip().splitlines()[-1].split()[1])
    return done, peak


@pytest.fixture(scope="module")
def migrated_home(tmp_path_factory) -> Path:
    """A CARENET_HOME whose SQLite database is migrated (the command checks it first)."""
    home = tmp_path_factory.mktemp("home")
    env = {**os.environ, "CARENET_HOME": str(home), "PYTHONPATH": str(ROOT), "DATABASE_URL": ""}
    subprocess.run(
        [sys.executable, "-m", "carenet.cli", "manage", "migrate", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    return home


def test_the_command_refuses_every_hostile_file_in_well_under_500_mb(
    huge_string_file, tmp_path, migrated_home
):
    for name, (data, words) in _cases(huge_string_file).items():
        path = tmp_path / ("file" + _suffix(name))
        path.write_bytes(data)
        done, peak = _run_cli(path, migrated_home)
        assert done.returncode == 2, (name, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], (name, done.stderr)
        assert "Traceback" not in done.stderr
        assert peak < MEMORY_BOUND_KIB, (name, peak)


# Legacy .xls: the workbook stream is read before calamine.


def test_a_genuine_xls_register_passes_the_checks_even_edited_in_place():
    assert register_file_check(data=hostile_files.REGISTER_XLS.read_bytes(), filename="x.xls")
    assert register_file_check(data=hostile_files.legacy_xls(), filename="x.xls") == "excel"
    # The same sheet declaring and reaching IV1000 (1,000 × 256 cells) is within bounds.
    edited = hostile_files.legacy_xls(dimensions=(1_000, 256), last_cell=(999, 255))
    assert register_file_check(data=edited, filename="x.xls") == "excel"


def test_an_xls_cell_far_out_is_refused_whether_or_not_its_dimensions_say_so():
    for data in (
        hostile_files.legacy_xls(last_cell=(65_535, 255)),
        hostile_files.legacy_xls(last_cell=(99, 3_000)),  # a column no BIFF8 sheet has
        hostile_files.legacy_xls(dimensions=(65_536, 256)),
        hostile_files.legacy_xls(dimensions=(4_000_000_000, 16)),  # rows are 32-bit here
    ):
        with pytest.raises(RegisterError) as refused:
            register_file_check(data=data, filename="x.xls")
        assert TOO_LARGE in str(refused.value)


def _biff(*records: tuple[int, bytes]) -> bytes:
    return b"".join(struct.pack("<HH", kind, len(body)) + body for kind, body in records)


def test_a_biff_sheet_is_bounded_by_spans_old_dimensions_and_charts_within_it():
    from carenet.exchange.bounds import _Extent, _walk_sheet

    bof, eof = (0x0809, bytes(16)), (0x000A, b"")
    mulrk = (0x00BD, struct.pack("<HH", 9, 2) + bytes(6 * 3) + struct.pack("<H", 4))
    extent = _Extent()
    sheet = _biff(bof, mulrk, bof, (0x00FD, struct.pack("<HHHI", 1, 50, 0, 0)), eof, eof)
    assert _walk_sheet(sheet + _biff(bof), 0, extent) == len(sheet)  # up to its own EOF
    assert (extent.max_row, extent.max_col) == (10, 51)  # the chart's cell counted too
    wide = (0x00BE, struct.pack("<HH", 0, 0) + bytes(4) + struct.pack("<H", 5_000))
    with pytest.raises(RegisterError):
        _walk_sheet(_biff(bof, wide, eof), 0, _Extent())  # MULBLANK's last column
    biff5 = (0x0200, struct.pack("<HHHHH", 0, 65_535, 0, 256, 0))
    with pytest.raises(RegisterError):
        _walk_sheet(_biff(bof, biff5, eof), 0, _Extent())
    assert _walk_sheet(sheet, len(sheet) + 100, _Extent()) == 0  # an offset past the end


def test_an_encrypted_xls_is_refused_as_the_reader_would():
    encrypted = hostile_files.legacy_xls(record_types={0x0042: 0x002F})  # CODEPAGE → FILEPASS
    with pytest.raises(RegisterError) as refused:
        register_file_check(data=encrypted, filename="x.xls")
    assert "损坏或加密" in str(refused.value)


def test_a_file_that_only_begins_like_ole2_is_left_to_the_reader_which_refuses_it():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"not a compound file" * 100
    assert register_file_check(data=data, filename="x.xls") == "excel"
    with pytest.raises(RegisterError) as refused:
        read_sheets(data, "x.xls")
    assert "损坏或加密" in str(refused.value)


# Shared strings: each counted once for every cell that refers to it.


def test_shared_string_lengths_are_read_across_chunks_rich_text_and_empty_strings():
    from carenet.exchange.bounds import _Strings

    part = (
        b'<?xml version="1.0"?><sst count="5" uniqueCount="5"><si><t>\xe5\xbc\xa0\xe4\xb8\x89</t>'
        b'</si><si><r><rPr><b/></rPr><t>AB</t></r><r><t xml:space="preserve"> C</t></r></si>'
        b"<si><t/></si><si/><si><t>" + b"x" * 1000 + b"</t></si></sst>"
    )
    for size in (len(part), 7, 50):
        strings = _Strings()
        cuts = [n for n in range(size, len(part), size) if part[n - 1 : n] == b">"]
        for start, end in zip([0, *cuts], [*cuts, len(part)], strict=True):
            strings.scan(part[start:end])
        assert list(strings.lengths) == [6, 4, 0, 0, 1000], size


def test_the_text_of_every_cell_is_bounded_shared_or_inline(monkeypatch):
    from array import array

    from carenet.exchange import bounds

    monkeypatch.setattr(bounds, "MAX_TEXT_TOTAL", 10_000)
    shared = bounds._Text(array("I", [5, 3_000]), exact=True)
    shared.scan(b'<row r="1"><c r="A1" t="s"><v>1</v></c><c r="B1" s="2" t="s"><v>1</v></c>')
    shared.scan(b'<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2"><v>1</v></c></row>')
    assert shared.total == 6_005  # the number in B2 is not a string
    shared.scan(b'<row r="3"><c r="A3" t = \'s\'><x:v> 0 </x:v></c></row>')  # as XML allows
    assert shared.total == 6_010
    with pytest.raises(RegisterError) as refused:
        shared.scan(b'<row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3" t="s"><v>1</v></c>')
    assert MUCH_TEXT in str(refused.value)
    inline = bounds._Text(array("I"), exact=True)
    cell = b'<c r="A1" t="inlineStr"><is><t xml:space="preserve">' + b"y" * 4_000 + b"</t></is></c>"
    inline.scan(cell * 2)
    with pytest.raises(RegisterError):
        inline.scan(cell)


def _inline_xlsx(rows: list[list[str]]) -> bytes:
    """An .xlsx whose strings are inline (xlsxwriter's constant-memory mode, as CareNet's
    own export writes them)."""
    import io

    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True})  # (not with in_memory)
    sheet = book.add_worksheet("花名册")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    return out.getvalue()


def test_inline_text_is_bounded_cheaply_then_counted_exactly_when_the_bound_is_over(
    monkeypatch,
):
    from carenet.exchange import bounds

    # 3,000 rows of about 10 bytes of text (a name, a word), in about 140 KB of markup.
    data = _inline_xlsx([["姓名", "备注"]] + [[f"张{n}", "好"] for n in range(3_000)])
    monkeypatch.setattr(bounds, "MAX_TEXT_TOTAL", 60_000)  # under the cheap bound
    assert register_file_check(data=data, filename="x.xlsx") == "excel"
    monkeypatch.setattr(bounds, "MAX_TEXT_TOTAL", 20_000)  # under the text itself
    with pytest.raises(RegisterError) as refused:
        register_file_check(data=data, filename="x.xlsx")
    assert MUCH_TEXT in str(refused.value)


def test_a_register_whose_strings_are_shared_passes_the_checks():
    rows = [SIMPLE_HEADER] + [simple_row(n, "张三", an_id()) for n in range(2_000)]
    assert register_file_check(data=xlsx(rows), filename="x.xlsx") == "excel"


# The usual sheet is checked by a search for an address beyond the rectangle found so far.


def test_the_search_for_an_address_beyond_the_rectangle_agrees_with_the_numbers():
    import random

    from carenet.exchange.bounds import _beyond_cell, _column_letters

    rng = random.Random(7)
    for _ in range(2_000):
        row, col = rng.randint(1, 120_000), rng.randint(1, 800)
        cell_row, cell_col = rng.randint(1, 120_000), rng.randint(1, 800)
        if rng.random() < 0.3:
            cell_row = max(1, row + rng.choice((-1, 0, 1)))
        if rng.random() < 0.3:
            cell_col = max(1, col + rng.choice((-1, 0, 1)))
        cell = b'<row r="%d"><c r="%s%d" t="s"><v>0</v></c>' % (
            cell_row,
            _column_letters(cell_col),
            cell_row,
        )
        found = _beyond_cell(row, col).search(cell) is not None
        assert found == (cell_row > row or cell_col > col), (row, col, cell)


def test_a_cell_beyond_its_row_or_an_odd_address_is_found_in_the_usual_sheet():
    from carenet.exchange.bounds import _Extent

    head = b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>1</v></c></row>'
    extent = _Extent()
    extent.scan(head)
    assert (extent.max_row, extent.max_col) == (1, 2)
    with pytest.raises(RegisterError):
        _Extent().scan(head + b'<row r="2"><c r="A400000"/></row>')
    with pytest.raises(RegisterError):
        _Extent().scan(head + b'<row r="2"><c r="KZ2"/></row>')
    with pytest.raises(RegisterError):
        _Extent().scan(head + b'<row r="2"><c s="1" r="ZZ2"/></row>')  # r not first
    with pytest.raises(RegisterError):
        _Extent().scan(head + b'<row r="2"><c\nr="ZZ2"/></row>')
