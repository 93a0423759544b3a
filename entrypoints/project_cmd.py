"""``liudong project``: the projector, from the topics into PostgreSQL, until stopped."""

from __future__ import annotations

import argparse
import asyncio

from entrypoints.arguments import EXIT_USAGE, AddParser
from entrypoints.preflight import catalog_ready
from infra.kafka.address import resolve_bootstrap
from infra.settings import Settings


def add_parser(add: AddParser) -> None:
    add("project", help="keep the PostgreSQL read models up to date")


def run(args: argparse.Namespace, settings: Settings) -> int:
    import signal

    from bootstrap import services
    from infra.projection.projector import PROJECTED

    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    if not catalog_ready(settings, bootstrap, PROJECTED):
        return 1

    async def go() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await services.projector(settings, bootstrap).run(stop)
        return 0

    return asyncio.run(go())
