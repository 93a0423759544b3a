"""Measurements: raw consume, consumer-group progress, and the first outputs after a restart.

Wall-clock time is read here, for measuring only: no decision in the system reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from contracts import unions
from streams.codec import Codec, DecodeError
from streams.read_bounds import ReadBounds
from streams.topic_reader import TopicReader, find_partitions

# How long a measurement waits for a topic it reads to exist (the bench created them).
TOPIC_WAIT_S = 10.0


@dataclass(frozen=True, slots=True)
class Throughput:
    events: int
    seconds: float
    events_per_s: float | None


# -- raw consume + decode --------------------------------------------------------------------


async def raw_consume(bootstrap: str, topic: str, timeout_s: float) -> Throughput:
    """aiokafka, no group, every partition from the start, each value decoded by the codec."""
    codec: Codec[Any] = Codec(unions.CountyEvent)
    reader = TopicReader(bootstrap, max_partition_fetch_bytes=8 << 20, fetch_max_bytes=64 << 20)
    await reader.open_topics([topic], wait_s=TOPIC_WAIT_S)
    count = 0
    began: float | None = None
    try:
        await reader.seek_to_beginning()
        bounds = ReadBounds(await reader.end_offsets())
        # Out of time: what was read by then is the figure.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                async for _tp, batch in reader.read_to(bounds, max_records=20_000):
                    began = began or time.monotonic()
                    for m in batch:
                        # Bad input is counted as read: a consumer reads it too.
                        with contextlib.suppress(DecodeError):
                            codec.decode(m.value)
                        count += 1
        seconds = time.monotonic() - (began or time.monotonic())
        return Throughput(count, seconds, count / seconds if seconds > 0 and count else None)
    finally:
        await reader.close()


# -- consumer-group progress -----------------------------------------------------------------


@dataclass
class GroupWatch:
    """Polls a group's committed offsets on ``topic`` until they reach the topic's end
    (with ``upstream`` committed to its end first, when given)."""

    bootstrap: str
    group: str
    topic: str
    upstream: str | None = None
    poll_s: float = 0.2
    samples: list[tuple[float, int]] = field(default_factory=list)

    async def run(self, timeout_s: float, stable_s: float = 2.0) -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        probe = TopicReader(self.bootstrap)
        await admin.start()
        await probe.open()
        try:
            watched = [self.topic] if self.upstream is None else [self.topic, self.upstream]
            tps = {name: await _tps(self.bootstrap, name) for name in watched}
            deadline = time.monotonic() + timeout_s
            ends_seen: dict[TopicPartition, int] = {}
            stable_since: float | None = None
            while time.monotonic() < deadline:
                all_tps = [tp for group in tps.values() for tp in group]
                try:
                    committed = await admin.list_consumer_group_offsets(
                        self.group, partitions=all_tps
                    )
                except KafkaError:  # no coordinator yet (the group is new): nothing committed
                    committed = {}
                ends = await probe.end_offsets(all_tps)
                now = time.monotonic()

                def at(tp: TopicPartition, c: Mapping[Any, Any] = committed) -> int:
                    return max(0, int(c[tp].offset)) if tp in c else 0

                self.samples.append((now, sum(at(tp) for tp in tps[self.topic])))
                caught_up = all(at(tp) >= ends[tp] for tp in all_tps) and any(ends.values())
                if caught_up and ends == ends_seen:
                    stable_since = stable_since or now
                    if now - stable_since >= stable_s or self.upstream is None:
                        return True
                else:
                    stable_since = None
                ends_seen = ends
                await asyncio.sleep(self.poll_s)
            return False
        finally:
            await probe.close()
            await admin.close()

    def total(self) -> int:
        return self.samples[-1][1] if self.samples else 0


async def _tps(bootstrap: str, topic: str) -> list[TopicPartition]:
    return await find_partitions(bootstrap, [topic], wait_s=TOPIC_WAIT_S)


async def wait_group_ready(
    bootstrap: str, group: str, members: int, changelog_prefix: str, timeout_s: float
) -> bool:
    """Until ``group`` is Stable with ``members`` members and its tables' changelog topics
    (``<changelog_prefix>*-changelog``) exist.

    Input must not arrive before that: a worker that finds a backlog at its first start can
    write a table before it has the changelog's metadata (Faust's PartitionsMismatch).
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if await _stable(admin, group, members):
                names = await admin.list_topics()
                if any(n.startswith(changelog_prefix) and n.endswith("-changelog") for n in names):
                    return True
            await asyncio.sleep(0.5)
        return False
    finally:
        await admin.close()


async def _stable(admin: AIOKafkaAdminClient, group: str, members: int) -> bool:
    try:
        responses = await admin.describe_consumer_groups([group])
    except KafkaError:
        return False
    for response in responses:
        for described in response.groups:
            # (error_code, group_id, state, protocol_type, protocol, members, ...)
            if described[1] == group and described[2] == "Stable":
                return len(described[5]) >= members
    return False


# -- first outputs after a restart -----------------------------------------------------------


class FirstOutputs:
    """When the first record arrives on each of ``topics`` after :meth:`start` (which
    resolves their ends first, so nothing written before it counts)."""

    def __init__(self, bootstrap: str, topics: Sequence[str]) -> None:
        self.topics = list(topics)
        self.reader = TopicReader(bootstrap, fetch_max_wait_ms=10)
        self.first: dict[str, float] = {}

    async def start(self) -> None:
        await self.reader.open_topics(self.topics, wait_s=TOPIC_WAIT_S)
        await self.reader.seek_to_end()

    async def wait(self, timeout_s: float) -> dict[str, float]:
        """Monotonic arrival time of each topic's first new record (those seen in time)."""
        deadline = time.monotonic() + timeout_s
        try:
            while len(self.first) < len(self.topics) and time.monotonic() < deadline:
                for tp, batch in (await self.reader.fetch(timeout_ms=100)).items():
                    if batch:
                        self.first.setdefault(tp.topic, time.monotonic())
            return dict(self.first)
        finally:
            await self.reader.close()
