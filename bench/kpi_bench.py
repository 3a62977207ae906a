"""Indicator benchmark (issue 5): a county's indicators, the API and the dashboard.

    python bench/kpi_bench.py --children 50000 --db sqlite
    python bench/kpi_bench.py --children 50000 --db postgres --records-per-child 50

Builds (or reuses) the county of the care-work benchmark (``bench/care_bench.py``: the
same parameters give the same /tmp/carenet-bench-… home and PostgreSQL database), then
measures, as p50/p95 over many calls after a warm-up:

- ``indicators_for(county)`` counted from scratch (the kept per-school counts deleted
  before every call: what the first reader of a day, or of a county with every school
  changed, waits for);
- ``indicators_for(county)`` with the counts kept (``SchoolFigures``);
- the same after one new care record (one school counted again: a county's reader
  during the school day);
- ``GET /api/v1/kpis?org=<county>`` for the demo county administrator (Bearer token,
  Django's test client);
- ``GET /dashboard/`` for the county administrator, if the URL ``dashboard`` exists;
- once, the county's work summary (``carenet.reports.summary.work_summary_build`` and
  its .docx), if that module exists.

Not part of the test suite. ``--append`` adds the table to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import care_bench  # noqa: E402

TARGET_MS = 300
SUMMARY_TARGET_S = 10


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=50000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--records-per-child", type=int, default=50)
    parser.add_argument("--school-size", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=200, help="calls of the kept paths")
    parser.add_argument("--scratch", type=int, default=10, help="calls counted from scratch")
    parser.add_argument("--dashboard-requests", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--no-summary", action="store_true", help="skip the work summary")
    parser.add_argument("--append", action="store_true", help="append to docs/benchmarks.md")
    args = parser.parse_args()
    args.rebuild = False  # care_bench.build's options
    return args


def measure(args: argparse.Namespace) -> tuple[list[tuple], dict]:
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from carenet.accounts.tokens import token_issue
    from carenet.care.models import CareRecord
    from carenet.children.models import Child
    from carenet.indicators.models import SchoolFigures
    from carenet.indicators.selectors import indicators_for
    from carenet.orgs.models import Org, OrgKind
    from carenet.server import freeze_startup_objects

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    today = timezone.localdate()
    county = Org.objects.get(kind=OrgKind.COUNTY)
    admin = User.objects.get(username="county_admin")
    _token, secret = token_issue(user=admin)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    web = Client()
    web.force_login(admin)
    figures = {
        i.key: (i.numerator, i.denominator)
        for i in indicators_for(county, as_of=today, children=Child.objects.all())
    }
    info = {
        "county": county.name,
        "schools": Org.objects.filter(kind=OrgKind.SCHOOL).count(),
        "in_care": figures["filing_rate"][1],
        "figures": figures,
        "load": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
    }

    def scratch():
        SchoolFigures.objects.all().delete()
        indicators_for(county, as_of=today, children=Child.objects.all())

    def kept():
        indicators_for(county, as_of=today, children=Child.objects.all())

    child = CareRecord.objects.order_by("pk").values_list("child_id", "author_id").first()
    added: list[int] = []

    def after_a_record():
        record = CareRecord.objects.create(
            child_id=child[0], county_code=county.code, kind="talk", date=today,
            author_id=child[1], summary="bench",
        )  # fmt: skip
        added.append(record.pk)
        indicators_for(county, as_of=today, children=Child.objects.all())

    def kpis():
        response = api.get(f"/api/v1/kpis?org={county.code}")
        assert response.status_code == 200, response.status_code

    assert {i["key"]: (i["numerator"], i["denominator"]) for i in api.get(
        f"/api/v1/kpis?org={county.code}").json()["indicators"]} == figures  # fmt: skip
    cases = [
        ("indicators_for(county), counted from scratch", scratch, args.scratch),
        ("indicators_for(county), counts kept", kept, args.requests),
        ("indicators_for(county) after one new record", after_a_record, args.requests // 4),
        ("GET /api/v1/kpis?org=<county>", kpis, args.requests),
    ]
    try:
        url = reverse("dashboard")
    except NoReverseMatch:
        url = None
    if url:

        def dashboard():
            response = web.get(url)
            assert response.status_code == 200, response.status_code

        cases.append((f"GET {url} (county administrator)", dashboard, args.dashboard_requests))
    freeze_startup_objects()  # as `carenet serve` does (bench/care_bench.py)
    rows = []
    for label, call, times in cases:
        wall, cpu = care_bench._time(call, times, args.warmup)
        p50, p95, worst = care_bench._percentiles(wall)
        cpu50, cpu95, _ = care_bench._percentiles(cpu)
        rows.append((label, times, p50, p95, worst, cpu50, cpu95))
    CareRecord.objects.filter(pk__in=added).delete()
    if not args.no_summary:
        info["summary"] = summary_seconds(county)
    return rows, info


def summary_seconds(county) -> dict | None:
    """Seconds to gather the county's work summary and to lay it out as .docx, once."""
    from carenet.children.models import Child

    try:
        from carenet.reports.docx import render_docx
        from carenet.reports.layout import summary_document
        from carenet.reports.summary import default_period, work_summary_build
    except ImportError:
        return None
    start, end = default_period()
    started = time.perf_counter()
    summary = work_summary_build(org=county, start=start, end=end, children=Child.objects.all())
    built = time.perf_counter() - started
    started = time.perf_counter()
    size = len(render_docx(summary_document(summary)))
    docx = time.perf_counter() - started
    return {"build": built, "docx": docx, "bytes": size, "period": f"{start} – {end}"}


def report(args, built: dict, rows: list[tuple], info: dict) -> str:
    command = "python bench/kpi_bench.py " + " ".join(sys.argv[1:])
    lines = [
        f"#### {care_bench.db_version()} — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"`{command}`",
        "",
        f"Machine: {care_bench.machine()}. Load average before measuring: {info['load']}.",
        f"Data: {built['children']:,} children, {built['records']:,} care records; the county "
        f"{info['county']} has {info['schools']} schools and {info['in_care']:,} children in "
        "care (left-behind, on the roll).",
        "",
        "| measured | calls | p50 ms | p95 ms | max ms | CPU p50 ms | CPU p95 ms | p95 / 300 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, times, p50, p95, worst, cpu50, cpu95 in rows:
        ratio = p95 / TARGET_MS
        mark = ""
        if label.startswith("GET") or "kept" in label:
            mark = " ✓" if p95 < TARGET_MS else " ✗ missed"
        lines.append(
            f"| {label} | {times} | {p50:.1f} | {p95:.1f} | {worst:.1f} | {cpu50:.1f} "
            f"| {cpu95:.1f} | {ratio:.2f}{mark} |"
        )
    summary = info.get("summary")
    if summary:
        total = summary["build"] + summary["docx"]
        mark = "✓" if total < SUMMARY_TARGET_S else "✗ missed"
        lines += [
            "",
            f"Work summary of the county ({summary['period']}), once: gathered in "
            f"{summary['build']:.1f} s, .docx laid out in {summary['docx']:.1f} s "
            f"({summary['bytes']:,} bytes); {total:.1f} s against {SUMMARY_TARGET_S} s {mark}.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    args = parse()
    home, _key = care_bench.configure(args)
    import django

    django.setup()
    built = care_bench.build(args, home)
    print(json.dumps(built, ensure_ascii=False))
    rows, info = measure(args)
    print(json.dumps(info["figures"], ensure_ascii=False))
    text = report(args, built, rows, info)
    print(text)
    if args.append:
        with care_bench.DOCS.open("a", encoding="utf-8") as out:
            out.write("\n" + text)


if __name__ == "__main__":
    main()
