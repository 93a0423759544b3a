"""Where an event goes on Kafka: which topic, with which key, to which partitions.

Person events are keyed by person key, so every event about a person lands on one partition
and the agents can keep that person's state there. Events every partition must see
(agreements, campaigns, clock ticks) are broadcast: one copy per partition, keyed by the
partition number, so each partition orders them against its own person events exactly as
the publisher sent them and a replay reproduces every decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.envelope import Envelope
from contracts.events.migration import PersonEvent
from contracts.events.registry import CountyRegistered, PublisherRegistered
from streams import topics

BROADCAST_TYPES = frozenset(
    {
        "agreement_signed",
        "agreement_amended",
        "agreement_revoked",
        "campaign_opened",
        "campaign_extended",
        "campaign_closed",
        "clock_ticked",
    }
)


@dataclass(frozen=True, slots=True)
class Destination:
    topic: topics.TopicSpec
    key: bytes | None  # None: broadcast, key is the partition number
    broadcast: bool


def destination(event: Envelope) -> Destination:
    if isinstance(event, CountyRegistered | PublisherRegistered):
        return Destination(topics.REGISTRY, event.county.encode(), broadcast=False)
    if event.event_type in BROADCAST_TYPES:
        return Destination(topics.COUNTY_EVENTS, None, broadcast=True)
    if isinstance(event, PersonEvent):
        return Destination(topics.COUNTY_EVENTS, event.person_key.encode(), broadcast=False)
    raise ValueError(f"{event.event_type} is not published by county nodes")


def broadcast_key(partition: int) -> bytes:
    return str(partition).encode()
