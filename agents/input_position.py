"""Each input partition's next offset to apply, kept beside the agent's own state.

Faust's committed offsets cannot be the record of what an agent applied. Around a
rebalance it acknowledges, unprocessed, the messages it already fetched (they belong to the
old generation), and an acknowledged offset is committable; its commit also flushes the
producer for at most 0.1 s before committing. After a SIGKILL the next life could start
past inputs whose effects were never written, and they were lost (issue 3).

So each agent writes ``<partition>:next_offset`` into its own table, last, with the state
of every batch (agents.emit.persist), and applies its input strictly in offset order:
an offset below the next one is a re-delivery and is skipped; one above it is a gap, and
the consumer is sought back to the next offset so that Faust delivers the missing ones.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import faust
import structlog
from faust.types import TP

log = structlog.get_logger(__name__)

# A rewind takes a fetch round trip to show; events already buffered past the gap keep
# arriving meanwhile, and each would otherwise seek again.
REWIND_GRACE_S = 5.0


def position_key(partition: int) -> str:
    return f"{partition}:next_offset"


class InputPositions:
    def __init__(self, app: faust.App, table: Any, topic: str) -> None:
        self.app = app
        self.table = table
        self.topic = topic
        self.next: dict[int, int] = {}
        self.rewound: dict[int, float] = {}  # partition -> when it was last sought back

    def forget(self, partitions: Iterable[int]) -> None:
        """Revoked partitions: another worker may move them on; reload when assigned again."""
        for partition in partitions:
            self.next.pop(partition, None)
            self.rewound.pop(partition, None)

    async def in_order(
        self, events: Sequence[faust.EventT[bytes]], partition: int
    ) -> list[faust.EventT[bytes]]:
        """The events to apply now, in offset order, without repeats and without gaps."""
        expected = await self._expected(partition)
        kept: list[faust.EventT[bytes]] = []
        for event in events:
            offset = event.message.offset
            if offset < expected:
                continue  # applied already: a re-delivery
            if offset > expected:
                await self._rewind(partition, expected, offset)
                break  # nothing after a gap may be applied before the gap is filled
            kept.append(event)
            expected += 1
        if kept:
            self.rewound.pop(partition, None)
            self.next[partition] = expected
        return kept

    async def _expected(self, partition: int) -> int:
        known = self.next.get(partition)
        if known is not None:
            return known
        stored = self.table.get(position_key(partition))
        if stored is not None:
            expected = int(stored)
        else:  # never applied anything here: from the start of what the log still holds
            expected = await self._earliest(partition)
        self.next[partition] = expected
        return expected

    async def _rewind(self, partition: int, expected: int, got: int) -> None:
        last = self.rewound.get(partition)
        if last is not None and time.monotonic() - last < REWIND_GRACE_S:
            return
        earliest = await self._earliest(partition)
        if earliest > expected:
            # Retention deleted inputs this agent never applied: nothing can bring them back.
            log.error(
                "input_lost_to_retention",
                topic=self.topic,
                partition=partition,
                next_offset=expected,
                earliest=earliest,
            )
            expected = self.next[partition] = earliest
        log.warning(
            "input_gap_rewound",
            topic=self.topic,
            partition=partition,
            next_offset=expected,
            got=got,
        )
        self.rewound[partition] = time.monotonic()
        await self.app.consumer.seek(TP(self.topic, partition), expected)

    async def _earliest(self, partition: int) -> int:
        tp = TP(self.topic, partition)
        offsets = await self.app.consumer.earliest_offsets(tp)
        return int(offsets.get(tp, 0))
