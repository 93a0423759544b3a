"""Reading what the live system derived, and how far it has derived, for ``replay --verify``.

**How far.** The live workers' consumer group (``<prefix>-workers``) commits a validated
partition's offset only after every output of the inputs below it was acknowledged by the
broker (docs/runtime.md, the commit order), so the committed offsets are a position ``V``
up to which the derived topics are complete. New input may keep arriving: it only adds
records whose cause lies at or past ``V``.

**What.** A derived topic is read without a group, every partition from the start up to the
end offsets seen once ``V`` is fixed (anything derived from inputs below ``V`` lies below
them). Each record's cause header places it on its validated partition; records caused at
or past ``V`` are counted and left out, the rest become entries of the canonical form
(:mod:`audit.replay.derived`). A record that names no cause cannot be placed: it is
counted, with the position of the first one.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from audit.replay import derived
from audit.replay.positions import Position, cause_of
from audit.replay.reader import committed_offsets, end_offsets
from streams import topics
from streams.topic_reader import partitions_of

FETCH_RECORDS = 20_000


async def derived_position(
    bootstrap_servers: str,
    prefix: str,
    validated_topic: str,
    client_options: Mapping[str, Any] | None = None,
) -> tuple[dict[int, int], dict[int, int]]:
    """(``V``, the validated end offsets): how far the live workers have derived, per
    validated partition (nothing committed: 0), and how far the log reaches."""
    ends = await end_offsets(bootstrap_servers, validated_topic, client_options)
    committed = await committed_offsets(
        bootstrap_servers, topics.workers_group(prefix), list(ends), client_options
    )
    reached = {tp.partition: max(committed[tp], 0) for tp in ends}
    return reached, {tp.partition: n for tp, n in ends.items()}


@dataclass
class LiveTopic:
    """One derived topic as the live system wrote it, restricted to causes below ``V``.

    :meth:`take` each record read (any order), then :meth:`finish`.
    """

    name: str  # the catalog name (obligations, alerts)
    topic: str  # the full topic name read
    validated_topic: str  # the topic causes must name
    position: Position  # V: the validated partitions verified, and how far
    keep: Collection[int] = ()  # partitions whose entries keep bytes and positions
    ends: dict[int, int] = field(default_factory=dict)  # its end offsets, as read up to
    read: int = 0
    beyond: int = 0  # caused at or past V (derived from input that arrived since)
    elsewhere: int = 0  # caused by a record of another topic, or a partition not verified
    uncaused: int = 0  # naming no cause
    first_uncaused: str | None = None
    parts: dict[int, derived.Canonical] = field(default_factory=dict)
    _entries: dict[int, list[derived.Entry]] = field(default_factory=dict, repr=False)

    def take(self, record: Any) -> None:
        """One record (``topic``, ``partition``, ``offset``, ``value`` and ``headers``, as
        aiokafka gives them)."""
        self.read += 1
        where = f"{record.topic}/{record.partition}/{record.offset}"
        cause = cause_of(record.headers)
        if cause is None:
            self.uncaused += 1
            if self.first_uncaused is None:
                self.first_uncaused = where
            return
        if cause.topic != self.validated_topic or cause.partition not in self.position:
            self.elsewhere += 1
            return
        if cause.offset >= self.position[cause.partition]:
            self.beyond += 1
            return
        kept = cause.partition in self.keep
        self._entries.setdefault(cause.partition, []).append(
            derived.entry(record.value, cause.offset, where=where if kept else None, keep=kept)
        )

    def finish(self) -> LiveTopic:
        """Every verified partition's canonical form, from the records taken."""
        self.parts = {
            p: derived.canonical(self._entries.get(p, ()), self.position[p], keep=p in self.keep)
            for p in sorted(self.position)
        }
        self._entries = {}
        return self

    def digests(self) -> dict[int, str]:
        return {p: c.digest() for p, c in sorted(self.parts.items())}

    @property
    def records(self) -> int:
        return sum(c.lines for c in self.parts.values())


async def read_live(
    bootstrap_servers: str,
    spec_name: str,
    topic: str,
    validated_topic: str,
    position: Position,
    *,
    keep: Collection[int] = (),
    client_options: Mapping[str, Any] | None = None,
    wait_s: float = 120.0,
) -> LiveTopic:
    """``topic``'s records caused below ``position`` on the validated partitions it names,
    in canonical form per partition; the entries of partitions in ``keep`` keep their bytes
    and positions (to name a difference)."""
    out = LiveTopic(spec_name, topic, validated_topic, position, keep)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_partition_fetch_bytes=8 * 1024 * 1024,
        **dict(client_options or {}),
    )
    await consumer.start()
    try:
        found = await partitions_of(consumer, topic)
        tps = [TopicPartition(topic, p) for p in sorted(found)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out.ends = {tp.partition: int(ends[tp]) for tp in tps}
        remaining = {tp for tp in tps if ends[tp] > 0}
        deadline = time.monotonic() + wait_s
        while remaining:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic}: not read to its end within {wait_s:g}s")
            fetched = await consumer.getmany(*remaining, timeout_ms=500, max_records=FETCH_RECORDS)
            for tp, records in fetched.items():
                end = ends[tp]
                for r in records:
                    if r.offset < end:
                        out.take(r)
                if await consumer.position(tp) >= end:
                    remaining.discard(tp)
                    consumer.pause(tp)
    finally:
        await consumer.stop()
    return out.finish()
