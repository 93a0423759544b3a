"""``liudong assess``: the assessment service, publishing each county's scorecards when a
period closes (``liudong scorecard`` shows them: :mod:`entrypoints.scorecard_cmd`).

Import-light (argparse only at import): ``entrypoints/cli.py`` calls :func:`add_parser` while
building its parser and :func:`run` to dispatch. A bad weight file: one line, exit 2.
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
    from infra.settings import Settings


def add_parser(add: AddParser) -> None:
    configure(add("assess", help="publish the scorecards"))


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="weight file (default: the shipped one)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """``liudong assess [--config FILE]``: runs until SIGINT or SIGTERM."""
    from agents.assessment import AssessmentError
    from agents.assessment_config import ConfigError, load
    from bootstrap import services
    from infra.kafka.address import resolve_bootstrap

    try:
        config = load(args.config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE

    async def serve() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await services.ensure_catalog(settings, bootstrap)
        service = services.assessment_service(settings, bootstrap, config)
        try:
            await service.run(stop)
        except AssessmentError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        return 0

    return asyncio.run(serve())
