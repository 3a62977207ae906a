"""The ``carenet`` command: demo, serve, manage (and the commands later issues add)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from carenet.lib.dates import EARLIEST, LATEST, date_in_range

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """Bad input from the operator: printed as one line, exit code 2."""


def _setup_django(*, migrated: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carenet.settings")
    import django

    from carenet.lib.env import ConfigError

    try:
        django.setup()
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if migrated:
        _require_migrated()


def _require_migrated() -> None:
    """One clear line, not a traceback, when the database does not answer or has not
    been migrated yet (``carenet manage migrate``)."""
    from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"the database does not answer: {first_line}") from None
    if pending:
        raise UsageError("the database is not up to date: run 'carenet manage migrate' first")


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range 1–65535: {port}")
    return port


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {number}")
    return number


def _date(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None
    if not date_in_range(day):
        raise argparse.ArgumentTypeError(f"not between {EARLIEST} and {LATEST}: {value!r}")
    return day


def _serve(host: str, port: int, workers: int, queue_worker: bool = True) -> None:
    from carenet.server import run_server

    run_server(host=host, port=port, workers=workers, queue_worker=queue_worker)


def cmd_demo(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import call_command

    from carenet.demo.services import DEMO_ACCOUNTS, demo_build

    call_command("migrate", interactive=False, verbosity=0)
    summary = demo_build(
        children=args.children, seed=args.seed, password=args.password, reset=args.reset
    )
    print(summary.describe())
    print()
    print(f"演示账号（密码均为 {args.password}） / demo accounts (password {args.password}):")
    for username, label in DEMO_ACCOUNTS:
        print(f"  {username:<22} {label}")
    if args.no_serve:
        return EXIT_OK
    print()
    print(f"CareNet 演示县已就绪：http://{args.host}:{args.port}/")
    _serve(args.host, args.port, workers=2)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django(migrated=True)
    _serve(args.host, args.port, args.workers, queue_worker=not args.no_worker)
    return EXIT_OK


def cmd_remind(args: argparse.Namespace) -> int:
    _setup_django(migrated=True)
    from django.utils import timezone

    from carenet.notify.services import reminders_run

    result = reminders_run(today=args.today or timezone.localdate())
    print(result.describe())
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    _setup_django(migrated=True)
    from carenet.ops.backup import BackupError, backup_create

    try:
        result = backup_create(args.out, include_keys=args.include_keys)
    except BackupError as exc:
        raise UsageError(str(exc)) from None
    print(
        f"backup written: {result.path} ({result.size} bytes, {result.engine} database, "
        f"{result.media_files} media files)"
    )
    if result.includes_keys:
        print(
            "warning: the archive contains CARENET_FIELD_KEY and the secret key: whoever "
            "holds it can read every ID number and phone. Keep it as safe as the keys.",
            file=sys.stderr,
        )
    else:
        print(
            "reminder: the archive does not contain the keys. Keep CARENET_FIELD_KEY (the "
            "environment, or the file field_key in CARENET_HOME) safe and separately: "
            "without it the encrypted ID numbers, phones and notes cannot be read.",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    _setup_django()
    from carenet.ops.backup import BackupError, backup_restore

    try:
        result = backup_restore(args.archive, force=args.force)
    except BackupError as exc:
        raise UsageError(str(exc)) from None
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"restored the backup of {result.created_at}: {result.engine} database, "
        f"{result.media_files} media files" + (", keys" if result.keys_restored else "")
    )
    return EXIT_OK


def _write_private(path: Path, content: bytes) -> None:
    """Write a file readable by its owner only (0600), whatever the umask: a register holds
    children's data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an existing file keeps its mode otherwise
        handle.write(content)


def cmd_export(args: argparse.Namespace) -> int:
    """The register of every child in care under an org, as .xlsx or .csv (by suffix), in
    the chosen layout."""
    suffix = Path(args.out).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UsageError(f"the output must end in .xlsx or .csv: {args.out}")
    _setup_django(migrated=True)
    from django.utils import timezone

    from carenet.audit.models import AccessAction
    from carenet.audit.services import audit_log
    from carenet.exchange.export import (
        CANONICAL,
        LAYOUTS,
        Counted,
        PaperForm,
        children_under,
        register_rows,
        render_csv,
        render_xlsx,
    )
    from carenet.orgs.models import Org

    org = Org.objects.filter(code=args.org).first()
    if org is None:
        raise UsageError(f"no org with code {args.org!r}")
    layout = LAYOUTS[args.layout]
    only = False if args.all_children else None
    rows = Counted(
        register_rows(
            children_under(org), unmasked=args.unmasked, layout=layout, left_behind_only=only
        )
    )
    if suffix == ".csv":
        content = render_csv(rows, header=layout.header)
    else:
        title = f"{org.name}{layout.title}"
        paper = PaperForm(unit=org.name, on=timezone.localdate())
        content = render_xlsx(rows, title=title, layout=layout, paper=paper)
    try:
        _write_private(Path(args.out), content)
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    masked = "unmasked" if args.unmasked else "ID numbers and phones masked"
    note = "（未打码）" if args.unmasked else ""
    layout_note = "" if layout is CANONICAL else f" {layout.key}"
    audit_log(
        request=None,
        user=None,
        action=AccessAction.EXPORT,
        detail=f"命令行导出花名册 {org.code}{layout_note} {rows.count} 人{note}",
        county_code=org.county_code,
    )
    print(
        f"{rows.count} children of {org.name} ({org.code}) written to {args.out} "
        f"({layout.key} layout, {masked})"
    )
    return EXIT_OK


EXIT_REJECTED = 3


def _read_input(path: str) -> bytes:
    """The bytes of a file to import; a file that cannot be read is a usage error."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def _county(code: str):
    """The county of a division code (Django set up); an unknown one is a usage error."""
    from carenet.orgs.models import Org, OrgKind

    county = Org.objects.filter(code=code, kind=OrgKind.COUNTY).first()
    if county is None:
        raise UsageError(f"no county with code {code!r} (run 'carenet setup county' first)")
    return county


def _print_rejected(rows) -> None:
    """Each rejected row of an import, by its Excel row number, with its reasons."""
    for row in rows:
        reasons = "；".join(f"{e.column}：{e.message}" for e in row.errors)
        print(f"  第 {row.row} 行：{reasons}")


def _print_warnings(rows) -> None:
    """Each row imported with warnings, by its Excel row number."""
    if rows:
        print(f"提示 {len(rows)} 行（照常导入，请核对）：")
    for row in rows:
        print(f"  第 {row.row} 行：" + "；".join(w.message for w in row.warnings))


def _print_left_behind(counts) -> None:
    """How the children created or updated will count, and by which rule."""
    if counts is None:
        return
    print(
        f"新建和更新的儿童中：双亲留守 {counts.both_parents} 名，单亲留守 {counts.one_parent} 名，"
        f"非留守 {counts.none} 名"
    )
    for rule, both, one, none in counts.table():
        print(f"  {rule}：双亲留守 {both}，单亲留守 {one}，非留守 {none}")


def cmd_import(args: argparse.Namespace) -> int:
    """Import a register into a school (or a village): 0 all rows good, 3 some rows
    rejected."""
    data = _read_input(args.file)
    _setup_django(migrated=True)
    import json

    from carenet.exchange.importer import (
        RegisterError,
        error_workbook,
        import_commit,
        import_preview_checked,
    )
    from carenet.exchange.reading import register_file_check
    from carenet.orgs.models import Org, OrgKind

    try:  # a file too large to read is refused before the school is looked up
        register_file_check(data=data, filename=Path(args.file).name)
    except RegisterError as exc:
        raise UsageError(f"{args.file}: {exc}") from None

    if args.village is not None:  # children not at a school, filed under the village
        school = Org.objects.filter(code=args.village, kind=OrgKind.VILLAGE).first()
        if school is None:
            raise UsageError(f"no village with code {args.village!r}")
    else:
        school = Org.objects.filter(code=args.school, kind=OrgKind.SCHOOL).first()
        if school is None:
            raise UsageError(f"no school with code {args.school!r}")
    try:
        preview = import_preview_checked(
            data=data, filename=Path(args.file).name, school=school, user=None
        )
        if not args.dry_run:
            import_commit(preview=preview, school=school, actor=None)
    except RegisterError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    if args.report:
        try:
            _write_private(Path(args.report), error_workbook(preview))
        except OSError as exc:
            raise UsageError(f"cannot write {args.report}: {exc.strerror or exc}") from None
    if args.json:
        print(json.dumps(preview.as_json(), ensure_ascii=False))
    else:
        verb = "将" if args.dry_run else "已"
        print(
            f"{school.name}：{verb}新建 {preview.created} 名，{verb}更新 {preview.updated} 名，"
            f"无变化 {preview.unchanged} 名，跳过 {preview.skipped} 行，"
            f"拒绝 {preview.rejected} 行" + ("（试运行，未写入）" if args.dry_run else "")
        )
        _print_left_behind(preview.left_behind)
        _print_rejected(preview.rejected_rows)
        _print_warnings(preview.warned_rows)
    return EXIT_REJECTED if preview.rejected else EXIT_OK


def cmd_import_schools(args: argparse.Namespace) -> int:
    """Import a county's school list: 0 all rows good, 3 some rows rejected."""
    data = _read_input(args.file)
    _setup_django(migrated=True)
    import json

    from carenet.audit.models import AccessAction
    from carenet.audit.services import audit_log
    from carenet.exchange.schools import RegisterError, schools_commit, schools_preview

    county = _county(args.county)
    try:
        preview = schools_preview(data=data, filename=Path(args.file).name, county=county)
        if not args.dry_run:
            schools_commit(preview=preview)
    except RegisterError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    if not args.dry_run and (preview.created or preview.updated):
        audit_log(
            request=None,
            user=None,
            action=AccessAction.ORG_CHANGE,
            detail=f"命令行导入学校名单 {county.code} 新建 {preview.created} 所 "
            f"更新 {preview.updated} 所",
            county_code=county.county_code,
        )
    if args.json:
        print(json.dumps(preview.as_json(), ensure_ascii=False))
    else:
        verb = "将" if args.dry_run else "已"
        print(
            f"{county.name}：{verb}新建 {preview.created} 所学校，{verb}更新 {preview.updated} 所，"
            f"无变化 {preview.unchanged} 所，跳过 {preview.skipped} 行，"
            f"拒绝 {preview.rejected} 行" + ("（试运行，未写入）" if args.dry_run else "")
        )
        _print_rejected(preview.rejected_rows)
    return EXIT_REJECTED if preview.rejected else EXIT_OK


def cmd_import_staff(args: argparse.Namespace) -> int:
    """Import a county's staff sheet: 0 all rows good, 3 some rows rejected."""
    data = _read_input(args.file)
    _setup_django(migrated=True)
    import json

    from carenet.exchange.reading import RegisterError
    from carenet.exchange.staff import staff_import

    county = _county(args.county)
    try:
        result = staff_import(
            data=data, filename=Path(args.file).name, county=county, dry_run=args.dry_run
        )
    except RegisterError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
    else:
        verb = "将" if args.dry_run else "已"
        print(
            f"{county.name}人员名单：{verb}新建 {result.count('create')} 人，"
            f"{verb}更新 {result.count('update')} 人，无变化 {result.count('unchanged')} 人，"
            f"跳过 {result.count('skip')} 行，拒绝 {result.count('reject')} 行"
            + ("（试运行，未写入）" if args.dry_run else "")
        )
        _print_rejected(result.rejected_rows)
        if result.activations:
            print("新账户激活码（只显示这一次，请打印或抄送本人；在 /activate/ 设置密码）：")
            for issued in result.activations:
                print(f"  {issued.user.first_name}\t{issued.user.get_username()}\t{issued.display}")
    return EXIT_REJECTED if result.count("reject") else EXIT_OK


def cmd_setup_county(args: argparse.Namespace) -> int:
    """Create (or bring up to date) a county from the division codes, with a care plan."""
    _setup_django(migrated=True)
    import json

    from django.db import transaction
    from django.utils import timezone

    from carenet.care.services import county_plan_start
    from carenet.orgs.selectors import setup_open
    from carenet.orgs.services import SetupError, county_setup

    today = timezone.localdate()
    try:
        with transaction.atomic():
            result = county_setup(code=args.code, today=today)
            plan = county_plan_start(county=result.county, today=today)
    except SetupError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
        return EXIT_OK
    print(result.describe())
    if plan is not None:
        print(f"已按默认模板建立 {plan.school_year} 学年工作计划：{plan.name}")
    if setup_open():
        print("下一步：启动服务（carenet serve）后在浏览器打开 /setup/，建立第一个县级管理员账号。")
    return EXIT_OK


def cmd_report_summary(args: argparse.Namespace) -> int:
    """The work summary (工作总结) of an org for a period, as .docx or .pdf (by suffix)."""
    suffix = Path(args.out).suffix.lower()
    if suffix not in (".docx", ".pdf"):
        raise UsageError(
            f"输出文件须以 .docx 或 .pdf 结尾 (the output must end in .docx or .pdf): {args.out}"
        )
    if args.start > args.end:
        raise UsageError(f"开始日期晚于结束日期 (--from is after --to): {args.start} > {args.end}")
    _setup_django(migrated=True)
    from carenet.audit.models import AccessAction
    from carenet.audit.services import audit_log
    from carenet.orgs.models import Org
    from carenet.reports.documents import Format, document_file
    from carenet.reports.layout import summary_document
    from carenet.reports.summary import case_candidates, work_summary_build

    org = Org.objects.filter(code=args.org).first()
    if org is None:
        raise UsageError(f"找不到代码为 {args.org!r} 的单位 (no org with code {args.org!r})")
    case_ids = list(dict.fromkeys(args.case or []))
    found = case_candidates(org, start=args.start, end=args.end).in_bulk(case_ids)
    missing = [str(pk) for pk in case_ids if pk not in found]
    if missing:
        raise UsageError(
            f"记录 {', '.join(missing)} 不在该单位和期间内 "
            f"(no care record {', '.join(missing)} under {org.code} in the period)"
        )
    summary = work_summary_build(
        org=org,
        start=args.start,
        end=args.end,
        cases=[found[pk] for pk in case_ids],
        problems="\n".join(args.problems or []),
        next_steps="\n".join(args.next_steps or []),
    )
    file = document_file(summary_document(summary), Format(suffix[1:]), stem=Path(args.out).stem)
    try:
        _write_private(Path(args.out), file.content)
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    audit_log(
        request=None,
        user=None,
        action=AccessAction.DOCUMENT,
        detail=f"命令行生成工作总结 {org.code} {args.start}~{args.end} {suffix[1:]}",
        county_code=org.county_code,
    )
    draft = (
        " (draft: problems/next steps generated, edit before handing in)" if summary.drafted else ""
    )
    print(
        f"work summary of {org.name} ({org.code}) {args.start} – {args.end} written to "
        f"{args.out}{draft}"
    )
    return EXIT_OK


def cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["carenet manage", *args.args])
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    """Bad options end with one clear line on stderr and exit code 2."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="carenet",
        description="CareNet (关爱网): care of rural left-behind children. "
        "Settings come from the environment: CARENET_HOME, DATABASE_URL, "
        "CARENET_SECRET_KEY, CARENET_FIELD_KEY, CARENET_DEBUG, CARENET_ALLOWED_HOSTS.",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )

    demo = commands.add_parser(
        "demo",
        help="build a demo county and serve it",
        description="Migrate the database, create (or reuse) the demo county 望江县 with N "
        "children, print the demo accounts, then serve it unless --no-serve.",
    )
    demo.add_argument("--children", type=_positive, default=2000, help="children (default 2000)")
    demo.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    demo.add_argument("--password", default="carenet-demo", help="password of every demo account")
    demo.add_argument("--host", default="127.0.0.1", help="address to serve on")
    demo.add_argument("--port", type=_port, default=8000, help="port to serve on")
    demo.add_argument("--no-serve", action="store_true", help="build the demo and exit")
    demo.add_argument(
        "--reset", action="store_true", help="delete the demo county and build it anew"
    )
    demo.set_defaults(func=cmd_demo)

    serve = commands.add_parser(
        "serve",
        help="run the production server",
        description="Serve CareNet with gunicorn, static files included, and start the "
        "background queue worker (huey consumer) alongside unless --no-worker.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=max(2, min(4, (os.cpu_count() or 1) * 2)),
        help="web worker processes",
    )
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start the background queue worker (huey consumer: daily reminders "
        "and other jobs); run it yourself with 'carenet manage run_huey'",
    )
    serve.set_defaults(func=cmd_serve)

    remind = commands.add_parser(
        "remind",
        help="send the care reminders that are due",
        description="Compute due and overdue care tasks of every class teacher and mentor, "
        "create their notifications (inbox) and send what is not sent yet: one e-mail "
        "digest and one short message per user. Safe to run twice. The queue worker "
        "started by 'carenet serve' does this every day at 07:00.",
    )
    remind.add_argument(
        "--today", type=_date, metavar="DATE", help="the day to compute for (default: today)"
    )
    remind.set_defaults(func=cmd_remind)

    backup = commands.add_parser(
        "backup",
        help="write a backup archive of the database and files",
        description="Write one archive (.tar.gz, .tgz or .zip) with a consistent copy of the "
        "database (SQLite: online backup, safe while the server runs; PostgreSQL: pg_dump "
        "--format=custom), the uploaded files and a manifest with the SHA-256 of every "
        "member. The keys are left out unless --include-keys: keep CARENET_FIELD_KEY "
        "separately, the encrypted fields cannot be read without it.",
    )
    backup.add_argument("out", type=Path, metavar="OUT", help="the archive to write")
    backup.add_argument(
        "--include-keys",
        action="store_true",
        help="also store CARENET_FIELD_KEY and the secret key in the archive (then the "
        "archive alone reveals every child's data: keep it safe)",
    )
    backup.set_defaults(func=cmd_backup)

    restore = commands.add_parser(
        "restore",
        help="restore a backup archive",
        description="Check every checksum of the archive first (a damaged archive changes "
        "nothing), then replace the database in one transaction and the uploaded files. "
        "Refuses a database that already holds data unless --force. Stop the server first.",
    )
    restore.add_argument("archive", type=Path, metavar="IN", help="the archive to restore")
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace a database that already holds data (and accept a field-key mismatch)",
    )
    restore.set_defaults(func=cmd_restore)

    export = commands.add_parser(
        "export",
        help="export registers (花名册)",
        description="Write registers in the canonical layout (REGISTER.md).",
    )
    export_kinds = export.add_subparsers(
        dest="kind", metavar="KIND", required=True, parser_class=_Parser
    )
    export_children = export_kinds.add_parser(
        "children",
        help="the register of every child in care under an org",
        description="Write the register of every child in care under an org (its schools,\n"
        "classes and villages) as .xlsx or .csv, chosen by the output's suffix, in one of\n"
        "three layouts (--layout). Run as an operator: no user scope applies. ID numbers\n"
        "and phones are masked (340827********1234, 138****5678) unless --unmasked.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="layouts:\n"
        "  canonical  关爱网花名册: the columns of REGISTER.md, every child (the default)\n"
        "  mca2016    民政部2016农村留守儿童花名册: the civil-affairs form of the 2016 survey\n"
        "             (title, 填报单位/填报日期, signature footer); only the children left\n"
        "             behind by the civil-affairs definition unless --all-children\n"
        "  xueji      学籍系统留守儿童标识: the 学籍 system's flags for the children at a\n"
        "             school, 是否留守儿童 coded 0 非留守 / 1 单亲留守 / 2 双亲留守",
    )
    export_children.add_argument("--org", required=True, metavar="CODE", help="org code")
    export_children.add_argument(
        "-o", "--out", required=True, metavar="OUT", help="output file, .xlsx or .csv"
    )
    export_children.add_argument(
        "--layout",
        choices=("canonical", "mca2016", "xueji"),
        default="canonical",
        help="the columns to write: canonical (default), mca2016 or xueji (see below)",
    )
    export_children.add_argument(
        "--all-children",
        action="store_true",
        help="mca2016: list every child in care, not only the left-behind ones",
    )
    export_children.add_argument(
        "--unmasked",
        action="store_true",
        help="write full ID numbers and phones (sensitive personal information: keep the "
        "file safe)",
    )
    export_children.set_defaults(func=cmd_export)

    import_ = commands.add_parser(
        "import",
        help="import registers (花名册)",
        description="Import registers as schools send them (.xlsx, .xls, .csv).",
    )
    import_kinds = import_.add_subparsers(
        dest="kind", metavar="KIND", required=True, parser_class=_Parser
    )
    import_children = import_kinds.add_parser(
        "children",
        help="import a school's register of children",
        description="Read a register (.xlsx from Excel or WPS, .xls, .csv in UTF-8 or GBK) "
        "into a school: the header is found below any title lines, columns in any order "
        "and under their usual names. Every row is validated first (ID number check digit, "
        "gender and birth date against it, phones, duplicates); then the good rows are "
        "written in one transaction. A child whose ID number is on file is updated. Blank "
        "and footer lines are skipped. Exit 0 when every row was good, 3 when some rows "
        "were rejected (the others are imported), 2 when the file is not a register or the "
        "school is unknown (nothing is changed). With --village the register (children not "
        "at a school, a civil-affairs register) is filed under a village: new children have "
        "no school; a child already at a school keeps it (only the residence is updated). "
        "The national layouts are read unedited: the 学籍 system's student table (its codes, "
        "身份证件类型, 成员1…/成员2…, 班号 and 入学年月), the 2016 survey's 登记表/花名册 and "
        "the civil-affairs 困境儿童 register. Left-behind status comes from the 外出时间, "
        "the parents' work places (a place that is not home means away now), the "
        "留守类型/是否留守儿童 code and the 2016 flags read together; where they disagree "
        "the row is imported with a warning naming both cells. The output counts the "
        "children as 双亲留守/单亲留守/非留守 by rule.",
    )
    import_children.add_argument("file", metavar="FILE", help="the register (.xlsx/.xls/.csv)")
    target = import_children.add_mutually_exclusive_group(required=True)
    target.add_argument("--school", metavar="CODE", help="code of the school the register is of")
    target.add_argument(
        "--village",
        metavar="CODE",
        help="code of the village whose children not at a school the register lists",
    )
    import_children.add_argument(
        "--dry-run", action="store_true", help="validate and report only; write nothing"
    )
    import_children.add_argument(
        "--report",
        metavar="OUT.xlsx",
        help="write the rejected rows with a 错误原因 column (bad cells in red) to fix and "
        "re-import",
    )
    import_children.add_argument(
        "--json",
        action="store_true",
        help='print {"created","updated","skipped","rejected":[{"row","errors"}],'
        '"warnings":[{"row","messages"}],"left_behind":{"both_parents","one_parent","none",'
        '"by_rule"}} as JSON',
    )
    import_children.set_defaults(func=cmd_import)
    import_schools = import_kinds.add_parser(
        "schools",
        help="import a county's school list (学校名单)",
        description="Read the county's school list (.xlsx, .xls, .csv in UTF-8 or GBK) with "
        "学校名称, 学校标识码 (10 digits: the key), 所在乡镇 (name or 9-digit code of a "
        "township of the county), 办学类型/学段 and optional class counts (班级数, or one "
        "column per grade: 一年级 …). A school already on file is updated (name, township, "
        "stage); classes are only ever added. Exit 0 when every row was good, 3 when some "
        "rows were rejected (the others are imported), 2 when the file is not a school list "
        "or the county is unknown (nothing is changed).",
    )
    import_schools.add_argument("file", metavar="FILE", help="the school list (.xlsx/.xls/.csv)")
    import_schools.add_argument(
        "--county", required=True, metavar="CODE", help="6-digit division code of the county"
    )
    import_schools.add_argument(
        "--dry-run", action="store_true", help="validate and report only; write nothing"
    )
    import_schools.add_argument(
        "--json",
        action="store_true",
        help='print {"created","updated","skipped","rejected":[{"row","errors"}]} as JSON',
    )
    import_schools.set_defaults(func=cmd_import_schools)

    import_staff = import_kinds.add_parser(
        "staff",
        help="import a county's staff with their schools, roles and classes",
        description="Read a staff sheet (姓名, 手机号, 学校, 乡镇/村, 角色, 任教班级, 班主任) "
        "into a county: people are found by phone, so a second import creates nobody and adds only "
        "missing roles. New users get a one-time activation code (printed once) with which "
        "they choose their own password at /activate/. Exit 0 when every row was good, 3 "
        "when some rows were rejected (the others are imported), 2 when the file is not a "
        "staff sheet or the county is unknown (nothing is changed).",
    )
    import_staff.add_argument("file", metavar="FILE", help="the staff sheet (.xlsx/.xls/.csv)")
    import_staff.add_argument(
        "--county", required=True, metavar="CODE", help="the county's 6-digit division code"
    )
    import_staff.add_argument(
        "--dry-run", action="store_true", help="validate and report only; write nothing"
    )
    import_staff.add_argument(
        "--json",
        action="store_true",
        help='print {"created","updated","skipped","rejected","activations":[{"name",'
        '"username","code"}]} as JSON',
    )
    import_staff.set_defaults(func=cmd_import_staff)

    report = commands.add_parser(
        "report",
        help="write documents (工作总结)",
        description="Write the documents schools and counties hand in.",
    )
    report_kinds = report.add_subparsers(
        dest="kind", metavar="KIND", required=True, parser_class=_Parser
    )
    report_summary = report_kinds.add_parser(
        "summary",
        help="the work summary (工作总结) of an org for a period",
        description="Write the work summary (工作总结) of an org (county, township, village, "
        "school, grade or class) for a period: the children in care, the indicators "
        "against the plan's targets, the care work done, typical cases (anonymised), "
        "problems and next steps. .docx (Word) or .pdf, chosen by the output's suffix. Run "
        "as an operator: no user scope applies. Without --problems/--next-steps a draft "
        "text is generated from the figures.",
    )
    report_summary.add_argument("--org", required=True, metavar="CODE", help="org code")
    report_summary.add_argument(
        "--from",
        dest="start",
        required=True,
        type=_date,
        metavar="DATE",
        help="first day of the period (YYYY-MM-DD)",
    )
    report_summary.add_argument(
        "--to",
        dest="end",
        required=True,
        type=_date,
        metavar="DATE",
        help="last day of the period (YYYY-MM-DD)",
    )
    report_summary.add_argument(
        "-o", "--out", required=True, metavar="OUT", help="output file, .docx or .pdf"
    )
    report_summary.add_argument(
        "--case",
        type=_positive,
        action="append",
        metavar="RECORD_ID",
        help="a care record to show as a typical case (典型案例), anonymised; repeatable",
    )
    report_summary.add_argument(
        "--problems", action="append", metavar="TEXT", help="a problem (存在问题); repeatable"
    )
    report_summary.add_argument(
        "--next-steps", action="append", metavar="TEXT", help="a next step (下一步打算); repeatable"
    )
    report_summary.set_defaults(func=cmd_report_summary)

    setup = commands.add_parser(
        "setup",
        help="put a county into service",
        description="Create what a county needs before its first user signs in.",
    )
    setup_kinds = setup.add_subparsers(
        dest="kind", metavar="KIND", required=True, parser_class=_Parser
    )
    setup_county = setup_kinds.add_parser(
        "county",
        help="create (or bring up to date) a county with its townships and villages",
        description="Create the county of a 6-digit division code (行政区划代码, e.g. 340827 "
        "望江县) with its townships, towns and streets and its villages and communities, "
        "with their official codes and names (统计用区划代码, carenet/orgs/data/README.md), "
        "and a care plan for the current school year from the default preset. Run again "
        "to bring it up to date: names are updated, new places added, places no longer in "
        "the codes closed (never deleted). Exit 2 for a bad or unknown code (with the "
        "counties you may have meant).",
    )
    setup_county.add_argument("code", metavar="CODE", help="6-digit county division code")
    setup_county.add_argument(
        "--json",
        action="store_true",
        help='print {"county","townships","villages"} (the county code and its counts)',
    )
    setup_county.set_defaults(func=cmd_setup_county)

    from carenet.schoolyear.command import add_parser as add_school_year

    add_school_year(commands, _Parser, sys.modules[__name__])

    manage = commands.add_parser(
        "manage",
        help="Django's manage.py",
        description="Run a Django management command, e.g. 'carenet manage migrate'.",
        add_help=False,
    )
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except UsageError as exc:
        print(f"carenet: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
