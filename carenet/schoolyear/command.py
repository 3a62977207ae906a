"""``carenet school-year …``: the command line's face of the school year (thin: parse,
call ``services``, print). Added to the ``carenet`` parser by ``carenet.cli``, which passes
itself (``args.cli``: its ``UsageError`` and ``_setup_django``), so that the commands also
work under ``python -m carenet.cli``, where that module is ``__main__``."""

from __future__ import annotations

import argparse
import json
from types import ModuleType


def _year(value: str) -> int:
    try:
        year = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year: {value!r}") from None
    if not 2000 <= year <= 2099:
        raise argparse.ArgumentTypeError(f"year out of range 2000–2099: {year}")
    return year


def _counties(code: str | None, UsageError: type[Exception]):
    from carenet.orgs.models import Org, OrgKind

    counties = Org.objects.filter(kind=OrgKind.COUNTY).order_by("path")
    if code:
        counties = counties.filter(code=code)
    found = list(counties)
    if not found:
        raise UsageError(f"no county with code {code!r}" if code else "no county to start")
    return found


def cmd_start(args: argparse.Namespace) -> int:
    EXIT_OK, UsageError = args.cli.EXIT_OK, args.cli.UsageError
    args.cli._setup_django(migrated=True)
    from django.db import transaction

    from carenet.schoolyear.selectors import school_year_preview
    from carenet.schoolyear.services import (
        SchoolYearError,
        school_year_refusal,
        school_year_start,
        school_year_undo,
    )

    if args.undo and args.dry_run:
        raise UsageError("--undo and --dry-run do not go together")
    counties = _counties(args.county, UsageError)
    rows = []
    try:
        with transaction.atomic():
            for county in counties:
                if args.undo:
                    school_year_undo(county=county, year=args.year, actor=None)
                    rows.append({"county": county.code, "undone": True})
                    continue
                school_year_refusal(county=county, year=args.year)
                plans = school_year_preview(county=county)
                if not args.dry_run:
                    school_year_start(county=county, year=args.year, actor=None)
                rows.append({"county": county.code, "schools": [p.row() for p in plans]})
    except SchoolYearError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps({"year": args.year, "dry_run": args.dry_run, "counties": rows},
                         ensure_ascii=False))  # fmt: skip
        return EXIT_OK
    for county, row in zip(counties, rows, strict=True):
        if args.undo:
            print(f"{county.name}：已撤销 {args.year} 学年升级")
            continue
        verb = "将" if args.dry_run else "已"
        for school in row["schools"]:
            if school["skipped"]:
                print(f"{school['name']}：跳过（{school['skipped']}）")
                continue
            print(
                f"{school['name']}：{verb}升级 {school['moving_up']} 个班，毕业 "
                f"{school['graduating_classes']} 个班 {school['graduates']} 名学生，新建一年级 "
                f"{school['new_classes']} 个班，结束结对 {school['pairings_ending']} 个"
                + (
                    f"，{school['skipped_classes']} 个班未识别年级"
                    if school["skipped_classes"]
                    else ""
                )
            )
        if args.dry_run:
            print(f"{county.name}：试运行，未写入")
    return EXIT_OK


def cmd_enrol(args: argparse.Namespace) -> int:
    EXIT_OK, UsageError = args.cli.EXIT_OK, args.cli.UsageError
    args.cli._setup_django(migrated=True)
    from carenet.orgs.models import Org, OrgKind
    from carenet.schoolyear.models import SchoolYearStart
    from carenet.schoolyear.selectors import middle_schools_near
    from carenet.schoolyear.services import SchoolYearError, graduates_enrol

    primary = Org.objects.filter(code=args.primary, kind=OrgKind.SCHOOL).first()
    if primary is None:
        raise UsageError(f"no school with code {args.primary!r}")
    if args.middle:
        middle = Org.objects.filter(code=args.middle, kind=OrgKind.SCHOOL).first()
        if middle is None:
            raise UsageError(f"no school with code {args.middle!r}")
    else:
        middle = middle_schools_near(primary).first()
        if middle is None:
            raise UsageError(f"no open middle school in the township of {primary.code}")
    step = SchoolYearStart.objects.filter(
        county_code=primary.county_code, year=args.year, undone_at__isnull=True
    ).first()
    if step is None:
        raise UsageError(f"the school year {args.year} has not been started in this county")
    try:
        count = graduates_enrol(step=step, primary=primary, middle=middle, actor=None)
    except SchoolYearError as exc:
        raise UsageError(str(exc)) from None
    print(f"{primary.name}：{count} 名毕业生已升入{middle.name}七年级")
    return EXIT_OK


def add_parser(commands: argparse._SubParsersAction, parser_class: type, cli: ModuleType) -> None:
    school_year = commands.add_parser(
        "school-year",
        help="the school year: classes move up a grade, graduates leave",
        description="The school year (学年升级) of every county, or of one (--county).",
    )
    kinds = school_year.add_subparsers(
        dest="kind", metavar="KIND", required=True, parser_class=parser_class
    )
    start = kinds.add_parser(
        "start",
        help="move every class up a grade for the school year starting in September of YEAR",
        description="Move every class of every open school up a grade for the school year "
        "starting in September of YEAR, in one transaction: 一(2)班 becomes 二(2)班 under "
        "二年级 (created when missing), keeping its code, children and class teacher (the "
        "principal is asked to confirm the class teacher); the last grade graduates (6 for "
        "小学 and 教学点, 9 for 初中 and 九年一贯制, 9 and 12 for 完全中学): its children leave "
        "the roll on 1 September of YEAR, their pairings end, and its classes close; each "
        "first grade gets as many new, empty classes as it had. 幼儿园 and schools without "
        "a stage are skipped. Starting a year twice is refused (exit 2). --undo puts back "
        "exactly what the step changed (and the graduates enrolled at a middle school "
        "since), within SCHOOL_YEAR_UNDO_DAYS days (14).",
    )
    start.add_argument("year", type=_year, metavar="YEAR", help="e.g. 2027 for 2027–2028")
    start.add_argument(
        "--dry-run", action="store_true", help="print what would change per school; write nothing"
    )
    start.add_argument("--undo", action="store_true", help="undo the step of YEAR")
    start.add_argument("--county", metavar="CODE", help="only this county (default: all)")
    start.add_argument("--json", action="store_true", help="print the counts per school as JSON")
    start.set_defaults(func=cmd_start, cli=cli)

    enrol = kinds.add_parser(
        "to-middle-school",
        help="enrol a primary school's graduates of YEAR into a middle school's 7th grade",
        description="After 'school-year start YEAR': enrol the graduates of the primary "
        "school FROM (who left the roll on 1 September of YEAR) as a batch into the 7th-grade "
        "classes of the middle school TO (default: the first open middle school of the "
        "primary school's township), shared out in turn by name. Each child is on the roll "
        "again with the same file and history. Undone by 'school-year start YEAR --undo'.",
    )
    enrol.add_argument("year", type=_year, metavar="YEAR")
    enrol.add_argument(
        "--from", dest="primary", required=True, metavar="CODE", help="primary school"
    )
    enrol.add_argument("--to", dest="middle", metavar="CODE", help="middle school")
    enrol.set_defaults(func=cmd_enrol, cli=cli)
