"""The gate's decision: is this message from a county node admissible? Pure, no I/O.

Order matters for the reasons given: first the bytes, then who signed, then what they may
say, then when. Whether an event is new is not the gate's question: it keeps no event ids
(they would grow for ever); the cases agent, which holds each person's case and the books,
tells repeats from reused ids there (contracts.event_ids).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from agents.registry import Publisher, Registry
from contracts.envelope import Envelope
from contracts.events import agreements, cooperation, migration
from contracts.events.clock import ClockTicked
from streams.codec import Codec, DecodeError


@dataclass(frozen=True, slots=True)
class Accepted:
    event: Envelope
    tick: dt.datetime | None  # a clock tick's instant, to advance the partition's clock


@dataclass(frozen=True, slots=True)
class Rejected:
    code: str
    reason: str


Decision = Accepted | Rejected


@dataclass(frozen=True, slots=True)
class GateLimits:
    max_clock_skew: dt.timedelta = dt.timedelta(days=2)


def decide(
    value: bytes | None,
    *,
    codec: Codec[Any],
    registry: Registry,
    last_tick: dt.datetime | None,
    limits: GateLimits,
) -> Decision:
    if value is not None and not value:
        # Zero bytes is as empty as a tombstone; the codec would call it malformed JSON.
        return Rejected("empty_message", "the message has no value (0 bytes)")
    try:
        decoded = codec.decode(value)
    except DecodeError as exc:
        return Rejected(exc.code, exc.reason)
    event, raw = decoded.event, decoded.raw
    refusal = _check_instants(event, raw)
    if refusal is not None:
        return refusal
    refusal = _check_signer(event, raw, registry, last_tick)
    if refusal is not None:
        return refusal
    refusal = _check_time(event, last_tick, limits)
    if refusal is not None:
        return refusal
    tick = event.occurred_at if isinstance(event, ClockTicked) else None
    return Accepted(event, tick)


# RFC 3339 as the JSON Schema's "date-time" promises (seconds optional, as pydantic reads it).
_ISO_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})"
)


def _check_instants(event: Envelope, raw: dict[str, Any]) -> Rejected | None:
    """Instants must arrive as ISO 8601 strings. ``contracts.types.Instant`` is lax, so the
    codec also reads a JSON number or a digit string as Unix time: admitted, such bytes
    would reach the validated topic in a shape its published schema forbids."""
    for name, parsed in event:
        if isinstance(parsed, dt.datetime):
            sent = raw.get(name)
            if not isinstance(sent, str) or not _ISO_INSTANT.fullmatch(sent):
                return Rejected(
                    "invalid_fields",
                    f"{name}: an instant must be an ISO 8601 string with an offset",
                )
    return None


def _check_signer(
    event: Envelope, raw: dict[str, Any], registry: Registry, clock: dt.datetime | None
) -> Rejected | None:
    if event.signature is None:
        return Rejected("missing_signature", "the event is not signed")
    publisher = registry.publisher(event.publisher_id)
    if publisher is None:
        return Rejected("unknown_publisher", f"publisher {event.publisher_id} is not registered")
    if publisher.county != event.source_county:
        return Rejected(
            "county_mismatch",
            f"the key of {publisher.publisher_id} cannot publish as county {event.source_county}",
        )
    problem = publisher.signature_problem(raw, recorded_at=event.recorded_at, clock=clock)
    if problem is not None:
        return Rejected(*problem)
    if event.event_type not in publisher.event_types:
        return Rejected(
            "out_of_scope", f"{publisher.publisher_id} may not publish {event.event_type}"
        )
    reason = _party_problem(event, publisher)
    return Rejected("not_a_party", reason) if reason else None


def _party_problem(event: Envelope, publisher: Publisher) -> str | None:
    """The publisher's county must be the party that acts in this kind of event."""
    acting = publisher.county
    if isinstance(event, migration.InflowRegistered):
        by_office = (
            publisher.stationed_in == event.destination_county and event.origin_county == acting
        )
        return (
            None
            if acting == event.destination_county or by_office
            else (
                f"{publisher.publisher_id} cannot register arrivals in {event.destination_county}"
            )
        )
    expected: str | None = None
    if isinstance(event, migration.OutflowRegistered | migration.OriginAnswered):
        expected = event.origin_county
    elif isinstance(event, migration.ArrivalNotFound):
        expected = event.destination_county
    elif isinstance(event, migration.MovedOn | migration.ReturnedHome):
        expected = event.from_county
    elif isinstance(event, migration.CaseTakenOver):
        expected = event.by_county
    elif isinstance(event, agreements.AgreementSigned):
        if publisher.role != "region" and acting not in (
            event.origin_county,
            event.destination_county,
        ):
            return f"{acting} is not a party to agreement {event.agreement_id}"
    elif isinstance(
        event,
        cooperation.InquirySent | cooperation.InquiryAnswered | cooperation.ReceiptAcknowledged,
    ):
        if event.to_county == acting:
            return f"{acting} cannot address its own county"
    elif isinstance(event, cooperation.ServiceRecorded) and event.origin_county == acting:
        return "a service is recorded by the destination, not the origin"
    if expected is not None and expected != acting:
        return f"{event.event_type} must come from {expected}, not {acting}"
    return None


def _check_time(
    event: Envelope, last_tick: dt.datetime | None, limits: GateLimits
) -> Rejected | None:
    if last_tick is None:
        return None
    if isinstance(event, ClockTicked):
        if event.occurred_at < last_tick:
            return Rejected(
                "clock_regression",
                f"tick {event.occurred_at.isoformat()} is before {last_tick.isoformat()}",
            )
        return None
    if event.occurred_at > last_tick + limits.max_clock_skew:
        return Rejected(
            "clock_skew",
            f"occurred_at {event.occurred_at.isoformat()} is more than {limits.max_clock_skew} "
            f"past the logical clock ({last_tick.isoformat()})",
        )
    return None
