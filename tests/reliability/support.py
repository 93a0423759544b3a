"""Helpers the reliability tests share: reading whole topics, worker metrics, registration."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.events.registry import CountyRegistered
from streams.county_node import CountyNode
from streams.signing import public_key_b64

Message = tuple[int, int, bytes | None]  # partition, offset, value


async def read_topic(
    bootstrap: str, topic: str, *, until: Callable[[list[Message]], bool], wait_s: float
) -> list[Message]:
    """Every message of ``topic`` from the start, polled until ``until`` holds (or time is
    up), then read again to its end offsets so nothing that was already there is missed."""
    deadline = time.monotonic() + wait_s
    got: list[Message] = []
    while True:
        got = await read_to_end(bootstrap, topic)
        if until(got) or time.monotonic() >= deadline:
            return got
        await asyncio.sleep(1.0)


async def read_to_end(bootstrap: str, topic: str) -> list[Message]:
    """Every message of ``topic`` up to the end offsets as of now, without a group."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(topic)
        for _ in range(50):
            if parts:
                break
            await consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)
            parts = consumer.partitions_for_topic(topic)
        tps = [TopicPartition(topic, p) for p in sorted(parts or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        got: list[Message] = []
        remaining = {tp for tp in tps if ends[tp] > 0}
        async with asyncio.timeout(60):
            while remaining:
                for tp, batch in (await consumer.getmany(timeout_ms=500)).items():
                    got.extend((tp.partition, m.offset, m.value) for m in batch)
                    if batch and batch[-1].offset + 1 >= ends[tp]:
                        remaining.discard(tp)
        return got
    finally:
        await consumer.stop()


async def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        return {tp.partition: int(o) for tp, o in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


async def scrape(url: str) -> dict[str, float]:
    """Prometheus text format -> {'name{labels}': value}, parsed by prometheus_client."""
    from aiohttp import ClientSession
    from prometheus_client.parser import text_string_to_metric_families

    async with ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        text = await response.text()
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values


async def register_counties(
    region: CountyNode, keys: Mapping[str, Ed25519PrivateKey], at: dt.datetime
) -> None:
    await region.publish_many(
        region.build(
            CountyRegistered,
            occurred_at=at,
            county=code,
            name=code,
            public_key=public_key_b64(key),
        )
        for code, key in keys.items()
    )
