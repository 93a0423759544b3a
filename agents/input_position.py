"""Each input partition's next offset to apply, kept beside the agent's own state.

Faust's committed offsets cannot be the record of what an agent applied. Around a
rebalance it acknowledges, unprocessed, the messages it already fetched (they belong to the
old generation), and an acknowledged offset is committable; its commit also flushes the
producer for at most 0.1 s before committing. After a SIGKILL the next life could start
past inputs whose effects were never written, and they were lost (issue 3).

So each agent writes ``<partition>:next_offset`` into its own table, last, with the state
of every batch (agents.emit.StateWriter), and applies its input strictly in offset order:
an offset below the next one is a re-delivery and is skipped; one above it is a gap. The
missing messages are then read directly from the broker and applied first. (Seeking
Faust's consumer back was tried: the partition stalled, nothing was delivered again.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

log = structlog.get_logger(__name__)

FETCH_TIMEOUT_MS = 1000
READ_TIMEOUT_S = 30.0
INITIAL_BACKOFF_S = 0.2
MAX_BACKOFF_S = 5.0


def position_key(partition: int) -> str:
    return f"{partition}:next_offset"


def position_record(next_offset: int, state: Mapping[str, str] | None = None) -> str:
    """What is stored under :func:`position_key`: the next offset, with any state that must
    become durable together with it (one record: a crash cannot keep one without the other).
    """
    if not state:
        return str(next_offset)
    return json.dumps({**state, "next_offset": next_offset}, sort_keys=True, separators=(",", ":"))


def read_position(stored: str | None) -> tuple[int | None, dict[str, str]]:
    """The next offset (None: nothing applied yet) and the state stored with it."""
    if stored is None:
        return None, {}
    if not stored.startswith("{"):
        return int(stored), {}
    data = json.loads(stored)
    next_offset = int(data.pop("next_offset"))
    return next_offset, {str(k): str(v) for k, v in data.items()}


@dataclass(frozen=True, slots=True)
class FetchedMessage:
    """A message read past Faust, with the fields the agents use of Faust's Message."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: float  # seconds, as Faust gives them


@dataclass(frozen=True, slots=True)
class Fetched:
    """Stands in for a Faust event: the agents only read its ``message``."""

    message: FetchedMessage


class InputPositions:
    def __init__(
        self,
        table: Any,
        topic: str,
        *,
        bootstrap_servers: str,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.table = table
        self.topic = topic
        self.bootstrap = bootstrap_servers
        self.client_options = dict(client_options or {})
        self.next: dict[int, int] = {}

    def forget(self, partitions: Iterable[int]) -> None:
        """Revoked partitions: another worker may move them on; reload when assigned again."""
        for partition in partitions:
            self.next.pop(partition, None)

    async def in_order(self, events: Sequence[Any], partition: int) -> list[Any]:
        """The events to apply now, in offset order, without repeats and without gaps.

        ``events`` are Faust events of one partition; a gap before one of them is filled
        with :class:`Fetched` stand-ins read from the broker.
        """
        expected = await self._expected(partition)
        kept: list[Any] = []
        for event in events:
            offset = event.message.offset
            if offset < expected:
                continue  # applied already: a re-delivery
            if offset > expected:
                missing = await self._read(partition, expected, offset)
                log.warning(
                    "input_gap_filled",
                    topic=self.topic,
                    partition=partition,
                    next_offset=expected,
                    got=offset,
                    read=len(missing),
                )
                kept.extend(missing)
            kept.append(event)
            expected = offset + 1
        if kept:
            self.next[partition] = expected
        return kept

    async def _expected(self, partition: int) -> int:
        known = self.next.get(partition)
        if known is None:
            stored, _ = read_position(self.table.get(position_key(partition)))
            # Never applied anything here: from the start of what the log still holds.
            known = stored if stored is not None else 0
            self.next[partition] = known
        return known

    async def _read(self, partition: int, start: int, end: int) -> list[Fetched]:
        """Messages ``start`` up to ``end`` (excluded); retried until the broker answers."""
        backoff = INITIAL_BACKOFF_S
        while True:
            try:
                return await self._read_once(partition, start, end)
            except (KafkaError, OSError, TimeoutError) as exc:
                log.warning("input_gap_read_retry", partition=partition, error=repr(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _read_once(self, partition: int, start: int, end: int) -> list[Fetched]:
        tp = TopicPartition(self.topic, partition)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False, **self.client_options
        )
        await consumer.start()
        try:
            consumer.assign([tp])
            earliest = (await consumer.beginning_offsets([tp]))[tp]
            if earliest > start:
                # Retention deleted inputs this agent never applied: nothing brings them back.
                log.error(
                    "input_lost_to_retention",
                    topic=self.topic,
                    partition=partition,
                    next_offset=start,
                    earliest=earliest,
                )
                start = earliest
            consumer.seek(tp, start)
            out: list[Fetched] = []
            while await consumer.position(tp) < end:
                batch = await asyncio.wait_for(
                    consumer.getmany(tp, timeout_ms=FETCH_TIMEOUT_MS), READ_TIMEOUT_S
                )
                out.extend(Fetched(_message(r)) for r in batch.get(tp, []) if r.offset < end)
            return out
        finally:
            await consumer.stop()


def _message(record: Any) -> FetchedMessage:
    return FetchedMessage(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        timestamp=record.timestamp / 1000.0,
    )
