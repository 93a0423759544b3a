"""Latency: raw produce -> consume round trips, and the pipeline's publish -> validated and
publish -> first obligation, at a paced rate.

Wall-clock time is read here, for measuring only: no decision in the system reads it.
"""

from __future__ import annotations

import asyncio
import json
import struct
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from benchmarks.corpus import Message
from benchmarks.measure import TOPIC_WAIT_S
from streams.topic_reader import TopicReader


async def raw_round_trip(bootstrap: str, topic: str, count: int, rate: float) -> list[float]:
    """Produce (acks=all) -> consume round trips in seconds, ``count`` messages at ``rate``/s."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    reader = TopicReader(bootstrap)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await reader.open_topics([topic], wait_s=TOPIC_WAIT_S)
    await producer.start()
    try:
        await reader.seek_to_end()
        sent: dict[int, float] = {}
        got: list[float] = []

        async def receive() -> None:
            while len(got) < count:
                for batch in (await reader.fetch(timeout_ms=200)).values():
                    now = time.monotonic()
                    for m in batch:
                        index = struct.unpack(">q", m.value)[0]
                        if index in sent:
                            got.append(now - sent[index])

        task = asyncio.create_task(receive())
        await _paced(count, rate, lambda i: _send_index(producer, topic, i, sent))
        async with asyncio.timeout(60):
            await task
        return got
    finally:
        await producer.stop()
        await reader.close()


async def _send_index(
    producer: AIOKafkaProducer, topic: str, index: int, sent: dict[int, float]
) -> None:
    sent[index] = time.monotonic()
    await producer.send(topic, struct.pack(">q", index), partition=0)


async def _paced(count: int, rate: float, send: Any) -> None:
    began = time.monotonic()
    for i in range(count):
        await send(i)
        ahead = (i + 1) / rate - (time.monotonic() - began)
        if ahead > 0:
            await asyncio.sleep(ahead)


@dataclass
class PipelineLatency:
    to_validated: list[float] = field(default_factory=list)  # publish -> gate output
    to_derived: list[float] = field(default_factory=list)  # publish -> first obligation caused


async def pipeline_latency(
    bootstrap: str,
    *,
    source: str,
    validated: str,
    derived: str,
    messages: Sequence[Message],
    rate: float,
    drain_s: float = 10.0,
) -> PipelineLatency:
    """Publish ``messages`` at ``rate``/s; time each to its validated copy and to the first
    derived obligation whose ``causation_id`` is its event id."""
    out = PipelineLatency()
    sent: dict[str, float] = {}
    seen_validated: set[str] = set()
    seen_derived: set[str] = set()
    # The observer reads many partitions, so it has the worker's problem (see
    # streams.runtime.faust_internals.transport): with aiokafka's 500 ms fetch wait it
    # could add up to that much to what it measures.
    reader = TopicReader(bootstrap, fetch_max_wait_ms=10)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await reader.open_topics([validated, derived], wait_s=TOPIC_WAIT_S)
    await producer.start()
    stop = asyncio.Event()
    try:
        await reader.seek_to_end()  # before anything is published

        async def receive() -> None:
            while not stop.is_set():
                for tp, batch in (await reader.fetch(timeout_ms=200)).items():
                    now = time.monotonic()
                    for m in batch:
                        _record(
                            tp.topic == validated,
                            m.value,
                            now,
                            sent,
                            out,
                            seen_validated,
                            seen_derived,
                        )

        task = asyncio.create_task(receive())

        async def send(i: int) -> None:
            m = messages[i]
            event_id = str(json.loads(m.value).get("event_id"))
            sent.setdefault(event_id, time.monotonic())
            await producer.send(source, m.value, key=m.key, partition=m.partition)

        await _paced(len(messages), rate, send)
        await producer.flush()
        await asyncio.sleep(drain_s)
        stop.set()
        await task
        return out
    finally:
        await producer.stop()
        await reader.close()


def _record(
    is_validated: bool,
    value: bytes | None,
    now: float,
    sent: Mapping[str, float],
    out: PipelineLatency,
    seen_validated: set[str],
    seen_derived: set[str],
) -> None:
    if value is None:
        return
    try:
        obj = json.loads(value)
    except ValueError:
        return
    key = str(obj.get("event_id" if is_validated else "causation_id"))
    if key not in sent:
        return
    seen, into = (
        (seen_validated, out.to_validated) if is_validated else (seen_derived, out.to_derived)
    )
    if key not in seen:
        seen.add(key)
        into.append(now - sent[key])
