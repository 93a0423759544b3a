"""Reading the log a bulletin is computed from, up to stated positions (the I/O side).

A plain hand-assigned consumer (no group, ``read_committed``), like the assessment service's:
each partition of the obligations, alerts and validated topics is read from its beginning up
to its position and not one record further, so the same positions always give the same
records. Without positions, the end offsets seen at the start are the positions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiokafka import TopicPartition

from streams.bulletin.log_fold import LogFold
from streams.bulletin.positions import TOPICS, Positions
from streams.topic_reader import assigned_consumer, wait_for_partitions

POLL_MS = 500
MAX_RECORDS = 5000


class LogError(LookupError):
    """The log cannot give what was asked (missing topics, fewer records); one line."""


def topic_name(prefix: str, topic: str) -> str:
    return f"{prefix}.{topic}"


async def read(
    bootstrap: str,
    prefix: str,
    positions: Positions | None = None,
    *,
    client_options: Mapping[str, Any] | None = None,
    wait_s: float = 5.0,
) -> LogFold:
    """The log folded up to ``positions`` (default: the end offsets now)."""
    names = {topic_name(prefix, t): t for t in TOPICS}
    try:
        partitions = await wait_for_partitions(
            bootstrap, list(names), wait_s=wait_s, client_options=client_options
        )
    except TimeoutError:
        raise LogError(f"the topics {', '.join(sorted(names))} do not all exist") from None
    consumer = await assigned_consumer(bootstrap, partitions, client_options)
    try:
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        targets = _targets(names, partitions, ends, positions)
        await consumer.seek_to_beginning(*partitions)
        fold = LogFold()
        for tp in targets:  # every partition is stated, an empty one too
            fold.read_up_to(names[tp.topic], tp.partition, 0)
        remaining = {tp for tp, end in targets.items() if end > 0}
        while remaining:
            batches = await consumer.getmany(
                *remaining, timeout_ms=POLL_MS, max_records=MAX_RECORDS
            )
            for tp, messages in sorted(batches.items()):
                end = targets[tp]
                for message in messages:
                    if message.offset < end:
                        fold.absorb(names[tp.topic], tp.partition, message.offset, message.value)
            for tp in list(remaining):
                if await consumer.position(tp) >= targets[tp]:
                    fold.read_up_to(names[tp.topic], tp.partition, targets[tp])
                    remaining.discard(tp)
        return fold
    finally:
        await consumer.stop()


def _targets(
    names: dict[str, str],
    partitions: list[TopicPartition],
    ends: Mapping[TopicPartition, int],
    positions: Positions | None,
) -> dict[TopicPartition, int]:
    if positions is None:
        return {tp: ends[tp] for tp in partitions}
    out: dict[TopicPartition, int] = {}
    for full, topic in names.items():
        mine = sorted(tp for tp in partitions if tp.topic == full)
        wanted = positions[topic]
        if len(wanted) != len(mine):
            raise LogError(f"{full} has {len(mine)} partition(s), the positions name {len(wanted)}")
        for tp, offset in zip(mine, wanted, strict=True):
            if offset > ends[tp]:
                raise LogError(
                    f"{full} partition {tp.partition} holds records up to offset {ends[tp]}, "
                    f"not {offset}: this is not the log the positions were taken from"
                )
            out[tp] = offset
    return out
