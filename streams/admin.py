"""The catalog's topics on a cluster: created idempotently (``liudong topics ensure``), and
checked by every process that needs them before it starts, so that a missing topic is one
clear line instead of a client retrying forever."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from streams.codec import DEFAULT_MAX_BYTES
from streams.topics import CATALOG, TopicSpec, changelog_topics

log = structlog.get_logger(__name__)

LEADER_TIMEOUT_S = 30.0
CHECK_TIMEOUT_S = 8.0  # a process must say what is missing well within 10 s


class CatalogError(RuntimeError):
    """The cluster lacks catalog topics, or cannot be asked; the message is one line."""


def catalog_names(prefix: str) -> list[str]:
    """Every topic the processes need: the catalog and the workers' changelogs."""
    return [spec.full_name(prefix) for spec in CATALOG] + list(changelog_topics(prefix))


async def partition_counts(
    bootstrap_servers: str,
    *,
    prefix: str,
    names: Sequence[str] | None = None,
    client_options: Mapping[str, Any] | None = None,
    timeout_s: float = CHECK_TIMEOUT_S,
) -> dict[str, int]:
    """Topic -> its partition count, for those of ``names`` (default: the whole catalog)
    that exist and that this client may see."""
    names = catalog_names(prefix) if names is None else names
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **dict(client_options or {}))
    try:
        async with asyncio.timeout(timeout_s):
            await admin.start()
            present = [name for name in names if name in set(await admin.list_topics())]
            described = await admin.describe_topics(present) if present else []
    except (TimeoutError, KafkaError) as exc:
        raise CatalogError(
            f"no answer from Kafka at {bootstrap_servers} within {timeout_s:g} s ({exc!r})"
        ) from None
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in described if t["error_code"] == 0}


async def require_catalog(
    bootstrap_servers: str,
    *,
    prefix: str,
    needed: Sequence[TopicSpec] | None = None,
    client_options: Mapping[str, Any] | None = None,
    timeout_s: float = CHECK_TIMEOUT_S,
) -> None:
    """Return if the topics a process uses exist (``needed``; default: the whole catalog and
    the changelogs); else raise CatalogError naming the missing ones. A process asks only
    for its own topics: under ACLs a client sees no other."""
    names = catalog_names(prefix) if needed is None else [spec.full_name(prefix) for spec in needed]
    counts = await partition_counts(
        bootstrap_servers,
        prefix=prefix,
        names=names,
        client_options=client_options,
        timeout_s=timeout_s,
    )
    missing = [name for name in names if name not in counts]
    if missing:
        raise CatalogError(
            f"missing topics {', '.join(missing)} on {bootstrap_servers}: "
            "run `liudong topics ensure`"
        )


async def ensure_topics(
    bootstrap_servers: str,
    *,
    prefix: str,
    partitions: int,
    replication_factor: int,
    min_insync_replicas: int | None = None,
    max_event_bytes: int = DEFAULT_MAX_BYTES,
    client_options: Mapping[str, Any] | None = None,
) -> list[str]:
    """Create every catalog topic that is missing; returns the names created.

    ``min_insync_replicas`` sets the topic-level ``min.insync.replicas`` (unset: the
    broker's default), so acks=all writes need that many live replicas. ``max_event_bytes``
    is the gate's limit (``LIUDONG_MAX_EVENT_BYTES``): each topic's ``max.message.bytes``
    follows from it (``TopicSpec.max_message_bytes``)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **dict(client_options or {}))
    isr = {} if min_insync_replicas is None else {"min.insync.replicas": str(min_insync_replicas)}
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                spec.full_name(prefix),
                spec.partitions(partitions),
                replication_factor,
                topic_configs=spec.config(max_event_bytes) | isr,
            )
            for spec in CATALOG
            if spec.full_name(prefix) not in existing
        ]
        wanted += [
            NewTopic(
                name,
                partitions,
                replication_factor,
                topic_configs={"cleanup.policy": "compact"} | isr,
            )
            for name in changelog_topics(prefix)
            if name not in existing
        ]
        if wanted:
            # Another process may create them first: that is the outcome we wanted.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
        created = [topic.name for topic in wanted]
        if created:
            await _wait_for_leaders(admin, created)
            log.info("topics_created", topics=created)
        return created
    finally:
        await admin.close()


async def _wait_for_leaders(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    """New partitions answer NotLeader for a moment; wait until every one has a leader."""
    async with asyncio.timeout(LEADER_TIMEOUT_S):
        while True:
            described = await admin.describe_topics(names)
            leaderless = [
                topic["topic"]
                for topic in described
                if topic["error_code"] != 0
                or not topic["partitions"]
                or any(p["leader"] < 0 for p in topic["partitions"])
            ]
            if not leaderless:
                return
            await asyncio.sleep(0.2)
