"""Reading the log a bulletin is computed from, up to stated positions (the I/O side).

A :class:`streams.topic_reader.TopicReader` (no group, ``read_committed``), like the
assessment service's:
each partition of the obligations, alerts and validated topics is read from its beginning up
to its position and not one record further, so the same positions always give the same
records. Without positions, the end offsets seen at the start are the positions.
:class:`LogFollower` keeps one fold current (the public page): each :meth:`catch_up` reads
on to the end offsets seen then.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiokafka import TopicPartition

from disclosure.bulletin.log_fold import LogFold
from disclosure.bulletin.positions import TOPICS, Positions
from streams import topics
from streams.read_bounds import ReadBounds
from streams.topic_reader import TopicReader, TopicsNotFound

POLL_MS = 500
MAX_RECORDS = 5000


class LogError(LookupError):
    """The log cannot give what was asked (missing topics, fewer records); one line."""


def topic_name(prefix: str, topic: str) -> str:
    return f"{prefix}.{topic}"


class LogFollower:
    """One fold of the three topics, read on by :meth:`catch_up`."""

    def __init__(
        self,
        bootstrap: str,
        prefix: str,
        *,
        client_options: Mapping[str, Any] | None = None,
        wait_s: float = 5.0,
        max_record_bytes: int = topics.READ_LIMIT_BYTES,
    ) -> None:
        self.names = {topic_name(prefix, t): t for t in TOPICS}
        self.wait_s = wait_s
        self.fold = LogFold(max_record_bytes=max_record_bytes)
        self._reader = TopicReader(bootstrap, client_options=client_options)
        self._partitions: list[TopicPartition] = []

    async def start(self) -> None:
        try:
            self._partitions = await self._reader.open_topics(list(self.names), wait_s=self.wait_s)
        except TopicsNotFound:
            raise LogError(f"the topics {', '.join(sorted(self.names))} do not all exist") from None
        await self._reader.seek_to_beginning()
        for tp in self._partitions:  # every partition is stated, an empty one too
            self.fold.read_up_to(self.names[tp.topic], tp.partition, 0)

    async def stop(self) -> None:
        await self._reader.close()

    async def catch_up(self, positions: Positions | None = None) -> LogFold:
        """Read on to ``positions`` (default: the end offsets now); the fold."""
        reader = self._reader
        targets = self._targets(await reader.end_offsets(), positions)
        bounds = ReadBounds(targets, {tp: self._next(tp) for tp in targets})
        async for tp, messages in reader.read_to(
            bounds, timeout_ms=POLL_MS, max_records=MAX_RECORDS
        ):
            topic = self.names[tp.topic]
            for message in messages:
                self.fold.absorb(topic, tp.partition, message.offset, message.value)
        for tp, end in targets.items():
            self.fold.read_up_to(self.names[tp.topic], tp.partition, end)
        return self.fold

    def _next(self, tp: TopicPartition) -> int:
        return self.fold.next_offsets.get((self.names[tp.topic], tp.partition), 0)

    def _targets(
        self, ends: Mapping[TopicPartition, int], positions: Positions | None
    ) -> dict[TopicPartition, int]:
        if positions is None:
            return {tp: ends[tp] for tp in self._partitions}
        out: dict[TopicPartition, int] = {}
        for full, topic in self.names.items():
            mine = sorted(tp for tp in self._partitions if tp.topic == full)
            wanted = positions[topic]
            if len(wanted) != len(mine):
                raise LogError(
                    f"{full} has {len(mine)} partition(s), the positions name {len(wanted)}"
                )
            for tp, offset in zip(mine, wanted, strict=True):
                if offset > ends[tp]:
                    raise LogError(
                        f"{full} partition {tp.partition} holds records up to offset "
                        f"{ends[tp]}, not {offset}: this is not the log the positions were "
                        "taken from"
                    )
                if offset < self._next(tp):
                    raise LogError(f"{full} partition {tp.partition} was read past {offset}")
                out[tp] = offset
        return out


async def read(
    bootstrap: str,
    prefix: str,
    positions: Positions | None = None,
    *,
    client_options: Mapping[str, Any] | None = None,
    wait_s: float = 5.0,
    max_record_bytes: int = topics.READ_LIMIT_BYTES,
) -> LogFold:
    """The log folded up to ``positions`` (default: the end offsets now)."""
    follower = LogFollower(
        bootstrap,
        prefix,
        client_options=client_options,
        wait_s=wait_s,
        max_record_bytes=max_record_bytes,
    )
    await follower.start()
    try:
        return await follower.catch_up(positions)
    finally:
        await follower.stop()
