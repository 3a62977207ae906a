"""Hostile spreadsheets: refused from their declared sizes before a reader allocates them.

Each file is a few kilobytes that a reader would turn into gigabytes (or a native abort:
python-calamine allocates a sheet's whole rectangle). Each is refused with one Chinese
line and exit 2, and the command stays far below 500 MB.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from carenet.cli import main
from carenet.exchange.reading import RegisterError, register_file_check
from tests import hostile_files
from tests.import_files import SIMPLE_HEADER, an_id, simple_row, xlsx

ROOT = Path(__file__).resolve().parent.parent
MEMORY_BOUND_KIB = 500 * 1024

TOO_LARGE = "表格范围过大"
UNPACKED = "解压后过大"


@pytest.fixture(scope="module")
def huge_string_file(tmp_path_factory) -> Path:
    return hostile_files.huge_shared_string(tmp_path_factory.mktemp("hostile") / "huge.xlsx")


def _cases(huge: Path) -> dict[str, tuple[bytes, str]]:
    return {
        "far corner": (hostile_files.far_corner(), TOO_LARGE),
        "sparse rectangle": (hostile_files.sparse_rectangle(), TOO_LARGE),
        "huge shared string": (huge.read_bytes(), UNPACKED),
        "zip bomb": (hostile_files.zip_bomb(), UNPACKED),
        "a text longer than a cell holds": (hostile_files.long_shared_string(), "32767"),
        "a legacy .xls of 51 MB": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(51 << 20), "50 MB"),
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
