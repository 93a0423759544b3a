"""Reading the validated topic for a replay, and where the live system stands on it.

The reader is a :class:`streams.topic_reader.TopicReader` (no consumer group): partitions are
assigned by hand (all of them, or the ones a replay process was given) and read from the
earliest offset up to end offsets fixed at the start, so a replay never joins, commits for
or disturbs the live consumer group. Batches come thousands of records per fetch, each
partition's records in offset order.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Collection, Mapping
from typing import Any, TextIO

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams.read_bounds import ReadBounds
from streams.topic_reader import TopicReader, end_offsets_of, find_partitions

BATCH_RECORDS = 5000
# A replay reads whole partitions as fast as it can: larger fetches than aiokafka's 1 MiB.
FETCH_BYTES = 8 * 1024 * 1024
# How long a replay waits for its topic to exist (a replay reads a log already written).
TOPIC_WAIT_S = 5.0


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
        self._reader = TopicReader(
            bootstrap_servers, client_options=client_options, max_partition_fetch_bytes=FETCH_BYTES
        )
        self.partitions: list[TopicPartition] = []
        self._bounds: ReadBounds[TopicPartition] = ReadBounds({})

    async def start(self) -> None:
        reader = self._reader
        found = await find_partitions(
            reader.bootstrap_servers,
            [self.topic],
            wait_s=TOPIC_WAIT_S,
            client_options=reader.client_options,
        )
        numbers = {tp.partition for tp in found}
        if self.only is not None and not self.only <= numbers:
            raise LookupError(
                f"{self.topic} has no partition {min(self.only - numbers)} (it has {len(numbers)})"
            )
        chosen = sorted(numbers if self.only is None else self.only)
        self.partitions = [TopicPartition(self.topic, p) for p in chosen]
        await reader.open(self.partitions)

    async def stop(self) -> None:
        await self._reader.close()

    async def end_offsets(self) -> dict[int, int]:
        ends = await self._reader.end_offsets(self.partitions)
        return {tp.partition: ends[tp] for tp in self.partitions}

    async def batches(
        self, ends: Mapping[int, int]
    ) -> AsyncIterator[tuple[int, list[tuple[int, bytes | None]]]]:
        """``(partition, [(offset, value), ...])`` from the beginning up to ``ends``.

        A partition leaves the iteration when it reaches its end or when the caller calls
        :meth:`finish` for it (for example, an as-of cut).
        """
        reader = self._reader
        await reader.seek_to_beginning()
        self._bounds = ReadBounds({tp: ends.get(tp.partition, 0) for tp in self.partitions})
        async for tp, messages in reader.read_to(self._bounds, max_records=self.batch_records):
            yield tp.partition, [(m.offset, m.value) for m in messages]

    def finish(self, partition: int) -> None:
        self._bounds.finish(TopicPartition(self.topic, partition))

    @property
    def done(self) -> int:
        return len(self.partitions) - len(self._bounds.remaining)


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
    return await end_offsets_of(
        bootstrap_servers, topic, client_options=client_options, wait_s=TOPIC_WAIT_S
    )
