"""The logical clock as a reader sees it: the newest ``clock_ticked`` on the validated topic.

Ticks are broadcast (one copy on every partition), so partition 0 holds every one of them;
the newest is found by reading that partition backwards from its end, a slice at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts import unions
from contracts.events.clock import ClockTicked
from streams import topics
from streams.codec import Codec, DecodeError

SLICE = 2000  # messages read per step back


async def latest_tick(
    bootstrap_servers: str,
    topic: str,
    *,
    client_options: Mapping[str, Any] | None = None,
) -> dt.datetime | None:
    """The event time of the newest tick on ``topic`` (the validated topic); None if none."""
    codec: Codec[Any] = Codec(unions.CountyEvent, max_bytes=topics.READ_LIMIT_BYTES)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        **dict(client_options or {}),
    )
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        begin = (await consumer.beginning_offsets([tp]))[tp]
        high = (await consumer.end_offsets([tp]))[tp]
        while high > begin:
            low = max(begin, high - SLICE)
            consumer.seek(tp, low)
            newest: dt.datetime | None = None
            while await consumer.position(tp) < high:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                for message in batch.get(tp, []):
                    value = message.value
                    if message.offset >= high or value is None or b"clock_ticked" not in value:
                        continue
                    try:
                        event = codec.decode(value).event
                    except DecodeError:
                        continue  # the gate wrote it; a newer schema would land here
                    if isinstance(event, ClockTicked) and (
                        newest is None or event.occurred_at > newest
                    ):
                        newest = event.occurred_at
            if newest is not None:
                return newest
            high = low
        return None
    finally:
        await consumer.stop()
