"""What a dead letter keeps of a refused message: bounded, without ID numbers, printable.

The dead-letter topic keeps its records for ever, and a broker refuses any record larger
than its topic allows. A dead letter that copied the message whole would be larger than the
message (base64) and could be refused, and an agent that cannot write the record of a
refusal cannot move past it. So a dead letter keeps at most :data:`RAW_LIMIT` bytes, with
the length and SHA-256 of what was received; the whole message stays at its source topic,
partition and offset, which every dead letter names.

A county that sends a raw national ID number by mistake must not see it copied into a log
kept for ever: anything that looks like one (``contracts.identity.mask_national_ids``) is
masked, one ``*`` per character, in the bytes kept and in the reason, before the cut (so no
number is cut in half and left readable). No SHA-256 is kept of a message in which a number
was masked: for a short message it would give the number back to anyone trying them all.

Reasons quote what was sent (a field name, an event type), so they are made printable:
control, format and separator characters become ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN``
(PostgreSQL text refuses NUL; terminals and logs obey ESC and bidirectional overrides).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from contracts.events.derived import DeadLettered
from contracts.identity import mask_national_ids

RAW_LIMIT = 16 * 1024  # bytes of a refused message a dead letter keeps
REASON_LIMIT = 2000  # characters, as the contract allows
# Fixed forever: a dead letter's id is derived from the position of what it refused, so a
# re-delivery of that message writes the same record again.
NAMESPACE = uuid.UUID("6b1d5c2e-8f0a-4c1e-9a57-2f1f6f3f2a10")
# Categories escaped in reasons: control, format (bidirectional overrides), surrogates (not
# encodable), private use, unassigned, line and paragraph separators.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True, slots=True)
class Kept:
    """What a dead letter keeps of a message's bytes."""

    raw: bytes  # masked, then cut at RAW_LIMIT
    length: int  # of the bytes received
    sha256: str | None  # of the bytes received; None when a number was masked
    ids_masked: int


def keep(data: bytes | None) -> Kept:
    received = data or b""
    # surrogateescape: bytes that are not UTF-8 pass through unchanged.
    text, masked = mask_national_ids(received.decode("utf-8", "surrogateescape"))
    kept = text.encode("utf-8", "surrogateescape") if masked else received
    digest = None if masked else hashlib.sha256(received).hexdigest()
    return Kept(kept[:RAW_LIMIT], len(received), digest, masked)


def clean_reason(text: str) -> str:
    """``text`` with ID numbers masked and unprintable characters escaped, within the limit."""
    masked, _ = mask_national_ids(text)
    if any(unicodedata.category(c) in _UNPRINTABLE for c in masked):
        masked = "".join(_escape(c) for c in masked)
    return masked if len(masked) <= REASON_LIMIT else masked[: REASON_LIMIT - 1] + "…"


def _escape(char: str) -> str:
    if unicodedata.category(char) not in _UNPRINTABLE:
        return char
    point = ord(char)
    if point < 0x100:
        return f"\\x{point:02x}"
    return f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a refused message is: the full bytes stay there."""

    topic: str
    partition: int
    offset: int
    timestamp: dt.datetime  # the message's own (broker or producer) time


def source_of(message: Any) -> Source:
    """Where a consumed message is: a Faust message, or agents.input_position's stand-in
    for one (both give their timestamp in seconds)."""
    at = dt.datetime.fromtimestamp(message.timestamp, dt.UTC)
    return Source(message.topic, message.partition, message.offset, at)


def record(
    source: Source,
    value: bytes | None,
    code: str,
    reason: str,
    *,
    region_code: str,
    publisher_id: str,
) -> DeadLettered:
    """The dead letter of the message at ``source``; its id and times derive from it."""
    event_id = uuid.uuid5(NAMESPACE, f"{source.topic}/{source.partition}/{source.offset}")
    kept = keep(value)
    return DeadLettered(
        event_id=event_id,
        schema_version=1,
        occurred_at=source.timestamp,
        recorded_at=source.timestamp,
        source_county=region_code,
        publisher_id=publisher_id,
        correlation_id=event_id,
        reason_code=code,
        reason=clean_reason(reason),
        raw=base64.b64encode(kept.raw).decode(),
        source_topic=source.topic,
        source_partition=source.partition,
        source_offset=source.offset,
        raw_length=kept.length,
        raw_sha256=kept.sha256,
        ids_masked=kept.ids_masked,
    )
