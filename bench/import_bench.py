"""Register import benchmark (issue 4): CareNet vs the floor vs django-import-export.

    pip install -e '.[bench]'
    python bench/import_bench.py [--rows 50000] [--layout canonical|narrow] [--repeat N]
                                 [--ie-rows N] [--no-postgres] [--no-import-export]

Builds a clean register of N children (.xlsx): by default in the canonical layout of
REGISTER.md (45 columns, written by CareNet's own export renderer), or ``narrow`` (a
title line and 18 columns). Then times, in the same run:
(a) the floor: python-calamine reading the file + a bare sqlite3 ``executemany`` of the
    rows into a scratch table; and with PostgreSQL, its own floor: the same read + a bare
    ``COPY`` of the rows into a scratch table without indexes;
(b) CareNet's import end to end (read, validate, write children, family members and
    away periods, with history) on SQLite and on PostgreSQL
    (DATABASE_URL=postgres://postgres@127.0.0.1:5432/carenet_import_bench, created if
    missing);
(c) django-import-export importing the same rows into the same Child model, in its
    default mode and with ``use_bulk``, on each of the same databases.
(a) and (b) alternate ``--repeat`` times and each keeps its fastest run (all are
printed, with each CareNet run's ratio to the floor run just before it). Each measured
import runs in its own process on a fresh database (removed afterwards), so its peak
memory (ru_maxrss) is its own; a large import's helper process
(``carenet.lib.parallel``, forked from it) adds the memory it does not share with it
(its USS; the two together are reported beside). Times are wall-clock, with the CPU time
of the measuring process and its helper beside them, and on PostgreSQL the CPU time of
the import's server process (read from /proc when the server runs on this machine).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = "postgres://postgres@127.0.0.1:5432/carenet_import_bench"
SCHOOL = "3408270001"

HEADER = [
    "序号", "姓名", "性别", "出生日期", "身份证号", "年级", "班级", "是否寄宿", "健康状况",
    "父亲姓名", "父亲联系电话", "父亲务工地点（省/市）", "父亲外出时间",
    "母亲姓名", "母亲联系电话", "监护人姓名", "与儿童关系", "监护人联系电话",
]  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "子涵梓轩一诺欣怡浩宇雨桐思远佳怡俊杰明轩诗涵宇航晨曦"


def build_register(path: Path, rows: int) -> None:
    import xlsxwriter

    from carenet.lib.idcard import make_id_number

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_string(0, 0, "望江县留守儿童花名册")
    for c, h in enumerate(HEADER):
        sheet.write_string(1, c, h)
    start = dt.date(2011, 9, 1)
    for n in range(rows):
        birth = start + dt.timedelta(days=n % 2000)
        gender = "M" if n % 2 else "F"
        id_number = make_id_number("340827", birth, (n // 2000) * 2 + 1, gender)
        name = SURNAMES[n % 20] + GIVEN[(n * 7) % 24] + GIVEN[(n * 13) % 24]
        grade = 1 + n % 6
        r = n + 2
        values = [
            str(n + 1), name, "男" if gender == "M" else "女", None, id_number,
            f"{grade}年级", f"{1 + n % 4}班", "否", "健康",
            SURNAMES[n % 20] + "大山", f"138{n:08d}", "广东省深圳市", None,
            "陈芳", f"139{n:08d}", "李秀英", "祖母", "0556-1234567",
        ]  # fmt: skip
        for c, v in enumerate(values):
            if v is not None:
                sheet.write_string(r, c, v)
        sheet.write_datetime(r, 3, dt.datetime.combine(birth, dt.time()), date)
        sheet.write_datetime(r, 12, dt.datetime(2023, 2, 1), date)
    book.close()


def build_canonical_register(path: Path, rows: int) -> None:
    """A clean register in the canonical layout (REGISTER.md, all 45 columns), written by
    CareNet's own export renderer: what a county gets back from ``carenet export``."""
    from carenet.exchange.export import REGISTER_COLUMNS, render_xlsx

    path.write_bytes(render_xlsx(_canonical_rows(rows, len(REGISTER_COLUMNS)), title="望江县"))


def _canonical_rows(rows: int, width: int) -> Iterator[list]:
    from carenet.exchange.importer import NUMERALS
    from carenet.lib.idcard import make_id_number

    start = dt.date(2011, 9, 1)
    works = ("广东省/深圳市", "浙江省/杭州市", "江苏省/苏州市", "上海市", "福建省/厦门市")
    kinds = ("祖母", "祖父", "外祖母", "外祖父")
    for n in range(rows):
        birth = start + dt.timedelta(days=n % 2000)
        gender = "M" if n % 2 else "F"
        surname = SURNAMES[n % 20]
        grade = 1 + n % 6
        both = n % 3 != 0  # two parents away, else the father only
        father_birth = dt.date(1980 + n % 10, 1 + n % 12, 1 + n % 28)
        mother_birth = dt.date(1982 + n % 10, 1 + (n + 5) % 12, 1 + (n + 9) % 28)
        row = [
            n + 1, surname + GIVEN[(n * 7) % 24] + GIVEN[(n * 13) % 24],
            "男" if gender == "M" else "女", "汉族", birth,
            make_id_number("340827", birth, (n // 2000) * 2 + 1, gender),
            f"G340827{n:011d}", "华阳小学", f"{NUMERALS[grade]}年级", f"{1 + n % 4}班",
            "是" if n % 5 == 0 else "否", "安徽省安庆市望江县",
            f"华阳镇/第{1 + n % 9}村/{1 + n % 7}组",
            "健康", "", "在校", "双亲留守" if both else "单亲留守",
            surname + "大山", make_id_number("340827", father_birth, n % 500 * 2 + 1, "M"),
            f"138{n:08d}", works[n % 5], "电子厂", dt.date(2023, 2, 1),
            "陈芳", make_id_number("340827", mother_birth, n % 500 * 2, "F"),
            f"139{n:08d}", works[(n + 2) % 5] if both else "", "制衣厂" if both else "",
            dt.date(2023, 2, 1) if both else None,
            "李秀英", kinds[n % 4], 55 + n % 20, "良好", "小学", "务农",
            f"150{n:08d}", "华阳镇", "一般", "已全程接种", "阅读", "开朗", "", "", "", "",
        ]  # fmt: skip
        assert len(row) == width
        yield row


def _read(path: Path, header_rows: int) -> tuple[list[list], int]:
    """The register's rows below its ``header_rows`` and the header's width, read with
    python-calamine at once (what both floors start with)."""
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    return sheet[header_rows:], len(sheet[header_rows - 1])


def floor(path: Path, scratch: Path, header_rows: int) -> dict:
    import sqlite3

    scratch.unlink(missing_ok=True)
    started, cpu = time.perf_counter(), time.process_time()
    rows, width = _read(path, header_rows)
    db = sqlite3.connect(scratch)
    db.execute(f"create table register ({', '.join(f'c{i}' for i in range(width))})")
    marks = ", ".join("?" * width)
    db.executemany(f"insert into register values ({marks})", rows)
    db.commit()
    db.close()
    return {"seconds": time.perf_counter() - started, "cpu_s": time.process_time() - cpu}


def floor_postgres(path: Path, header_rows: int) -> dict:
    """The same floor into PostgreSQL: python-calamine reading the file + a bare ``COPY``
    of the rows into a scratch table without indexes (what the server's own work starts
    from), committed."""
    import psycopg

    with psycopg.connect(PG_URL.replace("postgres://", "postgresql://")) as db:
        db.execute("DROP TABLE IF EXISTS bench_floor")
        db.commit()
        started, cpu = time.perf_counter(), time.process_time()
        rows, width = _read(path, header_rows)
        db.execute(f"CREATE TABLE bench_floor ({', '.join(f'c{i} text' for i in range(width))})")
        with db.cursor().copy("COPY bench_floor FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        db.commit()
        result = {"seconds": time.perf_counter() - started, "cpu_s": time.process_time() - cpu}
        _settle_postgres(db.cursor())  # the scratch table goes with the schema
    return result


def _settle_postgres(cursor) -> None:
    """After a measured PostgreSQL run, out of its time: drop what it wrote and write the
    server's dirty pages out now, so that neither its checkpoint nor autovacuum runs
    during the next measured run."""
    cursor.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    cursor.execute("CHECKPOINT")


def _backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL server process, when the
    server runs on this machine (read from /proc), else None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


# ----------------------------------------------------------------------------- workers


def _django(home: str, database_url: str | None) -> None:
    os.environ["CARENET_HOME"] = home
    os.environ.pop("DATABASE_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "carenet.settings"
    import django

    django.setup()
    from django.core.management import call_command

    if database_url:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)
    from tests.factories import org_add

    county = org_add(None, code="340827", name="望江县", kind="county")
    township = org_add(county, code="340827100", name="华阳镇", kind="township")
    org_add(township, code=SCHOOL, name="华阳小学", kind="school")


def _cpu() -> float:
    """CPU seconds of this process and of its finished helper processes."""
    own = time.process_time()
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own + helpers.ru_utime + helpers.ru_stime


def worker_carenet(path: Path) -> dict:
    from carenet.exchange.importer import import_commit, import_preview
    from carenet.orgs.models import Org

    school = Org.objects.get(code=SCHOOL)
    server_started = _backend_cpu()
    started, cpu_started = time.perf_counter(), _cpu()
    preview = import_preview(data=path.read_bytes(), filename=path.name, school=school)
    validated, cpu_validated = time.perf_counter(), _cpu()
    import_commit(preview=preview, school=school, actor=None)
    done, cpu_done = time.perf_counter(), _cpu()
    server_done = _backend_cpu()
    from carenet.children.models import Child, FamilyMember

    helpers = resource.getrusage(resource.RUSAGE_CHILDREN)  # ended helper processes
    return {
        "seconds": done - started,
        "validate": validated - started,
        "write": done - validated,
        # CPU time of this process and of its helper processes (carenet.lib.parallel);
        # a PostgreSQL server's work is not in it.
        "cpu_s": cpu_done - cpu_started,
        "validate_cpu": cpu_validated - cpu_started,
        "write_cpu": cpu_done - cpu_validated,
        "helper_cpu_s": helpers.ru_utime + helpers.ru_stime,
        # PostgreSQL: its server process's CPU time for the import (None: not measurable)
        "server_cpu_s": None if server_started is None else server_done - server_started,
        "children": Child.objects.count(),
        "family": FamilyMember.objects.count(),
        "rejected": preview.rejected,
    }


def worker_import_export(path: Path, rows: int, bulk: bool, layout: str) -> dict:
    import tablib
    from import_export import fields, resources
    from python_calamine import CalamineWorkbook

    from carenet.children.models import Child
    from carenet.lib.crypto import blind_index
    from carenet.lib.names import name_pinyin
    from carenet.orgs.models import Org

    school = Org.objects.get(code=SCHOOL)
    grade = Org.objects.add_child(
        school, dict(code=SCHOOL + "-G", name="年级", kind="grade", county_code="340827")
    )
    school_class = Org.objects.add_child(
        grade, dict(code=SCHOOL + "-C", name="班", kind="class", county_code="340827")
    )

    class ChildResource(resources.ModelResource):
        name = fields.Field(attribute="name", column_name="姓名")
        id_number = fields.Field(attribute="id_number", column_name="身份证号")
        birth_date = fields.Field(attribute="birth_date", column_name="出生日期")
        gender = fields.Field(attribute="gender", column_name="性别")

        class Meta:
            model = Child
            fields = ("name", "id_number", "birth_date", "gender")
            import_id_fields = ("id_number",)
            use_bulk = bulk
            batch_size = 1000
            skip_diff = bulk

        def before_save_instance(self, instance, row, **kwargs):
            instance.gender = "M" if instance.gender == "男" else "F"
            instance.name_pinyin, instance.name_initials = name_pinyin(instance.name)
            instance.id_number_hash = blind_index(instance.id_number)
            instance.school = school
            instance.school_class = school_class
            instance.county_code = "340827"

    started, cpu = time.perf_counter(), time.process_time()
    table = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    first = LAYOUTS[layout][1]
    dataset = tablib.Dataset(*table[first : first + rows], headers=table[first - 1])
    result = ChildResource().import_data(dataset, dry_run=False, raise_errors=True)
    done = time.perf_counter()
    assert not result.has_errors()
    return {
        "seconds": done - started,
        "cpu_s": time.process_time() - cpu,
        "rows": rows,
        "children": Child.objects.count(),
    }


def _measure_helpers(report: Path) -> None:
    """Have each helper process (carenet.lib.parallel) write down, as it ends, the memory
    it does not share with this process (its USS: its private pages) and this process's
    RSS at that moment: what the two use together then. A helper's private memory only
    grows until it ends, and so does this process's while the helper works (the rows
    validated, the rows written), so that is when the two together peak. Read once per
    helper: a sampler reading /proc every 50 ms took a quarter of a core from the import
    it measured."""
    from carenet.lib import parallel

    run = parallel._helper_main

    def measured(*args) -> None:
        try:
            run(*args)
        finally:
            own = _kib(Path("/proc/self/smaps_rollup"), ("Private_Clean:", "Private_Dirty:"))
            parent = _kib(Path(f"/proc/{os.getppid()}/status"), ("VmRSS:",))
            with report.open("a") as out:
                out.write(f"{own} {parent}\n")

    parallel._helper_main = measured


def _kib(path: Path, keys: tuple[str, ...]) -> int:
    """The sum of the ``keys`` lines (in kB) of a /proc file."""
    return sum(
        int(line.split()[1]) for line in path.read_text().splitlines() if line.startswith(keys)
    )


def worker(args: argparse.Namespace) -> None:
    home = tempfile.mkdtemp(prefix="carenet-import-bench-")
    _django(home, PG_URL if args.db == "postgres" else None)
    path = Path(args.file)
    helpers = Path(home) / "helpers.txt"
    if Path("/proc/self/smaps_rollup").exists():
        _measure_helpers(helpers)
    if args.worker == "carenet":
        result = worker_carenet(path)
    else:
        result = worker_import_export(
            path, args.rows, bulk=args.worker == "ie-bulk", layout=args.layout
        )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["maxrss_mb"] = usage.ru_maxrss / 1024
    if helpers.exists():
        ended = [tuple(map(int, line.split())) for line in helpers.read_text().splitlines()]
        result["helper_uss_mb"] = max(own for own, _parent in ended) / 1024
        together = max(own + parent for own, parent in ended) / 1024
        result["together_mb"] = max(together, result["maxrss_mb"])
    result["cpu"] = usage.ru_utime + usage.ru_stime  # the whole process, setup included
    from django.db import connection, connections

    if connection.vendor == "postgresql":
        _settle_postgres(connection.cursor())
    connections.close_all()
    shutil.rmtree(home, ignore_errors=True)  # the scratch database (~130 MB for 50,000)
    print(json.dumps(result))


def run(kind: str, path: Path, layout: str, db: str = "sqlite", rows: int = 0) -> dict:
    command = [sys.executable, __file__, "--worker", kind, "--db", db, "--file", str(path)]
    command += ["--rows", str(rows), "--layout", layout]
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ensure_postgres() -> bool:
    try:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as conn:
            conn.autocommit = True
            exists = conn.execute(
                "select 1 from pg_database where datname = 'carenet_import_bench'"
            ).fetchone()
            if not exists:
                conn.execute("create database carenet_import_bench")
        return True
    except Exception as exc:  # no server: report without it
        print(f"PostgreSQL not available: {exc}", file=sys.stderr)
        return False


# layout → (builder, rows above the first child: title and header lines)
LAYOUTS = {"canonical": (build_canonical_register, 1), "narrow": (build_register, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="children in the register")
    parser.add_argument(
        "--ie-rows",
        type=int,
        default=5000,
        help="rows import-export imports, scaled up to --rows (default 5000: its time grows "
        "with the square of the rows, 50,000 take tens of minutes)",
    )
    parser.add_argument(
        "--layout",
        choices=sorted(LAYOUTS),
        default="canonical",
        help="canonical: the 45 columns of REGISTER.md as `carenet export` writes them; "
        "narrow: a title line and 18 columns (child, parents' names and phones, guardian)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of the floor and CareNet (the fastest counts)"
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-import-export", action="store_true", help="skip django-import-export")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--db", default="sqlite", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carenet.settings")
    work = Path(tempfile.mkdtemp(prefix="carenet-import-bench-"))
    os.environ.setdefault("CARENET_HOME", str(work / "home"))
    try:
        bench(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench(args: argparse.Namespace, work: Path) -> None:
    import django

    django.setup()
    path = work / "register.xlsx"
    build, header_rows = LAYOUTS[args.layout]
    build(path, args.rows)
    print(f"register ({args.layout}): {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB")
    load_before = os.getloadavg()
    databases = ["sqlite"]
    if not args.no_postgres and ensure_postgres():
        databases.append("postgres")
    # The floor and CareNet alternate, --repeat times; each keeps its fastest run (the
    # one least disturbed by the rest of a shared machine), all runs are printed.
    runs: dict[str, list[dict]] = {}
    for _ in range(args.repeat):
        runs.setdefault("floor", []).append(floor(path, work / "floor.sqlite3", header_rows))
        print(f"floor (calamine + sqlite3 executemany): {runs['floor'][-1]['seconds']:.2f} s")
        if "postgres" in databases:
            runs.setdefault("floor-postgres", []).append(floor_postgres(path, header_rows))
            print(f"floor (calamine + COPY): {runs['floor-postgres'][-1]['seconds']:.2f} s")
        for db in databases:
            runs.setdefault(f"carenet-{db}", []).append(run("carenet", path, args.layout, db=db))
            print(f"CareNet, {db}:", runs[f"carenet-{db}"][-1])
    results: dict[str, dict] = {
        key: min(found, key=lambda r: r["seconds"]) for key, found in runs.items()
    }
    for key, found in runs.items():
        print(f"{key}: " + ", ".join(f"{r['seconds']:.2f}" for r in found) + " s")
        if not key.startswith("carenet-"):
            continue
        floors = ["floor", "floor-postgres"] if key == "carenet-postgres" else ["floor"]
        for floor_key in floors:  # each run against the floor run just before it
            paired = [
                r["seconds"] / f["seconds"] for r, f in zip(found, runs[floor_key], strict=True)
            ]
            print(
                f"{key} / the {floor_key} run before it: "
                + ", ".join(f"{x:.2f}" for x in paired)
                + f" (median {statistics.median(paired):.2f})"
            )
    ie_rows = min(args.ie_rows, args.rows)
    for db in databases:
        if args.no_import_export:
            continue
        for kind in ("ie-bulk", "ie-default"):
            key = f"{kind}-{db}"
            results[key] = run(kind, path, args.layout, db=db, rows=ie_rows)
            results[key]["per_rows"] = results[key]["seconds"] * args.rows / ie_rows
            results[key]["cpu_per_rows"] = results[key]["cpu_s"] * args.rows / ie_rows
            print(f"django-import-export {kind}, {db}:", results[key])
    print(json.dumps(results, indent=2))
    print(table(results, args.rows, ie_rows, load_before, args.layout))


_DB_LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def table(
    results: dict[str, dict],
    rows: int,
    ie_rows: int,
    load_before: tuple[float, ...] = (),
    layout: str = "canonical",
) -> str:
    """The figures side by side, as the Markdown table of docs/benchmarks.md.

    Seconds are wall-clock (the targets); CPU is the measuring process's own CPU time
    and its helper process's, steadier on a shared machine (with the PostgreSQL server
    process's beside it, not in the ratio)."""
    base = results["floor"]["seconds"]
    cpu_base = results["floor"]["cpu_s"]
    loads = " ".join(f"{x:.2f}" for x in load_before)
    lines = [
        f"{layout} register; load average at the start: {loads}; at the end: "
        + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "",
        f"| {rows:,} rows | seconds | × floor | CPU s | × floor CPU | peak RSS |",
        "|---|---|---|---|---|---|",
        f"| floor: calamine + sqlite3 executemany | {base:.2f} | 1 | {cpu_base:.2f} | 1 | — |",
    ]
    pg_floor = results.get("floor-postgres")
    if pg_floor is not None:
        lines.append(
            f"| floor on PostgreSQL: calamine + COPY into a bare table | "
            f"{pg_floor['seconds']:.2f} | {pg_floor['seconds'] / base:.1f} | "
            f"{pg_floor['cpu_s']:.2f} | {pg_floor['cpu_s'] / cpu_base:.1f} | — |"
        )
    summary = []
    for db, label in _DB_LABELS.items():
        mine = results.get(f"carenet-{db}")
        if mine is None:
            continue
        helper = (
            f"; with its helper process (up to {mine['helper_uss_mb']:.0f} MB of its own) "
            f"{mine['together_mb']:.0f} MB"
            if mine.get("helper_uss_mb")
            else ""
        )
        server = mine.get("server_cpu_s")
        cpu = f"{mine['cpu_s']:.2f}" + (f" + server {server:.2f}" if server is not None else "")
        lines.append(
            f"| CareNet, {label} (validate {mine['validate']:.1f} s + write "
            f"{mine['write']:.1f} s) | {mine['seconds']:.2f} | {mine['seconds'] / base:.1f} | "
            f"{cpu} | {mine['cpu_s'] / cpu_base:.1f} | {mine['maxrss_mb']:.0f} MB{helper} |"
        )
        line = f"- CareNet on {label}: {mine['seconds'] / base:.1f}× the floor"
        if db == "postgres" and pg_floor is not None:
            line += f" ({mine['seconds'] / pg_floor['seconds']:.1f}× the PostgreSQL floor)"
        line += f"; peak RSS {mine['maxrss_mb']:.0f} MB{helper}"
        for kind, mode in (("ie-bulk", "`use_bulk`"), ("ie-default", "default")):
            theirs = results.get(f"{kind}-{db}")
            if theirs is None:
                continue
            note = (
                f" (measured on {ie_rows:,} rows: {theirs['seconds']:.1f} s, × {rows / ie_rows:g})"
            )
            lines.append(
                f"| django-import-export, {mode}, children only, {label}"
                f"{note if ie_rows != rows else ''} | {theirs['per_rows']:.1f} | "
                f"{theirs['per_rows'] / base:.0f} | {theirs['cpu_per_rows']:.1f} | "
                f"{theirs['cpu_per_rows'] / cpu_base:.0f} | {theirs['maxrss_mb']:.0f} MB |"
            )
            ratio = theirs["per_rows"] / mine["seconds"]
            line += f"; {ratio:.1f}× faster than import-export's {mode} mode"
        summary.append(line + ".")
    return "\n".join([*lines, "", *summary])


if __name__ == "__main__":
    main()
