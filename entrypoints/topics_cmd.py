"""``liudong topics ensure``: create the catalog's topics (and the workers' changelogs) with
their partitions, retention and compaction; idempotent, so run it at every deployment."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping
from typing import Any

from aiokafka.errors import KafkaError

from bootstrap import client_options
from entrypoints.arguments import EXIT_USAGE, AddParser, UsageParser
from infra.kafka.address import resolve_bootstrap
from infra.settings import Settings
from streams.admin import CatalogError, ensure_topics, partition_counts
from streams.topics import CATALOG, changelog_partitions

ENSURE_TIMEOUT_S = 60.0


def add_parser(add: AddParser) -> None:
    topics = add("topics", help="the topic catalog on the cluster")
    topics_sub = topics.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    topics_sub.add_parser("ensure", help="create what is missing (idempotent); check partitions")


def expected_partitions(prefix: str, partitions: int) -> dict[str, int]:
    """Topic -> the partition count the processes assume (``LIUDONG_PARTITIONS``)."""
    expected = {spec.full_name(prefix): spec.partitions(partitions) for spec in CATALOG}
    expected.update(changelog_partitions(prefix, partitions))
    return expected


def partition_problems(counts: Mapping[str, int], prefix: str, partitions: int) -> list[str]:
    """Existing topics whose partition count differs from the setting: the person-partition
    rule and the workers' tables both depend on it, and Kafka never re-partitions."""
    return [
        f"{name} has {counts[name]} partitions, not {want} (LIUDONG_PARTITIONS={partitions}): "
        "set LIUDONG_PARTITIONS to what the cluster has"
        for name, want in expected_partitions(prefix, partitions).items()
        if name in counts and counts[name] != want
    ]


async def ensure(
    bootstrap: str,
    *,
    prefix: str,
    partitions: int,
    replication_factor: int,
    max_event_bytes: int,
    client_options: Mapping[str, Any],
) -> int:
    """Create what is missing, each topic sized for events of ``max_event_bytes`` (the
    gate's limit), then check every partition count against ``partitions``."""
    try:
        async with asyncio.timeout(ENSURE_TIMEOUT_S):
            created = await ensure_topics(
                bootstrap,
                prefix=prefix,
                partitions=partitions,
                replication_factor=replication_factor,
                max_event_bytes=max_event_bytes,
                client_options=client_options,
            )
        counts = await partition_counts(bootstrap, prefix=prefix, client_options=client_options)
    except (TimeoutError, KafkaError) as exc:
        print(f"error: cannot create topics on {bootstrap}: {exc!r}", file=sys.stderr)
        return 2
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name in created:
        count = counts.get(name, 0)
        print(f"created {name} ({count} partition{'' if count == 1 else 's'})")
    problems = partition_problems(counts, prefix, partitions)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"{len(counts)} topics ready on {bootstrap} ({len(created)} created)")
    return 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    return asyncio.run(
        ensure(
            bootstrap,
            prefix=settings.topic_prefix,
            partitions=settings.partitions,
            replication_factor=settings.replication_factor,
            max_event_bytes=settings.max_event_bytes,
            client_options=client_options(settings),
        )
    )
