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

from contracts import obligation_vocabulary as vocabulary

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

# Where the log is: its first and last event, and the logical clock (the newest tick).
LOG_SPAN = """
SELECT min(occurred_at) AS first, max(occurred_at) AS last,
       (SELECT max(occurred_at) FROM events WHERE event_type = 'clock_ticked') AS clock
FROM events
"""

PERSON_KEYS_LIKE = """
SELECT person_key FROM persons WHERE starts_with(person_key, $1) ORDER BY person_key LIMIT $2
"""

PERSON_FIRST_SEEN = "SELECT first_seen FROM persons WHERE person_key = $1"

COUNTY_IS_PARTY = """
SELECT EXISTS (SELECT 1 FROM obligations WHERE responsible_county = $1 OR counterpart_county = $1)
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


def obligation_counts_sql(where: str = "TRUE", *, group_by: str | None = None) -> str:
    """Every count of the vocabulary over the obligations (alias ``o``) that ``where`` admits,
    one column per count (``$1``: the due-soon horizon, ``vocabulary.horizon(clock)``).

    ``where`` is a boolean fragment of constants and ``$n`` placeholders from ``$2`` on;
    ``group_by`` one of the table's columns, selected first as ``grouped``.
    """
    columns = [
        "count(*) FILTER (WHERE " + vocabulary.sql(c.name, horizon_arg=1) + ") AS " + c.name
        for c in vocabulary.COUNTS
    ]
    if group_by is None:
        return "SELECT " + ", ".join(columns) + " FROM obligations o WHERE " + where  # noqa: S608
    if group_by not in _GROUPS:
        raise ValueError(f"cannot group obligations by {group_by!r}")
    head = "SELECT o." + group_by + " AS grouped, " + ", ".join(columns)
    return head + " FROM obligations o WHERE " + where + " GROUP BY 1 ORDER BY 1"


_GROUPS = frozenset({"kind", "responsible_county"})


async def obligation_counts(
    conn: Any, clock: dt.datetime | None, where: str = "TRUE", args: Sequence[Any] = ()
) -> dict[str, int]:
    """The vocabulary's counts in the projection (``where`` as in :func:`obligation_counts_sql`)."""
    row = await conn.fetchrow(obligation_counts_sql(where), vocabulary.horizon(clock), *args)
    return {c.name: int(row[c.name]) for c in vocabulary.COUNTS}


@dataclass(frozen=True, slots=True)
class LogSpan:
    first: dt.datetime | None
    last: dt.datetime | None
    clock: dt.datetime | None  # the logical clock: the newest tick (else the last event)


async def log_span(conn: Any) -> LogSpan:
    row = await conn.fetchrow(LOG_SPAN)
    return LogSpan(row["first"], row["last"], row["clock"] or row["last"])


async def person_keys_like(conn: Any, prefix: str, *, limit: int) -> list[str]:
    return [r["person_key"] for r in await conn.fetch(PERSON_KEYS_LIKE, prefix, limit)]


async def person_span(conn: Any, person_key: str) -> dt.datetime | None:
    """When the person was first seen, or None if the log does not know them."""
    first: dt.datetime | None = await conn.fetchval(PERSON_FIRST_SEEN, person_key)
    return first


async def county_is_party(conn: Any, county: str) -> bool:
    return bool(await conn.fetchval(COUNTY_IS_PARTY, county))


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
