"""``liudong publish``: a county system's JSON-lines export, signed and published."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from aiokafka.errors import KafkaError

from contracts.envelope import Envelope
from entrypoints.arguments import EXIT_USAGE, AddParser, county_code
from entrypoints.preflight import catalog_ready
from infra.kafka.address import resolve_bootstrap
from infra.settings import Settings
from integrators.export_lines import LineError, parse_line, read_lines
from streams.county_node import CountyNode

PROGRESS_EVERY = 500


@dataclass
class PublishReport:
    published: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def add_parser(add: AddParser) -> None:
    publish = add("publish", help="sign and publish a county system's JSON-lines export")
    publish.add_argument("--county", type=county_code, required=True)
    publish.add_argument(
        "--key", type=Path, required=True, help="the publisher's private key (PEM)"
    )
    publish.add_argument("--publisher", help="publisher id (default: <county>/node)")
    publish.add_argument("source", nargs="?", default="-", help="JSON-lines file, or - for stdin")


async def publish_export(
    node: CountyNode, lines: Iterable[tuple[int, str]], *, progress: TextIO
) -> PublishReport:
    report = PublishReport()
    good: list[Envelope] = []
    for number, line in lines:
        try:
            good.append(
                parse_line(line, county=node.county, build=node.build, hash_id=node.person_key)
            )
        except LineError as exc:
            report.rejected.append((number, str(exc)))
    total = len(good)
    for start in range(0, total, PROGRESS_EVERY):
        await node.publish_many(good[start : start + PROGRESS_EVERY])
        report.published = min(start + PROGRESS_EVERY, total)
        print(f"published {report.published}/{total}", file=progress, flush=True)
    return report


async def run_publish(node: CountyNode, source: str) -> int:
    try:
        lines = list(read_lines(source))
    except OSError as exc:
        print(f"error: cannot read {source}: {exc.strerror}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:
        print(f"error: {source} is not UTF-8 ({exc.reason} at byte {exc.start})", file=sys.stderr)
        return 2
    try:
        async with node:
            report = await publish_export(node, lines, progress=sys.stderr)
    except KafkaError as exc:
        print(f"error: publishing failed: {exc}", file=sys.stderr)
        return 2
    for number, reason in report.rejected:
        print(f"line {number}: rejected: {reason}", file=sys.stderr)
    print(f"published {report.published} events, rejected {len(report.rejected)} lines")
    return 1 if report.rejected else 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bootstrap import services
    from streams import topics
    from streams.keys import KeyFileError, load_key_file

    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    try:
        key = load_key_file(args.key)
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not catalog_ready(settings, bootstrap, [topics.COUNTY_EVENTS]):
        return 1
    secret = services.person_secret(settings)

    async def go() -> int:
        node = services.county_node(
            settings,
            bootstrap,
            county=args.county,
            publisher_id=args.publisher,
            private_key=key,
            person_secret=secret,
        )
        return await run_publish(node, args.source)

    return asyncio.run(go())
