"""The envelope every event the agents derive carries, whatever rule derives it."""

from __future__ import annotations

from typing import Any

from contracts.envelope import Envelope
from contracts.publishers import agents_id


def envelope_of(cause: Envelope, region: str) -> dict[str, Any]:
    """The fields a derived event takes from its cause: event time (never the wall clock, so
    a replay derives the same bytes), the region's agents as publisher, the cause's
    correlation, and the cause itself as causation. The event id and fields are the rule's."""
    return {
        "occurred_at": cause.occurred_at,
        "recorded_at": cause.occurred_at,
        "source_county": region,
        "publisher_id": agents_id(region),
        "correlation_id": cause.correlation_id,
        "causation_id": cause.event_id,
    }
