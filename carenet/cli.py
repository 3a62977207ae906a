"""The ``carenet`` command: demo, serve, manage (and the commands later issues add)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """Bad input from the operator: printed as one line, exit code 2."""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carenet.settings")
    import django

    from carenet.lib.env import ConfigError

    try:
        django.setup()
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


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


def _non_negative(value: str) -> int:
    return 0 if value.strip() == "0" else _positive(value)


def _serve(host: str, port: int, workers: int) -> None:
    from carenet.server import run_server

    run_server(host=host, port=port, workers=workers)


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
    _setup_django()
    _serve(args.host, args.port, args.workers)
    return EXIT_OK


def cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["carenet manage", *args.args])
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    """Bad options end with one clear line on stderr and exit code 2."""

    def error(self, message: str):  # type: ignore[override]
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
        description="Serve CareNet with gunicorn, static files included.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=max(2, min(4, (os.cpu_count() or 1) * 2)),
        help="worker processes",
    )
    serve.set_defaults(func=cmd_serve)

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
