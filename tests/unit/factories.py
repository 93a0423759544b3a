"""Hand-built, signed events for unit tests: no CountyNode, no producer, no I/O."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.envelope import Envelope
from contracts.events.clock import ClockTicked
from contracts.events.migration import InflowRegistered, OutflowRegistered
from contracts.events.registry import CountyRegistered, PublisherRegistered
from streams import codec, signing

E = TypeVar("E", bound=Envelope)

REGION = "610900"  # 安康市, acting as the region
COUNTY_A = "610902"  # 汉滨区
COUNTY_B = "610981"  # 旬阳市
COUNTY_C = "610921"  # 汉阴县
T0 = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)
PERSON = "ab" * 32


def node_id(county: str) -> str:
    return f"{county}/node"


def region_id(region: str = REGION) -> str:
    return f"{region}/region"


def unsigned(
    cls: type[E],
    *,
    source_county: str,
    publisher_id: str,
    occurred_at: dt.datetime = T0,
    event_id: uuid.UUID | None = None,
    **fields: Any,
) -> E:
    """A validated event at its class's current version, without a signature."""
    event_id = event_id or uuid.uuid4()
    return cls.model_validate(
        {
            "event_id": event_id,
            "schema_version": cls.SCHEMA_VERSION,
            "occurred_at": occurred_at,
            "recorded_at": occurred_at,
            "source_county": source_county,
            "publisher_id": publisher_id,
            "correlation_id": event_id,
            **fields,
        }
    )


def signed(key: Ed25519PrivateKey, event: E) -> E:
    """The event with the signature ``key`` makes over its canonical JSON."""
    signature = signing.sign(key, event.model_dump(mode="json"))
    return event.model_copy(update={"signature": signature})


def to_bytes(event: Envelope) -> bytes:
    return codec.encode(event)


def tampered(data: bytes, **changes: Any) -> bytes:
    """The same message with some fields changed after signing (the signature kept)."""
    obj = json.loads(data)
    obj.update(changes)
    return json.dumps(obj).encode()


def outflow(
    key: Ed25519PrivateKey,
    *,
    origin: str = COUNTY_A,
    destination: str = COUNTY_B,
    source_county: str | None = None,
    publisher_id: str | None = None,
    occurred_at: dt.datetime = T0,
    event_id: uuid.UUID | None = None,
    person_key: str = PERSON,
) -> OutflowRegistered:
    source = source_county or origin
    event = unsigned(
        OutflowRegistered,
        source_county=source,
        publisher_id=publisher_id or node_id(source),
        occurred_at=occurred_at,
        event_id=event_id,
        person_key=person_key,
        origin_county=origin,
        destination_county=destination,
        reason="work",
    )
    return signed(key, event)


def inflow(
    key: Ed25519PrivateKey,
    *,
    origin: str = COUNTY_A,
    destination: str = COUNTY_B,
    source_county: str | None = None,
    publisher_id: str | None = None,
    occurred_at: dt.datetime = T0,
    person_key: str = PERSON,
) -> InflowRegistered:
    source = source_county or destination
    event = unsigned(
        InflowRegistered,
        source_county=source,
        publisher_id=publisher_id or node_id(source),
        occurred_at=occurred_at,
        person_key=person_key,
        origin_county=origin,
        destination_county=destination,
    )
    return signed(key, event)


def tick(region_key: Ed25519PrivateKey, at: dt.datetime, region: str = REGION) -> ClockTicked:
    event = unsigned(
        ClockTicked, source_county=region, publisher_id=region_id(region), occurred_at=at
    )
    return signed(region_key, event)


def county_registered(
    signer: Ed25519PrivateKey,
    county: str,
    node_key: Ed25519PrivateKey,
    *,
    name: str = "县",
    source_county: str = REGION,
    publisher_id: str | None = None,
) -> CountyRegistered:
    """The region admits ``county`` with ``node_key``; signed by ``signer``."""
    event = unsigned(
        CountyRegistered,
        source_county=source_county,
        publisher_id=publisher_id or region_id(source_county),
        county=county,
        name=name,
        public_key=signing.public_key_b64(node_key),
    )
    return signed(signer, event)


def publisher_registered(
    signer: Ed25519PrivateKey,
    county: str,
    publisher: str,
    publisher_key: Ed25519PrivateKey,
    *,
    role: str,
    event_types: tuple[str, ...],
    stationed_in: str | None = None,
    source_county: str | None = None,
    publisher_id: str | None = None,
) -> PublisherRegistered:
    """``county``'s node admits one of its publishers; signed by ``signer``."""
    source = source_county or county
    event = unsigned(
        PublisherRegistered,
        source_county=source,
        publisher_id=publisher_id or node_id(source),
        county=county,
        publisher=publisher,
        role=role,
        public_key=signing.public_key_b64(publisher_key),
        event_types=event_types,
        stationed_in=stationed_in,
    )
    return signed(signer, event)


def raw_of(event: Envelope) -> dict[str, Any]:
    """The JSON object a consumer parses from the event's bytes (what was signed)."""
    parsed: dict[str, Any] = json.loads(codec.encode(event))
    return parsed
