"""The pre-read bounds check on a large register: what ``register_file_check`` costs.

    python bench/bounds_bench.py [--rows 50000] [--repeat 5]

Builds the canonical register of ``import_bench.py`` (45 columns, written by CareNet's
own export renderer, whose strings are inline) and the same rows written with shared
strings (as Excel and WPS save a register), then times ``register_file_check`` alone on
each (the check made before python-calamine reads a file: the archive's sizes, each
sheet's rectangle, the text of every cell). It also times the walk of a legacy .xls's
BIFF records (``_walk_sheet``) over a workbook stream of the same rows and columns,
built in memory (LABELSST cells). Prints each run's wall-clock time, the fastest and the
median, and the same of the CPU time (steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _shared_strings_copy(path: Path, out: Path) -> None:
    """The same sheet written with shared strings (xlsxwriter's default mode)."""
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    book = xlsxwriter.Workbook(str(out))
    sheet = book.add_worksheet("花名册")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value != "":
                sheet.write(r, c, value if isinstance(value, str | int | float) else str(value))
    book.close()


def _biff_stream(rows: int, cols: int) -> bytes:
    """A worksheet substream: BOF, DIMENSIONS, ``rows`` × ``cols`` LABELSST cells, EOF."""
    cell = struct.Struct("<HHHI")
    parts = [
        struct.pack("<HH", 0x0809, 16) + bytes(16),
        struct.pack("<HHIIHHH", 0x0200, 14, 0, rows, 0, cols, 0),
    ]
    head = struct.pack("<HH", 0x00FD, 10)
    for r in range(rows):
        parts.append(
            b"".join(head + cell.pack(r, c, 15, (r * cols + c) % 1000) for c in range(cols))
        )
    parts.append(struct.pack("<HH", 0x000A, 0))
    return b"".join(parts)


def _time(label: str, repeat: int, run) -> None:
    """Wall-clock and CPU seconds of each run (the CPU time is steadier on a shared machine)."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    runs = " ".join(f"{t:.3f}" for t in walls)
    print(
        f"{label}: fastest {min(walls):.3f} s, median {statistics.median(walls):.3f} s ({runs}); "
        f"CPU fastest {min(cpus):.3f} s, median {statistics.median(cpus):.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="children in the register")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each check")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carenet.settings")
    work = Path(tempfile.mkdtemp(prefix="carenet-bounds-bench-"))
    os.environ.setdefault("CARENET_HOME", str(work / "home"))
    try:
        import django

        django.setup()
        import import_bench

        from carenet.exchange import bounds
        from carenet.exchange.reading import register_file_check

        inline, shared = work / "inline.xlsx", work / "shared.xlsx"
        import_bench.build_canonical_register(inline, args.rows)
        _shared_strings_copy(inline, shared)
        for path in (inline, shared):
            data = path.read_bytes()
            print(f"{path.name}: {args.rows} rows, {len(data) / 1e6:.1f} MB")
            _time(
                f"register_file_check({path.name})",
                args.repeat,
                lambda data=data, name=path.name: register_file_check(data=data, filename=name),
            )
        if hasattr(bounds, "_walk_sheet"):
            stream = _biff_stream(args.rows + 1, 45)
            print(
                f"BIFF worksheet stream: {args.rows + 1} rows × 45 cells, "
                f"{len(stream) / 1e6:.1f} MB"
            )
            _time(
                "_walk_sheet(BIFF stream)",
                args.repeat,
                lambda: bounds._walk_sheet(stream, 0, bounds._Extent()),
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
