"""Batch assembly: the records fetched for each partition the runtime holds, queued in
offset order until the partition's task takes them a batch at a time.

One fetch serves every partition; a partition whose queue holds ``queue_max`` records is
left out of the fetches until its task takes a batch, so a stuck partition holds up only
itself.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import structlog

from streams.runtime.limits import Limits
from streams.runtime.partition_state import PartitionState
from streams.runtime.ports import PartitionPolicy, Record, Source

log = structlog.get_logger(__name__)


@dataclass(eq=False)
class Partition:
    """A partition the runtime holds: its decisions, its state, its queue and its task."""

    number: int
    policy: PartitionPolicy
    state: PartitionState
    position: int  # next offset to apply: what the state records
    expected: int  # next offset to queue
    queue: deque[Record] = field(default_factory=deque)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    closing: bool = False
    task: asyncio.Task[None] | None = None


class Intake:
    """Fetches for the partitions in ``parts`` (the runtime's own mapping, read live) and
    hands each partition's task its batches."""

    def __init__(
        self, name: str, source: Source, limits: Limits, parts: Mapping[int, Partition]
    ) -> None:
        self.name = name
        self.source = source
        self.limits = limits
        self._parts = parts
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """A partition was added or has room again: fetch for it."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def fetching(self) -> None:
        limits = self.limits
        while not self._stopping:
            wanted = {
                p.number: p
                for p in self._parts.values()
                if not p.closing and len(p.queue) < limits.queue_max
            }
            if not wanted:
                self._wake.clear()
                await self._wake.wait()
                continue
            fetched = await self.source.fetch(list(wanted), limits.fetch_timeout_s)
            for number, records in fetched.items():
                part = wanted.get(number)
                # Only to the partition the fetch was for: one revoked meanwhile (and maybe
                # assigned again, at its recorded position) takes nothing fetched before.
                if part is not None and self._parts.get(number) is part and not part.closing:
                    self.add(part, records)

    def add(self, part: Partition, records: Sequence[Record]) -> None:
        """Queue what was fetched for ``part``: a record fetched before is dropped."""
        added = False
        for record in records:
            if record.offset < part.expected:
                continue  # fetched before: a repeat
            if record.offset > part.expected:
                # Nothing the runtime skipped: the log itself has no records there
                # (retention, compaction, transaction markers).
                log.warning(
                    "input_gap",
                    runtime=self.name,
                    partition=part.number,
                    expected=part.expected,
                    got=record.offset,
                )
            part.queue.append(record)
            part.expected = record.offset + 1
            added = True
        if added:
            part.arrived.set()

    async def next_batch(self, part: Partition) -> list[Record] | None:
        """What arrived for ``part``, up to ``batch_max`` records, once anything has; None
        once the partition is closing."""
        while not part.closing:
            if part.queue:
                batch = [
                    part.queue.popleft() for _ in range(min(len(part.queue), self.limits.batch_max))
                ]
                self._wake.set()  # room again in this partition's queue
                return batch
            part.arrived.clear()
            await part.arrived.wait()
        return None

    @staticmethod
    def put_back(part: Partition, records: Sequence[Record]) -> None:
        """Records taken for a batch that ended early: first in the next batch."""
        part.queue.extendleft(reversed(records))
