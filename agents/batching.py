"""How the gate and the cases agent take their input: per partition, in batches, in order.

Faust hands over up to ``BATCH_MAX`` events (or what arrived within ``BATCH_WINDOW_S``);
they are grouped by partition, checked against the agent's recorded input position (gaps
filled, repeats dropped: agents.input_position) and yielded one partition at a time. Faust
acknowledges the batch only when the loop asks for the next one, that is after the agent
made every partition's outputs and state durable (agents.emit).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import faust
from mode.types.signals import BaseSignalT

from agents.emit import BATCH_MAX, BATCH_WINDOW_S
from agents.input_position import InputPositions
from streams.worker_metrics import WorkerMetrics


async def partition_batches(
    app: faust.App,
    stream: faust.StreamT[bytes],
    positions: InputPositions,
    metrics: WorkerMetrics | None,
) -> AsyncIterator[tuple[int, list[Any]]]:
    # StreamT's stubs lack take_events; the stream Faust hands an agent is a Stream.
    batches = cast(faust.Stream[bytes], stream).take_events(BATCH_MAX, within=BATCH_WINDOW_S)
    async for taken in batches:
        by_partition: dict[int, list[faust.EventT[bytes]]] = {}
        for event in taken:
            by_partition.setdefault(event.message.partition, []).append(event)
            if metrics is not None:
                metrics.received(app, event.message)
        for partition, events in by_partition.items():
            kept = await positions.in_order(events, partition)
            if kept:
                yield partition, kept


def on_revoked(app: faust.App, topic: str, *forget: Callable[[list[int]], None]) -> None:
    """Call each ``forget`` with the partitions of ``topic`` this worker loses in a rebalance."""

    async def revoked(sender: Any, /, *args: Any, signal: BaseSignalT[Any], **kwargs: Any) -> None:
        tps = args[0] if args else kwargs.get("revoked", set())
        mine = [tp.partition for tp in tps if tp.topic == topic]
        for f in forget:
            f(mine)

    app.on_partitions_revoked.connect(revoked)


def timed(metrics: WorkerMetrics | None, agent: str) -> contextlib.AbstractContextManager[None]:
    return metrics.timing(agent) if metrics is not None else contextlib.nullcontext()
