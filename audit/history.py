"""A person's or a county's history with the causes of every decision, read from the
projection for ``liudong audit`` (the command and its tables: :mod:`entrypoints.audit_cmd`;
the reports the reads fill: :mod:`audit.history_reports`).

- ``audit person ID-OR-KEY [--as-of INSTANT]``: the person's events from the projector's
  archive (what counties reported and what the agents derived), as of the instant, each
  derived event with its causation chain (``causation_id`` -> the cause event -> its cause,
  up to :data:`MAX_CHAIN`), and the person's obligations as they stood at the instant.
  ID-OR-KEY is a 64-hex person key, any unique prefix of one (at least 8 hex characters;
  an ambiguous prefix is an error listing the keys it matches), or a raw national ID number
  that is hashed here with the region's person-key secret (the raw number is never stored
  or logged). A person the log does not know is an error (exit 1), as is an instant before
  their first event; an instant past the log's end says so.
- ``audit county CODE --period P``: the obligations the county is party to (responsible or
  counterpart) that were live at some moment of the period (opened before its end, not
  closed before its start), each with its lifecycle events and their causes. ``P`` is a
  :mod:`contracts.periods` period: a month (``2026-03``), a quarter (``2026-Q1``) or a year
  (``2026``), in UTC. A county party to nothing in the log, or a period that begins after
  the log's clock, is an error (exit 1); a period not yet over says when it ends.
- ``audit log [--limit N]``: the newest audit-log rows.

Times are shown in Beijing time (``--utc``: UTC), with the zone named; person keys in full.

Every read of personal data (both queries above: person keys are pseudonymous personal
data) writes one ``audit_log`` row in the same transaction as the read: who (the
``LIUDONG_OPERATOR`` environment variable, else the OS user), when (the database's clock),
what (command, person key or county and period, the as-of instant) and how many rows were
returned. Nothing is printed unless that row was committed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import json
import os
import re
import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from audit import obligation_view
from audit.history_reports import Cause, CountyObligation, CountyReport, Entry, PersonReport
from contracts import periods, unions
from contracts.identity import InvalidNationalId, person_key
from infra.projection import reads
from infra.projection.migrate import migrate
from infra.settings import Settings
from streams import topics
from streams.codec import Codec, DecodeError

EXIT_ERROR = 2
EXIT_NOTHING = 1
MAX_CHAIN = 8
MIN_PREFIX = 8
_KEY = re.compile(r"^[0-9a-fA-F]{64}$")
_PREFIX = re.compile(r"^[0-9a-fA-F]{8,63}$")
_ENVELOPE = frozenset(
    {
        "event_id",
        "event_type",
        "schema_version",
        "occurred_at",
        "recorded_at",
        "source_county",
        "publisher_id",
        "correlation_id",
        "causation_id",
        "signature",
        "person_key",
    }
)


# --- inputs ------------------------------------------------------------------------------------


def operator() -> str:
    """Who is reading: ``LIUDONG_OPERATOR``, else the OS user."""
    configured = os.environ.get("LIUDONG_OPERATOR", "").strip()
    if configured:
        return configured
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid
        return f"uid:{os.getuid()}"


@dataclass(frozen=True, slots=True)
class Subject:
    """Who ``audit person`` was asked about: a full key, or a prefix still to look up."""

    key: str | None = None
    prefix: str | None = None


def resolve_person(subject: str, secret: bytes | None) -> Subject:
    """A person key, a key prefix (8 to 63 hex characters) or a raw national ID (hashed
    here); raises ValueError (one line) if it is none of these."""
    text = subject.strip()
    if _KEY.match(text):
        return Subject(key=text.lower())
    if _PREFIX.match(text) and not _looks_like_id(text):
        return Subject(prefix=text.lower())
    if secret is None:
        raise ValueError(
            "no person-key secret (LIUDONG_PERSON_KEY_SECRET or the keys dir): "
            "give the person key (or a unique prefix of at least 8 hex characters) instead"
        )
    try:
        return Subject(key=person_key(text, secret))
    except InvalidNationalId as exc:
        raise ValueError(
            f"neither a person key (or a prefix of at least {MIN_PREFIX} hex characters) "
            f"nor a valid ID number: {exc}"
        ) from None


def _looks_like_id(text: str) -> bool:
    # An 18-character ID number is all digits (or ends in X); as hex it would be a prefix.
    return len(text) == 18 and text[:17].isdigit()


def parse_period(text: str) -> tuple[dt.datetime, dt.datetime]:
    """A :mod:`contracts.periods` period -> [start, end) in UTC; PeriodError otherwise."""
    period = periods.parse(text)
    return period.start, period.end


class NotInLog(LookupError):
    """What was asked for is not in the log; the message is one line (exit 1)."""


async def person_by_prefix(conn: Any, prefix: str, who: str) -> str:
    """The one person key starting with ``prefix``; NotInLog if none or several (listed).

    The lookup is itself a read of personal data (it may list keys), so it is audited.
    """
    read = reads.AuditedRead(who, "audit person (prefix)", "person", prefix)
    async with reads.audited(conn, read):
        keys = await reads.person_keys_like(conn, prefix, limit=11)
        read.rows = len(keys)
    if not keys:
        raise NotInLog(f"no person in the log has a key starting {prefix}")
    if len(keys) > 1:
        more = " ..." if len(keys) > 10 else ""
        raise NotInLog(
            f"{prefix} is ambiguous: it starts {len(keys[:10])}{'+' if more else ''} person keys: "
            + ", ".join(keys[:10])
            + more
        )
    return str(keys[0])


# --- the audited reads ---------------------------------------------------------------------------


async def read_person(
    conn: Any,
    key: str,
    *,
    as_of: dt.datetime | None,
    prefix: str,
    who: str,
    command: str = "audit person",
) -> PersonReport:
    read = reads.AuditedRead(who, command, "person", key, as_of=as_of)
    validated = topics.VALIDATED.full_name(prefix)
    async with reads.audited(conn, read):
        records = await reads.person_timeline(conn, key, as_of, validated)
        timeline = await _entries(conn, records, validated)
        read.rows = len(records)
    report = PersonReport(key, as_of, timeline, _obligations_of(records), read)
    return report


async def read_county(
    conn: Any, county: str, *, period: str, prefix: str, who: str, command: str = "audit county"
) -> CountyReport:
    start, end = parse_period(period)
    read = reads.AuditedRead(who, command, "county", county, period=period)
    validated = topics.VALIDATED.full_name(prefix)
    async with reads.audited(conn, read):
        rows = await reads.county_obligations(conn, county, start, end)
        ids = [r["obligation_id"] for r in rows]
        events = await reads.obligation_events(conn, ids)
        entries = await _entries(conn, events, validated)
        read.rows = len(rows)
    by_obligation: dict[str, list[Entry]] = {}
    for entry in entries:
        by_obligation.setdefault(str(entry.fields.get("obligation_id")), []).append(entry)
    report = CountyReport(county, period, start, end, read=read)
    report.obligations = [
        CountyObligation(dict(r), tuple(by_obligation.get(r["obligation_id"], []))) for r in rows
    ]
    return report


async def _entries(conn: Any, records: Sequence[Any], validated: str) -> list[Entry]:
    """The records as entries, each with its causation chain read from the archive."""
    known: dict[uuid.UUID, Any] = {r["event_id"]: r for r in records}
    wanted = {r["causation_id"] for r in records if r["causation_id"] is not None}
    for _ in range(MAX_CHAIN):
        missing = [i for i in wanted if i not in known]
        if not missing:
            break
        found = await reads.events_by_id(conn, missing)
        for r in found:
            known[r["event_id"]] = r
        unknown = set(missing) - {r["event_id"] for r in found}
        for i in unknown:
            known[i] = None  # not in the archive: the chain stops there
        wanted = {r["causation_id"] for r in found if r["causation_id"] is not None}
    return [_entry(r, known, validated) for r in records]


def _entry(record: Any, known: dict[uuid.UUID, Any], validated: str) -> Entry:
    payload = reads.payload(record)
    chain: list[Cause] = []
    cause_id = record["causation_id"]
    seen: set[uuid.UUID] = {record["event_id"]}
    while cause_id is not None and cause_id not in seen and len(chain) < MAX_CHAIN:
        seen.add(cause_id)
        cause = known.get(cause_id)
        if cause is None:
            chain.append(Cause(str(cause_id), "(not in the archive)", None, None))
            break
        chain.append(
            Cause(str(cause_id), cause["event_type"], cause["occurred_at"], cause["publisher_id"])
        )
        cause_id = cause["causation_id"]
    return Entry(
        event_id=str(record["event_id"]),
        event_type=record["event_type"],
        derived=record["topic"] != validated,
        occurred_at=record["occurred_at"],
        source_county=record["source_county"],
        publisher_id=record["publisher_id"],
        fields={k: v for k, v in payload.items() if k not in _ENVELOPE},
        causes=tuple(chain),
    )


_OBLIGATION_CODEC: Codec[Any] = Codec(unions.ObligationEvent, max_bytes=topics.READ_LIMIT_BYTES)


def _obligations_of(records: Iterable[Any]) -> list[obligation_view.ObligationRow]:
    """The person's obligations folded from their lifecycle events (as of the instant)."""
    events = []
    for r in records:
        if not str(r["event_type"]).startswith("obligation_"):
            continue
        try:
            events.append(_OBLIGATION_CODEC.decode(json.dumps(reads.payload(r)).encode()).event)
        except DecodeError:
            continue  # the archive holds only decoded events; a newer schema would land here
    rows = obligation_view.fold(events).values()
    return sorted(rows, key=lambda r: (r.opened_at, r.obligation_id))


async def audit_rows(conn: Any, limit: int) -> list[dict[str, Any]]:
    return [dict(r) for r in await reads.audit_log(conn, limit)]


def log_read(settings: Settings, read: reads.AuditedRead) -> reads.AuditedRead | None:
    """Record a read made elsewhere (a replay's county snapshot) in the audit log, with its
    ``rows``; the read as recorded, or None (with one ``error:`` line) when it could not be:
    the caller then shows nothing."""

    async def go(conn: Any) -> reads.AuditedRead:
        async with reads.audited(conn, read):
            pass
        return read

    done: reads.AuditedRead | None = run_on_projection(settings, go)
    return done


def run_on_projection(settings: Settings, work: Any) -> Any:
    """Connect (migrating, so the audit log exists), run ``work(conn)``; None on failure."""
    from infra.postgres import resolve_dsn

    async def go() -> Any:
        conn = await asyncpg.connect(resolve_dsn(settings))
        try:
            await migrate(conn)
            return await work(conn)
        finally:
            await conn.close()

    try:
        return asyncio.run(go())
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"error: the projection database: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None
