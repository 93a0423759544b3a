"""Consumer lag of the projector: Kafka's end offsets minus the positions it stored.

This is the only figure the dashboard asks Kafka for. Each probe opens a short-lived client
with a timeout, so a broker that is down or restarting makes lag "unavailable" for a while
and never blocks or breaks the other views (they read PostgreSQL only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from streams.topic_reader import TopicReader

log = structlog.get_logger(__name__)

Positions = Mapping[tuple[str, int], int]


def compute_lag(end: Positions, stored: Positions) -> dict[str, Any]:
    """Lag per topic and in total, over the partitions the projector holds positions for."""
    by_topic: dict[str, int] = {}
    for (topic, partition), next_offset in stored.items():
        behind = max(end.get((topic, partition), next_offset) - next_offset, 0)
        by_topic[topic] = by_topic.get(topic, 0) + behind
    return {"available": True, "total": sum(by_topic.values()), "by_topic": by_topic}


def unavailable(reason: str) -> dict[str, Any]:
    return {"available": False, "reason": reason, "total": None, "by_topic": {}}


class LagProbe:
    def __init__(self, bootstrap_servers: str | None, *, timeout_s: float = 3.0) -> None:
        self._bootstrap = bootstrap_servers
        self._timeout = timeout_s

    async def probe(self, stored: Positions) -> dict[str, Any]:
        if not self._bootstrap:
            return unavailable("kafka not configured")
        if not stored:
            return compute_lag({}, {})
        try:
            end = await self._end_offsets(list(stored))
        except (KafkaError, OSError, TimeoutError) as exc:
            log.info("dashboard_lag_unavailable", error=type(exc).__name__)
            return unavailable(f"kafka unreachable ({type(exc).__name__})")
        return compute_lag(end, stored)

    async def _end_offsets(self, partitions: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
        # Bounded by aiokafka's own request timeout (each connection, the metadata and the
        # offsets request), not by cancelling it from outside: a start cancelled while it
        # waits for the bootstrap metadata leaves that connection open, one leaked socket
        # per probe while the broker is slow.
        reader = TopicReader(
            self._bootstrap or "", request_timeout_ms=max(1, int(self._timeout * 1000))
        )
        try:
            await reader.open()
            found = await reader.end_offsets([TopicPartition(t, p) for t, p in partitions])
            return {(tp.topic, tp.partition): offset for tp, offset in found.items()}
        finally:
            await reader.close()
