"""A copy of the derived topics under a throwaway prefix, one record changed: what the
verification must catch and name."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from audit.replay.derived import DERIVED_TOPICS
from audit.replay.positions import Position, cause_of
from streams.admin import ensure_topics


@dataclass(frozen=True)
class Tampered:
    """The changed record: where it is in the copy, its id, and the validated record that
    caused it."""

    where: str
    event_id: str
    cause: str


async def copy_derived(
    bootstrap: str,
    prefix: str,
    copy: str,
    partitions: int,
    position: Position,
    *,
    change_due_at: str = "2027-01-01T00:00:00Z",
) -> Tampered:
    """Every record of ``prefix``'s derived topics, headers and partitions kept, written
    under ``copy``; the first obligation opened whose cause lies below ``position`` gets
    another ``due_at``."""
    await ensure_topics(bootstrap, prefix=copy, partitions=partitions, replication_factor=1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    tampered: Tampered | None = None
    try:
        for spec in DERIVED_TOPICS:
            source, target = spec.full_name(prefix), spec.full_name(copy)
            for record in await _read(bootstrap, source, partitions):
                value = record.value
                cause = cause_of(record.headers)
                if (
                    tampered is None
                    and value is not None
                    and b'"obligation_opened"' in value
                    and cause is not None
                    and cause.offset < position.get(cause.partition, 0)
                ):
                    data = json.loads(value)
                    data["due_at"] = change_due_at
                    value = json.dumps(data).encode()
                    offset = await _offset(producer, target, record, value)
                    tampered = Tampered(
                        f"{target}/{record.partition}/{offset}", data["event_id"], str(cause)
                    )
                    continue
                await _offset(producer, target, record, value)
    finally:
        await producer.stop()
    if tampered is None:
        raise AssertionError("no obligation to change below the position")
    return tampered


async def _offset(producer: AIOKafkaProducer, topic: str, record: Any, value: bytes | None) -> int:
    sent = await producer.send_and_wait(
        topic,
        value=value,
        key=record.key,
        partition=record.partition,
        headers=list(record.headers),
    )
    return int(sent.offset)


async def _read(bootstrap: str, topic: str, partitions: int) -> list[Any]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: list[Any] = []
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            for tp, records in (await consumer.getmany(*remaining, timeout_ms=500)).items():
                out.extend(r for r in records if r.offset < ends[tp])
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return sorted(out, key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()
