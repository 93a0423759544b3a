"""The logical clock as a reader sees it: the newest ``clock_ticked`` on the validated topic.

Ticks are broadcast (one copy on every partition), so partition 0 holds every one of them;
the newest is found by reading that partition backwards from its end, a slice at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from aiokafka import TopicPartition

from contracts import unions
from contracts.events.clock import ClockTicked
from streams.codec import Codec, DecodeError
from streams.read_bounds import ReadBounds
from streams.topic_reader import TopicReader

SLICE = 2000  # messages read per step back


async def latest_tick(
    bootstrap_servers: str,
    topic: str,
    *,
    client_options: Mapping[str, Any] | None = None,
) -> dt.datetime | None:
    """The event time of the newest tick on ``topic`` (the validated topic); None if none."""
    tp = TopicPartition(topic, 0)
    reader = TopicReader(bootstrap_servers, client_options=client_options)
    codec = reader.codec(unions.CountyEvent)
    await reader.open([tp])
    try:
        begin = (await reader.beginning_offsets())[tp]
        high = (await reader.end_offsets())[tp]
        while high > begin:
            low = max(begin, high - SLICE)
            reader.seek({tp: low})
            newest = await _newest_tick(reader, codec, ReadBounds({tp: high}, {tp: low}))
            if newest is not None:
                return newest
            high = low
        return None
    finally:
        await reader.close()


async def _newest_tick(
    reader: TopicReader, codec: Codec[Any], bounds: ReadBounds[TopicPartition]
) -> dt.datetime | None:
    newest: dt.datetime | None = None
    async for _tp, messages in reader.read_to(bounds):
        for message in messages:
            value = message.value
            if value is None or b"clock_ticked" not in value:
                continue
            try:
                event = codec.decode(value).event
            except DecodeError:
                continue  # the gate wrote it; a newer schema would land here
            if isinstance(event, ClockTicked) and (newest is None or event.occurred_at > newest):
                newest = event.occurred_at
    return newest
