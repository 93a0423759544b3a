"""Creating the catalog's topics on a cluster, idempotently."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from streams.codec import DEFAULT_MAX_BYTES
from streams.topics import CATALOG, changelog_topics

log = structlog.get_logger(__name__)

LEADER_TIMEOUT_S = 30.0


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
