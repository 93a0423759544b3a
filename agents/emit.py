"""Sending derived records and table state so that nothing is lost across a crash.

Order per batch of input events: decide, send the outputs and wait for the broker's acks
(:func:`send_all`), then write the table state that marks the inputs as done and wait for
its changelog records to be acknowledged too (:func:`persist`); only then does the agent
take the next batch, which is when Faust acknowledges the inputs and may commit them.

A crash before the state is durable re-delivers the inputs and re-sends the same outputs
(deterministic ids: consumers drop the repeat); a crash after it finds them done. Faust's
attachments would send outputs at commit time, after the state was written: a crash in
between would lose them, so they are bypassed (force=True). Faust's own table writes are
not waited for: its commit flushes the producer buffer for at most 0.1 s and commits
anyway, so an offset could be committed while the state it implies was still unsent, and
a SIGKILL then lost that state for good. :func:`persist` closes that gap.

A send that fails is retried, with backoff, until it succeeds: an exception escaping an
agent would make Faust acknowledge the input it was handling, and the input would be lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import cast

import faust
import structlog
from aiokafka.errors import KafkaError
from faust.tables.table import Table

from agents.table_context import as_current_event

log = structlog.get_logger(__name__)

# Agents take up to this many events at a time, or whatever arrived within the window: one
# ack wait per batch instead of one per event, for at most the window in added latency.
BATCH_MAX = 500
BATCH_WINDOW_S = 0.01

INITIAL_BACKOFF_S = 0.2
MAX_BACKOFF_S = 5.0


@dataclass(frozen=True, slots=True)
class Output:
    topic: faust.TopicT
    key: bytes | None
    value: bytes
    partition: int | None = None


async def send_all(
    outputs: Iterable[Output], on_sent: Callable[[list[Output]], None] | None = None
) -> None:
    """Send every output and return once the broker acknowledged them all."""
    batch = list(outputs)
    if not batch:
        return
    await _retrying("output_send_retry", len(batch), lambda: _send_once(batch))
    if on_sent is not None:
        on_sent(batch)


async def persist(
    table: faust.types.TableT[str, str],
    writes: Mapping[str, str],
    *,
    partition: int,
    event: faust.EventT[bytes],
) -> None:
    """Write ``writes`` into ``table`` and return once its changelog has them all.

    ``event`` is the last input of the batch from ``partition``: a persistent store files
    each key under the partition of the event being processed.
    """
    if not writes:
        return
    with as_current_event(event):
        for key, value in writes.items():
            table.data[key] = value

    concrete = cast(Table[str, str], table)  # TableT's stubs lack the serializers
    changelog = concrete.changelog_topic

    async def send() -> None:
        # Straight to the producer, in order, rather than through Faust's one-at-a-time
        # buffer (Table.send_changelog): the same records, serialized the same way.
        pending = [
            await changelog.send(
                key=key,
                value=value,
                partition=partition,
                key_serializer=concrete.key_serializer,
                value_serializer=concrete.value_serializer,
                force=True,
            )
            for key, value in writes.items()
        ]
        await asyncio.gather(*pending)

    await _retrying("state_persist_retry", len(writes), send)


async def _retrying(what: str, count: int, attempt_once: Callable[[], Awaitable[None]]) -> None:
    # Re-sending everything after a failure is safe: outputs carry deterministic ids that
    # consumers deduplicate, and a changelog keeps the last value per key.
    backoff = INITIAL_BACKOFF_S
    attempt = 0
    while True:
        try:
            await attempt_once()
            return
        except (KafkaError, TimeoutError) as exc:
            attempt += 1
            log.warning(what, attempt=attempt, records=count, error=repr(exc), retry_in_s=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)


async def _send_once(batch: list[Output]) -> None:
    pending = [
        await out.topic.send(key=out.key, value=out.value, partition=out.partition, force=True)
        for out in batch
    ]
    if pending:
        await asyncio.gather(*pending)
