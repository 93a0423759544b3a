"""Where an event goes on Kafka: which topic, with which key, to which partitions.

Person events are keyed by person key, and every event about a person lands on the partition
:func:`person_partition` names, so the agents can keep that person's state there. The gate
places each admitted person event on that partition of the validated topic whatever partition
it arrived on: a client's partitioner (murmur2, CRC32, random, a null key) cannot split a case.
Events every partition must see (agreements, campaigns, clock ticks) are broadcast: one copy
per partition, keyed by the partition number, and the gate forwards each copy to the same
partition number, so each partition orders them against its own person events and a replay
reproduces every decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.envelope import Envelope
from contracts.events.migration import PersonEvent
from contracts.events.registry import RegistryChange
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
    if isinstance(event, RegistryChange):
        return Destination(topics.REGISTRY, event.county.encode(), broadcast=False)
    if event.event_type in BROADCAST_TYPES:
        return Destination(topics.COUNTY_EVENTS, None, broadcast=True)
    if isinstance(event, PersonEvent):
        return Destination(topics.COUNTY_EVENTS, event.person_key.encode(), broadcast=False)
    raise ValueError(f"{event.event_type} is not published by county nodes")


def person_partition(person_key: str, partitions: int) -> int:
    """The partition of a person's events: the person key's first 8 hex digits, read as an
    unsigned 32-bit integer, modulo the partition count.

    The person key is already a uniform hash (HMAC-SHA256), so no second hash is needed, and
    the rule is one line in any language. Clients may use it to choose the partition on
    county-events; the gate applies it to every person event it admits, so they need not.
    """
    if partitions < 1:
        raise ValueError(f"a topic has at least one partition, not {partitions}")
    return int(person_key[:8], 16) % partitions


def broadcast_key(partition: int) -> bytes:
    return str(partition).encode()


def placement(event: Envelope, arrived_on: int, partitions: int) -> tuple[int, bytes]:
    """Where the gate puts an admitted county event on the validated topic, and its key.

    A person event goes to its person's partition, keyed by the person key, whatever
    partition and key it arrived with; a broadcast copy stays on the partition number it
    arrived on (the validated topic has as many partitions as county-events), keyed by it.
    """
    if isinstance(event, PersonEvent):
        return person_partition(event.person_key, partitions), event.person_key.encode()
    return arrived_on, broadcast_key(arrived_on)
