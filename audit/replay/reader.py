"""Reading the validated topic for a replay, and where the live system stands on it.

The reader is a plain ``AIOKafkaConsumer`` with no group (``group_id=None``): partitions are
assigned by hand (all of them, or the ones a replay process was given) and read from the
earliest offset up to end offsets fixed at the start, so a replay never joins, commits for
or disturbs the live consumer group. Batches come from
``getmany`` (thousands of records per call), each partition's records in offset order.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Collection, Mapping
from typing import Any, TextIO

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams.topic_reader import partitions_of

BATCH_RECORDS = 5000


class Progress:
    """A progress line on stderr: events read, events/s, partitions done.

    On a terminal it redraws one line; otherwise it prints a line every ``every_s`` seconds.
    """

    def __init__(self, partitions: int, out: TextIO | None = None, every_s: float = 2.0) -> None:
        self.partitions = partitions
        self.out = out or sys.stderr
        self.every_s = every_s
        self.started = time.monotonic()
        self.shown = 0.0
        self.tty = self.out.isatty()

    def rate(self, events: int) -> float:
        elapsed = time.monotonic() - self.started
        return events / elapsed if elapsed > 0 else 0.0

    def update(self, events: int, done: int, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.shown < (0.2 if self.tty else self.every_s):
            return
        self.shown = now
        line = (
            f"replay: {events:,} messages  {self.rate(events):,.0f} messages/s  "
            f"partitions {done}/{self.partitions} done"
        )
        if self.tty:
            self.out.write("\r" + line + ("\n" if final else ""))
        else:
            self.out.write(line + "\n")
        self.out.flush()


class ValidatedReader:
    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        *,
        batch_records: int = BATCH_RECORDS,
        client_options: Mapping[str, Any] | None = None,
        only: Collection[int] | None = None,
    ) -> None:
        self.topic = topic
        self.batch_records = batch_records
        self.only = None if only is None else frozenset(only)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_partition_fetch_bytes=8 * 1024 * 1024,
            **dict(client_options or {}),
        )
        self.partitions: list[TopicPartition] = []
        self._remaining: set[TopicPartition] = set()

    async def start(self) -> None:
        await self._consumer.start()
        try:
            found = await partitions_of(self._consumer, self.topic)
        except BaseException:
            await self._consumer.stop()
            raise
        if self.only is not None and not self.only <= set(found):
            await self._consumer.stop()
            raise LookupError(
                f"{self.topic} has no partition {min(self.only - set(found))} (it has {len(found)})"
            )
        chosen = sorted(found if self.only is None else self.only)
        self.partitions = [TopicPartition(self.topic, p) for p in chosen]
        self._consumer.assign(self.partitions)

    async def stop(self) -> None:
        await self._consumer.stop()

    async def end_offsets(self) -> dict[int, int]:
        ends = await self._consumer.end_offsets(self.partitions)
        return {tp.partition: int(ends[tp]) for tp in self.partitions}

    async def batches(
        self, ends: Mapping[int, int]
    ) -> AsyncIterator[tuple[int, list[tuple[int, bytes | None]]]]:
        """``(partition, [(offset, value), ...])`` from the beginning up to ``ends``.

        A partition leaves the iteration when it reaches its end or when the caller calls
        :meth:`finish` for it (for example, an as-of cut).
        """
        consumer = self._consumer
        await consumer.seek_to_beginning(*self.partitions)
        self._remaining = {tp for tp in self.partitions if ends.get(tp.partition, 0) > 0}
        for tp in self.partitions:
            if tp not in self._remaining:
                consumer.pause(tp)
        while self._remaining:
            fetched = await consumer.getmany(
                *self._remaining, timeout_ms=1000, max_records=self.batch_records
            )
            for tp, messages in sorted(fetched.items()):
                if tp not in self._remaining:
                    continue
                end = ends[tp.partition]
                batch = [(m.offset, m.value) for m in messages if m.offset < end]
                if batch:
                    yield tp.partition, batch
                if tp in self._remaining and (
                    (messages and messages[-1].offset + 1 >= end)
                    or await consumer.position(tp) >= end
                ):
                    self.finish(tp.partition)

    def finish(self, partition: int) -> None:
        tp = TopicPartition(self.topic, partition)
        if tp in self._remaining:
            self._remaining.discard(tp)
            self._consumer.pause(tp)

    @property
    def done(self) -> int:
        return len(self.partitions) - len(self._remaining)


async def committed_offsets(
    bootstrap_servers: str,
    group_id: str,
    partitions: list[TopicPartition],
    client_options: Mapping[str, Any] | None = None,
) -> dict[TopicPartition, int]:
    """The consumer group's committed next offsets (-1 or absent: nothing committed)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **dict(client_options or {}))
    await admin.start()
    try:
        found = await admin.list_consumer_group_offsets(group_id, partitions=partitions)
    finally:
        await admin.close()
    return {tp: int(found[tp].offset) if tp in found else -1 for tp in partitions}


async def end_offsets(
    bootstrap_servers: str,
    topic: str,
    client_options: Mapping[str, Any] | None = None,
) -> dict[TopicPartition, int]:
    """The current end offset of every partition of ``topic`` (a group-less consumer)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        **dict(client_options or {}),
    )
    await consumer.start()
    try:
        found = await partitions_of(consumer, topic)
        tps = [TopicPartition(topic, p) for p in sorted(found)]
        ends = await consumer.end_offsets(tps)
        return {tp: int(ends[tp]) for tp in tps}
    finally:
        await consumer.stop()
