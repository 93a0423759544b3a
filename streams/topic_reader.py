"""Reading a whole topic from the start, without a consumer group, up to its current end."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.codec import Codec, DecodeError


async def read_all(
    bootstrap_servers: str,
    topic: str,
    union: Any,
    *,
    client_options: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Every decodable event on ``topic`` up to the end offsets seen at the start, in order
    per partition (partitions one after another)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, **dict(client_options or {})
    )
    await consumer.start()
    codec: Codec[Any] = Codec(union, max_bytes=10 * 1024 * 1024)
    try:
        partitions = consumer.partitions_for_topic(topic) or await _partitions(consumer, topic)
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
                        try:
                            by_partition[tp.partition].append(codec.decode(message.value).event)
                        except DecodeError:
                            continue  # internal topics are written by our own workers
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return [event for p in sorted(by_partition) for event in by_partition[p]]
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    for _ in range(50):
        await consumer._client.force_metadata_update()
        found = consumer.partitions_for_topic(topic)
        if found:
            return set(found)
        await asyncio.sleep(0.1)
    raise LookupError(f"topic {topic} does not exist")
