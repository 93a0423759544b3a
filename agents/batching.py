"""How the gate and the cases agent take their input: in batches, per partition, in order.

A batch is whatever arrived while the agent handled the previous one, up to ``BATCH_MAX``
events: one event alone when traffic is sparse (no window to wait out), more under load,
so the fixed cost of a batch (one wait for the outputs' acks, one for the state's) is
shared by more events as the rate grows. Events are grouped by partition and checked
against the agent's recorded input position (gaps filled, repeats dropped:
agents.input_position). Faust acknowledges a batch's events only after the agent handled
all of it, that is after its outputs and state were durable (agents.emit).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, cast

import faust
import structlog
from mode.types.signals import BaseSignalT

from agents.emit import OutputRefused, SendAbandoned, stop_process
from agents.input_position import InputPositions
from streams.runtime import faust_internals
from streams.worker_metrics import WorkerMetrics

log = structlog.get_logger(__name__)

# At most this many events per batch: one ack wait is shared by all of them, and none waits
# for the batch to fill.
BATCH_MAX = 2000

# One partition's events of a batch, in offset order.
PartitionEvents = tuple[int, list[Any]]


async def partition_batches(
    app: faust.App,
    stream: faust.StreamT[bytes],
    positions: InputPositions,
    metrics: WorkerMetrics | None,
) -> AsyncIterator[list[PartitionEvents]]:
    """Each batch as its partitions' events, in order; partitions with nothing new left out."""
    async for taken in arrived_batches(cast(faust.Stream[bytes], stream), BATCH_MAX):
        by_partition: dict[int, list[faust.EventT[bytes]]] = {}
        for event in taken:
            by_partition.setdefault(event.message.partition, []).append(event)
            if metrics is not None:
                metrics.received(app, event.message)
        batch: list[PartitionEvents] = []
        for partition, events in by_partition.items():
            kept = await positions.in_order(events, partition)
            if kept:
                batch.append((partition, kept))
        if batch:
            yield batch


async def arrived_batches(
    stream: faust.Stream[bytes], max_events: int
) -> AsyncIterator[list[faust.EventT[bytes]]]:
    """What the stream delivered since the last batch was taken (at least one event).

    Built like Faust's ``Stream.take_events`` (a processor fills a buffer while the stream
    is drained in the background), except that the buffer keeps filling while a batch is
    handled, and a batch is taken as soon as there is one event rather than after a fixed
    window: ``take_events`` waits out its window even for a single event, and accepts
    nothing while its caller works, which left batches small under load and every event
    up to a window late when traffic was sparse.
    """
    buffered: list[faust.EventT[bytes]] = []
    arrived = asyncio.Event()
    room = asyncio.Event()
    room.set()

    async def add(value: bytes) -> bytes:
        event = stream.current_event
        if event is None:
            raise RuntimeError("a stream processor ran without a current event")
        buffered.append(event)
        arrived.set()
        if len(buffered) >= max_events:
            room.clear()
            await stream.wait(room.wait())
        return value

    acks_before = stream.enable_acks
    stream.enable_acks = False  # acked below, once the batch is handled
    stream.add_processor(add)
    faust_internals.enable_passive(stream, aiter(stream.channel))
    try:
        while not stream.should_stop:
            await stream.wait_for_stopped(arrived.wait())
            if not buffered:
                continue
            taken = buffered[:]
            buffered.clear()
            arrived.clear()
            room.set()
            yield taken
            for event in taken:
                await stream.ack(event)
    finally:
        stream.enable_acks = acks_before
        faust_internals.remove_processor(stream, add)


def on_revoked(
    app: faust.App,
    topic: str,
    *forget: Callable[[list[int]], None],
    drain: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """On a rebalance: ``drain`` (the agent's state made durable, before the partitions'
    next owner recovers it), then each ``forget`` with the partitions of ``topic`` lost."""

    async def revoked(sender: Any, /, *args: Any, signal: BaseSignalT[Any], **kwargs: Any) -> None:
        if drain is not None:
            await drain()  # Faust awaits this signal before the rebalance completes
        tps = args[0] if args else kwargs.get("revoked", set())
        mine = [tp.partition for tp in tps if tp.topic == topic]
        for f in forget:
            f(mine)

    app.on_partitions_revoked.connect(revoked)


def timed(metrics: WorkerMetrics | None, agent: str) -> contextlib.AbstractContextManager[None]:
    return metrics.timing(agent) if metrics is not None else contextlib.nullcontext()


@contextlib.contextmanager
def handling(metrics: WorkerMetrics | None, agent: str) -> Iterator[None]:
    """Around the handling of one batch: an output the broker refuses for good stops the
    process (agents.emit.stop_process); a batch abandoned because the worker stops is left
    undone (its input position was not recorded, so the next owner applies it again)."""
    try:
        with timed(metrics, agent):
            yield
    except OutputRefused as exc:
        stop_process(exc)
    except SendAbandoned:
        log.warning("batch_abandoned_on_stop", agent=agent)
