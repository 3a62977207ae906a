"""Care work benchmark (issue 3): the teacher's working list and a school's overdue view.

    python bench/care_bench.py --children 50000 --db sqlite
    python bench/care_bench.py --children 50000 --db postgres --records-per-child 50

Builds (or reuses, keyed by its parameters) a county in its own CARENET_HOME
(/tmp/carenet-bench-…; on PostgreSQL also its own database, created if missing): the demo
county's org tree, staff, children, families and pairings (``demo_build`` without its
history, the demo principal's school made ``--school-size`` children big), then a year
of care records, ``--records-per-child`` for every child, bulk-loaded (SQLite:
executemany; PostgreSQL: COPY) with values encrypted as the app does. Then it measures,
through Django's test client with a logged-in user, the demo teacher's working list
(/care/tasks/: class teacher and mentor) and the demo principal's (the school view of a
school of ``--school-size`` children), and the selector calls underneath, as p50/p95
over many calls after a warm-up. ``--append`` adds the figures to docs/benchmarks.md.

Not part of the test suite. ``--profile`` prints a pyinstrument profile of each view.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
KINDS = (  # a year of record cards: kind, share
    ("talk", 50),
    ("family_call", 14),
    ("parent_call", 12),
    ("guardian_contact", 10),
    ("home_visit", 6),
    ("letter", 2),
    ("counseling", 2),
    ("assistance", 4),
)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=50000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--records-per-child", type=int, default=50)
    parser.add_argument("--school-size", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=200, help="teacher requests")
    parser.add_argument("--school-requests", type=int, default=50, help="principal requests")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="build anew even if built")
    parser.add_argument("--append", action="store_true", help="append to docs/benchmarks.md")
    parser.add_argument("--profile", action="store_true", help="pyinstrument one call each")
    return parser.parse_args()


def configure(args: argparse.Namespace) -> tuple[Path, str]:
    """A CARENET_HOME (and PostgreSQL database) of its own for these parameters."""
    key = f"{args.db}-{args.children}-{args.records_per_child}-{args.school_size}-{args.seed}"
    home = Path(f"/tmp/carenet-bench-{key}")
    home.mkdir(parents=True, exist_ok=True)
    os.environ["CARENET_HOME"] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carenet.settings")
    if args.db == "postgres":
        name = f"carenet_bench_{args.children}_{args.records_per_child}_{args.school_size}"
        name += f"_{args.seed}"
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not found:
                conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    else:
        os.environ.pop("DATABASE_URL", None)
    return home, key


# --------------------------------------------------------------------------- building


def build(args: argparse.Namespace, home: Path) -> dict:
    from django.core.management import call_command

    marker = home / "built.json"
    call_command("migrate", verbosity=0)
    if marker.exists() and not args.rebuild:
        return json.loads(marker.read_text()) | {"reused": True}
    from carenet.demo.services import demo_build

    started = time.perf_counter()
    # An atomic build: a county left by an interrupted run is whole, and is reused.
    summary = demo_build(
        children=args.children, seed=args.seed, reset=args.rebuild, history=False,
        school_size=args.school_size,
    )  # fmt: skip
    county_seconds = time.perf_counter() - started
    started = time.perf_counter()
    records = load_records(args)
    record_seconds = time.perf_counter() - started
    started = time.perf_counter()
    analyse()
    analyse_seconds = time.perf_counter() - started
    built = {
        "children": summary.children,
        "left_behind": summary.both_parents + summary.one_parent,
        "records": records,
        "county_seconds": round(county_seconds, 1),
        "record_seconds": round(record_seconds, 1),
        "analyse_seconds": round(analyse_seconds, 1),
        "built_on": dt.date.today().isoformat(),
    }
    marker.write_text(json.dumps(built))
    return built | {"reused": False}


def _authors() -> dict[int, int]:
    """Each child's author: the active mentor, else the class teacher."""
    from carenet.children.models import Child, Pairing, PairingKind
    from carenet.orgs.models import Membership, OrgKind, Role

    class_teacher = dict(
        Membership.objects.filter(role=Role.TEACHER, org__kind=OrgKind.CLASS).values_list(
            "org_id", "user_id"
        )
    )
    authors = {
        pk: class_teacher[klass]
        for pk, klass in Child.objects.values_list("pk", "school_class_id")
        if klass in class_teacher
    }
    authors.update(
        Pairing.objects.filter(kind=PairingKind.MENTOR, ended_on__isnull=True).values_list(
            "child_id", "mentor_id"
        )
    )
    return authors


def _pool(rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """A few encrypted (summary, details) pairs per kind, as the app would store them.
    The history's card writers give realistic text."""
    from carenet.care.models import CareKind
    from carenet.children.models import Child, FamilyMember
    from carenet.demo.history import WRITERS, CareKid, History
    from carenet.lib.crypto import encrypt

    history = History(rng, dt.date.today(), "340827")
    child = Child(name="王小明", residence_address="长岭镇花园村三组")
    guardian = FamilyMember(relation="guardian", kinship="祖母", guardianship_quality="fair")
    kid = CareKid(child, "", None, [guardian], {"father", "mother"})  # type: ignore[arg-type]
    pool: dict[str, list[tuple[str, str]]] = {}
    for kind in CareKind.values:
        pool[kind] = []
        for _ in range(40):
            summary, details = WRITERS[kind](history, kid)
            pool[kind].append((encrypt(summary), encrypt(json.dumps(details, ensure_ascii=False))))
    return pool


def _rows(args: argparse.Namespace, authors: dict[int, int], children: list[int]):
    """Each child's year of records, spread so that the newest ones vary: some children
    are up to date, some a week or two late, some weeks behind."""
    rng = random.Random(args.seed)
    pool = _pool(rng)
    kinds = [k for k, _w in KINDS]
    weights = [w for _k, w in KINDS]
    today = dt.date.today()
    created = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    county = "340827"
    n = args.records_per_child
    for child_id in children:
        author = authors.get(child_id)
        if author is None:
            continue
        lag = rng.choice((0, 0, 0, 0, 3, 7, 14, 30, 60))
        span = 365 - lag
        for kind in rng.choices(kinds, weights=weights, k=n):
            day = today - dt.timedelta(days=lag + int(span * rng.random() ** 1.3))
            summary, details = rng.choice(pool[kind])
            yield (
                child_id, county, kind, day.isoformat(), author, summary, details,
                kind == "counseling", created,
            )  # fmt: skip


COLUMNS = (
    "child_id", "county_code", "kind", "date", "author_id", "summary", "details",
    "confidential", "created_at",
)  # fmt: skip


def load_records(args: argparse.Namespace) -> int:
    from django.db import connection, transaction

    from carenet.care.models import CareRecord

    table = CareRecord._meta.db_table
    from carenet.children.models import Child

    authors = _authors()
    # Queried before the COPY starts: no other query can run on a connection copying.
    children = list(Child.objects.order_by("pk").values_list("pk", flat=True))
    count = 0
    with transaction.atomic():
        CareRecord.objects.all().delete()
        if connection.vendor == "postgresql":
            raw = connection.connection  # psycopg 3
            cols = ", ".join(COLUMNS)
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in _rows(args, authors, children):
                    copy.write_row(row)
                    count += 1
        else:
            marks = ", ".join("?" * len(COLUMNS))
            sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({marks})"
            cur = connection.connection.cursor()
            batch: list[tuple] = []
            for row in _rows(args, authors, children):
                batch.append(row)
                if len(batch) == 20000:
                    cur.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            cur.executemany(sql, batch)
            count += len(batch)
    return count


def analyse() -> None:
    """Statistics after the bulk load, as autovacuum would gather them on a live server;
    on PostgreSQL also VACUUM, so the visibility map lets the last-record lookup read the
    (child, kind, date) index alone."""
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            cur.execute("VACUUM ANALYZE")
        else:
            cur.execute("ANALYZE")


# --------------------------------------------------------------------------- measuring


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def _time(call, times: int, warmup: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of this process (the CPU time leaves out waiting
    for a busy machine, and on PostgreSQL the server's work)."""
    for _ in range(warmup):
        call()
    wall, cpu = [], []
    for _ in range(times):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def measure(args: argparse.Namespace) -> tuple[list[tuple], dict]:
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from carenet.care import selectors
    from carenet.children.access import visible_children

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    teacher = User.objects.get(username="teacher")
    principal = User.objects.get(username="principal")
    today = timezone.localdate()
    until = selectors.week_end(today)
    school = principal.memberships.get(role="principal").org
    sizes = {
        "school": school.name,
        "school_children": visible_children(principal).count(),
        "school_care_children": len(selectors.care_children(visible_children(principal), today)),
        "teacher_children": selectors.my_children(teacher).count(),
        "load": load,
    }

    def page(user: User, check: str):
        client = Client()
        client.force_login(user)

        def get():
            response = client.get("/care/tasks/")
            assert response.status_code == 200, response.status_code
            return response

        assert check in get().content.decode()
        return get

    def teacher_tasks():
        return selectors.tasks_for(selectors.my_children(teacher), as_of=today, until=until)

    def school_tasks():
        tasks = selectors.tasks_for(visible_children(principal), as_of=today, until=until)
        return tasks, selectors.group_tasks(tasks)

    teacher_list = teacher_tasks()
    school_list = school_tasks()[0]
    sizes |= {
        "teacher_tasks": len(teacher_list),
        "teacher_overdue": sum(t.overdue for t in teacher_list),
        "school_tasks": len(school_list),
        "school_overdue": sum(t.overdue for t in school_list),
    }
    # As `carenet serve` does once the app is loaded: start-up's objects leave the
    # garbage collector's view (carenet.server.freeze_startup_objects).
    from carenet.server import freeze_startup_objects

    freeze_startup_objects()
    rows = []
    cases = (
        ("teacher: GET /care/tasks/", page(teacher, "</html>"), args.requests),
        ("teacher: tasks_for(my_children)", teacher_tasks, args.requests),
        ("principal: GET /care/tasks/ (school view)", page(principal, "</html>"), None),
        ("principal: tasks_for(school) + group_tasks", school_tasks, None),
    )
    for label, call, times in cases:
        times = times or args.school_requests
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
            call()
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        wall, cpu = _time(call, times, args.warmup)
        p50, p95, worst = _percentiles(wall)
        cpu50, cpu95, _worst = _percentiles(cpu)
        rows.append((label, times, p50, p95, worst, cpu50, cpu95))
    return rows, sizes


# --------------------------------------------------------------------------- reporting


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def db_version() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            return f"PostgreSQL {cur.fetchone()[0]}"
        cur.execute("select sqlite_version()")
        return f"SQLite {cur.fetchone()[0]}"


def report(args, built: dict, rows: list[tuple], sizes: dict) -> str:
    command = "python bench/care_bench.py " + " ".join(sys.argv[1:])
    target = {"teacher": 50, "principal": 300}
    lines = [
        f"#### {db_version()} — {dt.date.today().isoformat()}",
        "",
        f"`{command}`",
        "",
        f"Machine: {machine()}.",
        f"Data: {built['children']:,} children ({built['left_behind']:,} left-behind), "
        f"{built['records']:,} care records; the school {sizes['school']} has "
        f"{sizes['school_children']:,} children ({sizes['school_care_children']:,} "
        f"left-behind, {sizes['school_tasks']:,} tasks due by Sunday, "
        f"{sizes['school_overdue']:,} overdue); the teacher has "
        f"{sizes['teacher_children']} children ({sizes['teacher_tasks']} tasks, "
        f"{sizes['teacher_overdue']} overdue).",
        f"Build: county {built['county_seconds']} s, records {built['record_seconds']} s, "
        f"ANALYZE {built['analyse_seconds']} s"
        + (" (reused)" if built.get("reused") else "")
        + ".",
        "",
        f"Load average before measuring: {sizes['load']} (other work on the machine).",
        "",
        "| measured | calls | p50 ms | p95 ms | max ms | CPU p50 ms | CPU p95 ms | target p95 |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, times, p50, p95, worst, cpu50, cpu95 in rows:
        who = label.split(":")[0]
        goal = target[who]
        mark = "" if "GET" not in label else (" ✓" if p95 < goal else " ✗ missed")
        lines.append(
            f"| {label} | {times} | {p50:.1f} | {p95:.1f} | {worst:.1f} | {cpu50:.1f} "
            f"| {cpu95:.1f} | < {goal} ms{mark} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    args = parse()
    home, _key = configure(args)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    built = build(args, home)
    print(json.dumps(built, ensure_ascii=False))
    rows, sizes = measure(args)
    text = report(args, built, rows, sizes)
    print(text)
    if args.append:
        with DOCS.open("a", encoding="utf-8") as out:
            out.write("\n" + text)


if __name__ == "__main__":
    main()
