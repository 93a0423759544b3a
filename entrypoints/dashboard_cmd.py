"""``liudong dashboard`` (serve) and ``liudong dashboard add-user``: parser and runner.

Import-light on purpose (argparse only at import): ``entrypoints/cli.py`` calls
``add_parser`` while building its parser and ``run`` to dispatch. What it serves is
built by the composition root (:func:`bootstrap.readers.dashboard_config`).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
from typing import TYPE_CHECKING, TextIO

from entrypoints.arguments import EXIT_USAGE, AddParser

if TYPE_CHECKING:
    from dashboard.server import DashboardConfig
    from infra.settings import Settings


def add_parser(add: AddParser) -> None:
    configure_parser(add("dashboard", help="the operators' dashboard on loopback; add-user"))


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Fill the ``dashboard`` sub-parser: serve by default, or ``add-user``."""
    parser.add_argument("--port", type=int, default=8765, help="loopback port (0: a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    actions = parser.add_subparsers(dest="dashboard_action", required=False)
    add = actions.add_parser("add-user", help="create an operator, or reset its password")
    add.add_argument("username")
    add.add_argument("--role", choices=("region", "county"), required=True)
    add.add_argument("--county", help="the county code (county operators)")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin instead of prompting",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Dispatch a parsed ``dashboard`` command."""
    if getattr(args, "dashboard_action", None) == "add-user":
        from infra.postgres import resolve_dsn

        dsn = resolve_dsn(settings)
        try:
            password = read_password(args.password_stdin, sys.stdin)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        return asyncio.run(cmd_add_user(dsn, args.username, password, args.role, args.county))
    from bootstrap.readers import dashboard_config

    try:
        config = dashboard_config(settings, host=args.host, port=args.port)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(cmd_serve(config))


def read_password(from_stdin: bool, stdin: TextIO) -> str:
    if from_stdin:
        line = stdin.readline().rstrip("\r\n")
        if not line:
            raise ValueError("no password on stdin")
        return line
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise ValueError("the passwords differ")
    return first


async def cmd_add_user(
    dsn: str, username: str, password: str, role: str, county: str | None
) -> int:
    """Apply the migrations, then create or update the user; prints what it did."""
    import asyncpg

    from dashboard.auth import AuthError, add_user
    from infra.projection.migrate import migrate

    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
        created = await add_user(conn, username, password, role, county)
    except AuthError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        await conn.close()
    where = f" for {county}" if county else ""
    print(f"{'created' if created else 'updated'} {role} operator {username}{where}")
    return 0


async def cmd_serve(config: DashboardConfig) -> int:
    """Migrate (when the database is reachable), then serve until SIGINT/SIGTERM."""
    import asyncpg

    from dashboard.server import serve
    from infra.projection.migrate import migrate
    from infra.projection.store import CONNECTION_ERRORS

    try:
        conn = await asyncpg.connect(config.dsn, timeout=5)
        try:
            await migrate(conn)
        finally:
            await conn.close()
    except CONNECTION_ERRORS as exc:
        print(f"warning: PostgreSQL unreachable ({exc}); serving anyway", file=sys.stderr)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(config, stop)
    return 0
