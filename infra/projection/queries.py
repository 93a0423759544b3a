"""Reads of the projection for replay verification and audits, and the audit log's writes.

Every statement takes its values as ``$n`` parameters (asyncpg is untyped, hence ``Any``
for connections and records). The audit reads run inside :func:`audited`, which records
who read what in ``audit_log`` in the same transaction as the read: a read whose audit row
cannot be written returns nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

OBLIGATION_ROWS = """
SELECT obligation_id, kind, person_key, responsible_county, counterpart_county, opened_at,
       due_at, state, reminded_at, breached_at, escalated_at, late
FROM obligations ORDER BY obligation_id
"""

OFFSETS = "SELECT partition, next_offset FROM projection_offsets WHERE topic = $1"

# Derived events have the occurred_at of their cause: the validated topic sorts first, so a
# cause is listed before what it derived at the same instant.
PERSON_TIMELINE = """
SELECT event_id, topic, partition, "offset", event_type, occurred_at, source_county, publisher_id,
       correlation_id, causation_id, person_key, payload
FROM events
WHERE person_key = $1 AND ($2::timestamptz IS NULL OR occurred_at <= $2)
ORDER BY occurred_at, (topic = $3) DESC, topic, partition, "offset"
"""

EVENTS_BY_ID = """
SELECT event_id, topic, partition, "offset", event_type, occurred_at, source_county, publisher_id,
       correlation_id, causation_id, person_key, payload
FROM events WHERE event_id = ANY($1::uuid[])
"""

OBLIGATION_EVENTS = """
SELECT event_id, topic, partition, "offset", event_type, occurred_at, source_county, publisher_id,
       correlation_id, causation_id, person_key, payload
FROM events
WHERE payload->>'obligation_id' = ANY($1::text[]) AND event_type LIKE 'obligation\\_%'
ORDER BY occurred_at, topic, partition, "offset"
"""

# Obligations the county is party to that were live at some moment of [start, end): opened
# before the end and not closed (fulfilled or cancelled) before the start.
COUNTY_OBLIGATIONS = """
SELECT * FROM obligations
WHERE (responsible_county = $1 OR counterpart_county = $1)
  AND opened_at < $3
  AND COALESCE(fulfilled_at, cancelled_at, 'infinity'::timestamptz) >= $2
ORDER BY due_at, obligation_id
"""

AUDIT_INSERT = """
INSERT INTO audit_log (read_id, operator, command, subject_kind, subject, period, as_of,
                       rows_returned)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING read_at
"""

AUDIT_LOG = """
SELECT read_id, read_at, operator, command, subject_kind, subject, period, as_of, rows_returned
FROM audit_log ORDER BY read_at DESC, seq DESC LIMIT $1
"""


async def obligation_rows(conn: Any) -> list[Any]:
    return list(await conn.fetch(OBLIGATION_ROWS))


async def projected_offsets(conn: Any, topic: str) -> dict[int, int]:
    """The projector's next offset per partition of ``topic`` (absent: nothing projected)."""
    return {int(r["partition"]): int(r["next_offset"]) for r in await conn.fetch(OFFSETS, topic)}


async def person_timeline(
    conn: Any, person_key: str, as_of: dt.datetime | None, validated_topic: str
) -> list[Any]:
    return list(await conn.fetch(PERSON_TIMELINE, person_key, as_of, validated_topic))


async def events_by_id(conn: Any, ids: Sequence[uuid.UUID]) -> list[Any]:
    if not ids:
        return []
    return list(await conn.fetch(EVENTS_BY_ID, list(ids)))


async def obligation_events(conn: Any, obligation_ids: Sequence[str]) -> list[Any]:
    if not obligation_ids:
        return []
    return list(await conn.fetch(OBLIGATION_EVENTS, list(obligation_ids)))


async def county_obligations(
    conn: Any, county: str, start: dt.datetime, end: dt.datetime
) -> list[Any]:
    return list(await conn.fetch(COUNTY_OBLIGATIONS, county, start, end))


async def audit_log(conn: Any, limit: int) -> list[Any]:
    return list(await conn.fetch(AUDIT_LOG, limit))


@dataclass
class AuditedRead:
    """What one audited read is about; ``rows`` is set by the reader before it returns."""

    operator: str
    command: str
    subject_kind: str  # "person" or "county"
    subject: str  # a person key (never a raw ID number) or a county code
    period: str | None = None
    as_of: dt.datetime | None = None
    rows: int = 0
    read_id: uuid.UUID = field(default_factory=uuid.uuid4)
    read_at: dt.datetime | None = None


@asynccontextmanager
async def audited(conn: Any, read: AuditedRead) -> AsyncIterator[AuditedRead]:
    """One transaction: the caller's reads, then their ``audit_log`` row (with ``read.rows``).

    Repeatable-read isolation, so the rows counted are the rows read.
    """
    async with conn.transaction(isolation="repeatable_read"):
        yield read
        read.read_at = await conn.fetchval(
            AUDIT_INSERT,
            read.read_id,
            read.operator,
            read.command,
            read.subject_kind,
            read.subject,
            read.period,
            read.as_of,
            read.rows,
        )


def payload(record: Any) -> dict[str, Any]:
    """A record's jsonb payload as a dict (asyncpg hands jsonb back as text)."""
    value = record["payload"]
    parsed: dict[str, Any] = json.loads(value) if isinstance(value, str) else dict(value)
    return parsed
