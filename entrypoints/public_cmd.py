"""``liudong public [--port P] [--config FILE]``: the public disclosure page, on loopback.

Import-light (argparse only at import). Off unless ``LIUDONG_PUBLIC_PAGE=on``: then it says
so in one line and exits 2. A log it cannot read: one line, exit 1. What it serves is built
by the composition root (:func:`bootstrap.readers.public_config`).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from entrypoints.arguments import EXIT_USAGE, AddParser

if TYPE_CHECKING:
    from disclosure.public.server import PublicConfig
    from infra.settings import Settings

DEFAULT_PORT = 8766


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (0-65535)")
    return port


def add_parser(add: AddParser) -> None:
    configure(add("public", help="the public disclosure page (no sign-in)"))


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"loopback port (default {DEFAULT_PORT}; 0: a free one)",
    )
    parser.add_argument("--config", type=Path, help="weight file (default: the shipped one)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from agents import assessment_config as cfg

    if not settings.public_page:
        print(
            "error: the public page is switched off: set LIUDONG_PUBLIC_PAGE=on to serve it",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        config = cfg.load(args.config)
    except cfg.ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from infra.kafka.address import resolve_bootstrap

    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    from aiokafka.errors import KafkaError

    from bootstrap.readers import public_config
    from disclosure.bulletin.log_reader import LogError

    weights = args.config or cfg.DEFAULT_PATH
    public = public_config(settings, bootstrap, config, weights, port=args.port)
    try:
        return asyncio.run(serve(public))
    except (LogError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KafkaError as exc:
        print(f"error: cannot read the log at {bootstrap}: {exc}", file=sys.stderr)
        return 1


async def serve(config: PublicConfig) -> int:
    from disclosure.public.server import PublicServer

    server = PublicServer(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    url = await server.start()
    print(f"public page at {url} (bulletins from {config.folder})", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()
    return 0
