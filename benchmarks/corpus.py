"""The benchmark's event set: simulated, signed and published once, then cloned byte for byte.

Every stage that needs fresh state (a fresh consumer group, fresh tables) gets its own topic
prefix; cloning the already-signed messages there costs a producer run, not a re-signing.
Partitions, keys and each partition's order are kept, so the gate and the cases agent see
exactly what they saw on the source topics.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from simulation.publisher import SimulationReport, run_simulation
from simulation.scenario import SimulationConfig
from streams import topics
from streams.admin import ensure_topics
from streams.read_bounds import ReadBounds
from streams.topic_reader import TopicReader, end_offsets_of


@dataclass(frozen=True, slots=True)
class Message:
    partition: int
    key: bytes | None
    value: bytes
    timestamp_ms: int
    offset: int = -1  # where it was read (-1: not read from a topic)
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class Corpus:
    registry: tuple[Message, ...]
    county_events: tuple[Message, ...]  # in publish order across partitions

    @property
    def size(self) -> int:
        return len(self.county_events)


async def publish_corpus(
    config: SimulationConfig,
    *,
    bootstrap: str,
    prefix: str,
    partitions: int,
    keys_dir: Path,
    region_key: Ed25519PrivateKey,
    secret: bytes,
) -> SimulationReport:
    await ensure_topics(bootstrap, prefix=prefix, partitions=partitions, replication_factor=1)
    return await run_simulation(
        config,
        bootstrap_servers=bootstrap,
        topic_prefix=prefix,
        keys_dir=keys_dir,
        region_key=region_key,
        person_key_secret=secret,
    )


async def read_topic(bootstrap: str, topic: str) -> list[list[Message]]:
    """Every message of ``topic``, one list per partition, in offset order."""
    reader = TopicReader(bootstrap)
    await reader.open_topics([topic], wait_s=5.0)
    try:
        await reader.seek_to_beginning()
        bounds = ReadBounds(await reader.end_offsets())
        numbers = [tp.partition for tp in reader.partitions]
        out: list[list[Message]] = [[] for _ in numbers]
        async for tp, batch in reader.read_to(bounds, max_records=10_000):
            out[numbers.index(tp.partition)].extend(
                Message(
                    tp.partition, m.key, m.value, int(m.timestamp), m.offset, tuple(m.headers or ())
                )
                for m in batch
                if m.value is not None
            )
        return out
    finally:
        await reader.close()


async def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """Each partition's end offset (the next offset to be written) of ``topic``."""
    return {tp.partition: n for tp, n in (await end_offsets_of(bootstrap, topic)).items()}


async def load_corpus(bootstrap: str, prefix: str) -> Corpus:
    registry = await read_topic(bootstrap, topics.REGISTRY.full_name(prefix))
    events = await read_topic(bootstrap, topics.COUNTY_EVENTS.full_name(prefix))
    merged = heapq.merge(*events, key=lambda m: m.timestamp_ms)  # keeps each partition's order
    return Corpus(tuple(m for part in registry for m in part), tuple(merged))


async def write(
    bootstrap: str,
    topic: str,
    messages: Iterable[Message],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Produce ``messages`` to their partitions of ``topic`` (acks=all); returns the count.

    Filled into one batch per partition and sent a batch at a time (a future per batch, not
    per message: the memory stage writes millions). Each partition's order is kept; the
    messages are stamped now. ``progress`` is told the count after every 200,000. Batches
    are as large as ``topic`` takes (a county topic refuses a batch above one event's worth).
    """
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", max_batch_size=topics.batch_bytes(topic)
    )
    await producer.start()
    try:
        batches: dict[int, Any] = {}
        pending: list[asyncio.Future[object]] = []
        count = 0

        async def flush(partition: int) -> None:
            batch = batches.pop(partition)
            pending.append(await producer.send_batch(batch, topic, partition=partition))
            if len(pending) >= 16:
                await asyncio.gather(*pending)
                pending.clear()

        for m in messages:
            batch = batches.get(m.partition)
            if batch is None:
                batch = batches[m.partition] = producer.create_batch()
            if batch.append(key=m.key, value=m.value, timestamp=None) is None:
                await flush(m.partition)
                batch = batches[m.partition] = producer.create_batch()
                batch.append(key=m.key, value=m.value, timestamp=None)
            count += 1
            if progress is not None and count % 200_000 == 0:
                progress(count)
        for partition in list(batches):
            await flush(partition)
        await asyncio.gather(*pending)
        return count
    finally:
        await producer.stop()


async def clone(
    corpus: Corpus,
    *,
    bootstrap: str,
    prefix: str,
    partitions: int,
    events: Sequence[Message] | None = None,
) -> None:
    """Fresh topics under ``prefix``: the registry, then ``events`` (default: all of them)."""
    # The workers' changelogs too, before a worker's first start (streams.topics.TABLES).
    await ensure_topics(bootstrap, prefix=prefix, partitions=partitions, replication_factor=1)
    await write(bootstrap, topics.REGISTRY.full_name(prefix), corpus.registry)
    chosen = corpus.county_events if events is None else events
    await write(bootstrap, topics.COUNTY_EVENTS.full_name(prefix), chosen)
