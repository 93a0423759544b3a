"""Measurements: raw consume, consumer-group progress, latencies, and the processes measured.

Wall-clock time is read here, for measuring only: no decision in the system reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import struct
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from benchmarks.corpus import Message
from contracts import unions
from streams.codec import Codec, DecodeError
from streams.read_bounds import ReadBounds
from streams.topic_reader import TopicReader, find_partitions

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# How long a measurement waits for a topic it reads to exist (the bench created them).
TOPIC_WAIT_S = 10.0


@dataclass(frozen=True, slots=True)
class Throughput:
    events: int
    seconds: float
    events_per_s: float | None


# -- processes -------------------------------------------------------------------------------


class Process:
    """A measured child process in its own session; its peak RSS read from /proc (Linux)."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], log: Path) -> None:
        self.argv = list(argv)
        self.env = dict(env)
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                self.argv,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def memory_kib(self, field_name: str = "VmHWM") -> int | None:
        """``VmHWM`` (peak resident set) or ``VmRSS`` (now) in KiB; None if unreadable."""
        if self.proc is None:
            return None
        try:
            text = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
        return None

    def cpu_seconds(self) -> float | None:
        """User plus system CPU the process has used so far; None if unreadable."""
        if self.proc is None:
            return None
        try:
            stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        except OSError:
            return None
        # Fields after the command name (which may hold spaces): utime, stime are 14 and 15.
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def kill(self) -> None:
        """SIGKILL, as a crash: no shutdown of any kind."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout_s: float = 30.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


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


# -- latency ---------------------------------------------------------------------------------


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
