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

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from audit.replay import derived
from audit.replay.positions import Position, cause_of
from audit.replay.reader import FETCH_BYTES, TOPIC_WAIT_S, committed_offsets, end_offsets
from streams import topics
from streams.read_bounds import ReadBounds
from streams.topic_reader import TopicReader

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
    reader = TopicReader(
        bootstrap_servers, client_options=client_options, max_partition_fetch_bytes=FETCH_BYTES
    )
    await reader.open_topics([topic], wait_s=TOPIC_WAIT_S)
    try:
        await reader.seek_to_beginning()
        ends = await reader.end_offsets()
        out.ends = {tp.partition: end for tp, end in ends.items()}
        within = asyncio.timeout(wait_s)
        try:
            async with within:
                async for _tp, records in reader.read_to(
                    ReadBounds(ends), timeout_ms=500, max_records=FETCH_RECORDS
                ):
                    for r in records:
                        out.take(r)
        except TimeoutError:
            if within.expired():
                raise TimeoutError(f"{topic}: not read to its end within {wait_s:g}s") from None
            raise
    finally:
        await reader.close()
    return out.finish()
