"""Reading topics without a consumer group: a whole topic up to its current end, and the
partition discovery and hand-assigned consumer that the projector and the assessment
service (which keep their own positions) both start from."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams import topics
from streams.codec import Codec, DecodeError

log = structlog.get_logger(__name__)


async def wait_for_partitions(
    bootstrap_servers: str,
    topics: list[str],
    *,
    wait_s: float,
    client_options: Mapping[str, Any] | None = None,
) -> list[TopicPartition]:
    """Every partition of ``topics``, sorted, once they all exist; TimeoutError after ``wait_s``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **dict(client_options or {}))
    await admin.start()
    try:
        async with asyncio.timeout(wait_s):
            while True:
                described = await admin.describe_topics(topics)
                missing = [
                    t["topic"] for t in described if t["error_code"] != 0 or not t["partitions"]
                ]
                if not missing:
                    return sorted(
                        TopicPartition(t["topic"], p["partition"])
                        for t in described
                        for p in t["partitions"]
                    )
                log.info("waiting_for_topics", topics=missing)
                await asyncio.sleep(0.5)
    finally:
        await admin.close()


async def assigned_consumer(
    bootstrap_servers: str,
    partitions: list[TopicPartition],
    client_options: Mapping[str, Any] | None = None,
) -> AIOKafkaConsumer:
    """A started consumer with no group, ``partitions`` assigned; the caller seeks."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        **dict(client_options or {}),
    )
    await consumer.start()
    consumer.assign(partitions)
    return consumer


async def read_all(
    bootstrap_servers: str,
    topic: str,
    union: Any,
    *,
    client_options: Mapping[str, Any] | None = None,
    wanted: tuple[bytes, ...] | None = None,
) -> list[Any]:
    """Every decodable event on ``topic`` up to the end offsets seen at the start, in order
    per partition (partitions one after another). With ``wanted``, only messages holding one
    of those byte strings are decoded (a cheap test that skips most of a busy topic)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, **dict(client_options or {})
    )
    await consumer.start()
    codec: Codec[Any] = Codec(union, max_bytes=topics.READ_LIMIT_BYTES)
    try:
        partitions = await partitions_of(consumer, topic)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        by_partition: dict[int, list[Any]] = {tp.partition: [] for tp in tps}
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, messages in batches.items():
                for message in messages:
                    if message.offset < ends[tp]:
                        if wanted is not None and not any(
                            w in (message.value or b"") for w in wanted
                        ):
                            continue
                        try:
                            by_partition[tp.partition].append(codec.decode(message.value).event)
                        except DecodeError:
                            continue  # internal topics are written by our own workers
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return [event for p in sorted(by_partition) for event in by_partition[p]]
    finally:
        await consumer.stop()


async def partitions_of(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    """The partitions of ``topic``, refreshing the consumer's metadata until it knows them
    (about five seconds); LookupError if the topic does not exist."""
    for _ in range(50):
        found = consumer.partitions_for_topic(topic)
        if found:
            return set(found)
        # aiokafka offers no public call to refresh a consumer's metadata.
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.1)
    raise LookupError(f"topic {topic} does not exist")
