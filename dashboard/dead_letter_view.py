"""Refused messages (dead letters) for the region's operators: counts by reason, a paged list
and one record opened with the message it kept.

A refused message is attributed to no county (its signature did not prove one): the list
shows the county the message *claims*, read from its bytes when they are a JSON object, as
a claim. One record shows what the dead letter holds: its bytes as text (invalid UTF-8
replaced), in hexadecimal, their length and SHA-256; and, from the gate's dead-letter event
archived under the same id, the length and SHA-256 of the message as received (what is kept
may be cut, or have ID numbers masked) and how many ID numbers were masked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from typing import Any

from dashboard.json_values import jsonable
from dashboard.sql_args import Args

PAGE = 20
HEX_BYTES = 512  # of the bytes kept, shown in hexadecimal

BY_REASON = """
SELECT reason_code, detected_by, count(*) AS n FROM dead_letters
GROUP BY reason_code, detected_by ORDER BY n DESC, reason_code
"""
# Every column but the bytes, whatever columns the table has (as JSON), and the bytes; and
# what the gate's dead-letter event (archived with the same id) says of the message as
# received: its length, its SHA-256 (none when an ID number was masked), the numbers masked.
ONE = "SELECT to_jsonb(d) - 'raw' AS record, d.raw FROM dead_letters d WHERE d.event_id = $1"
RECEIVED = """
SELECT e.payload->'raw_length' AS raw_length, e.payload->>'raw_sha256' AS raw_sha256,
       e.payload->'ids_masked' AS ids_masked
FROM events e WHERE e.event_id = $1 AND e.event_type = 'dead_lettered'
"""


def claimed(raw: bytes) -> dict[str, str | None]:
    """What the message says of itself: its county, event type and publisher (unverified)."""
    out: dict[str, str | None] = {"county": None, "event_type": None, "publisher": None}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return out
    if isinstance(body, dict):
        for key, field in (
            ("county", "source_county"),
            ("event_type", "event_type"),
            ("publisher", "publisher_id"),
        ):
            value = body.get(field)
            out[key] = value[:64] if isinstance(value, str) else None
    return out


async def summary(conn: Any) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [jsonable(dict(r)) for r in await conn.fetch(BY_REASON)]
    return {"total": sum(r["n"] for r in rows), "by_reason": rows}


def list_sql(reason: str | None, limit: int, offset: int) -> tuple[str, str, list[Any], list[Any]]:
    args = Args()
    clause = "TRUE" if reason is None else "d.reason_code = " + args.add(reason)
    total_args = list(args.values)
    total = "SELECT count(*) FROM dead_letters d WHERE " + clause  # noqa: S608
    rows = (
        "SELECT d.event_id, d.reason_code, d.reason, d.source_topic, d.source_partition,"  # noqa: S608
        " d.source_offset, d.occurred_at, d.detected_by, d.raw"
        f" FROM dead_letters d WHERE {clause}"
        " ORDER BY d.occurred_at DESC, d.source_topic, d.source_partition, d.source_offset"
        f" LIMIT {args.add(limit)} OFFSET {args.add(offset)}"
    )
    return rows, total, args.values, total_args


async def page(conn: Any, reason: str | None, limit: int, offset: int) -> dict[str, Any]:
    rows_sql, total_sql, args, total_args = list_sql(reason, limit, offset)
    items = []
    for r in await conn.fetch(rows_sql, *args):
        raw = bytes(r["raw"])
        item = jsonable({k: r[k] for k in r.keys() if k != "raw"})  # noqa: SIM118 (a Record)
        item["kept_length"] = len(raw)
        item["claimed"] = claimed(raw)
        items.append(item)
    total = int(await conn.fetchval(total_sql, *total_args))
    return {"reason": reason, "total": total, "offset": offset, "limit": limit, "items": items}


async def one(conn: Any, event_id: uuid.UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(ONE, event_id)
    if row is None:
        return None
    record = row["record"]
    body: dict[str, Any] = json.loads(record) if isinstance(record, str) else dict(record)
    received = await conn.fetchrow(RECEIVED, event_id)
    if received is not None:
        for name in ("raw_length", "raw_sha256", "ids_masked"):
            value = received[name]
            if body.get(name) is None and value is not None:
                body[name] = json.loads(value) if name != "raw_sha256" else value
    raw = bytes(row["raw"])
    return {
        **body,
        "kept_length": len(raw),
        "kept_sha256": hashlib.sha256(raw).hexdigest(),
        "text": raw.decode("utf-8", "replace"),
        "hex": raw[:HEX_BYTES].hex(" "),
        "hex_cut": len(raw) > HEX_BYTES,
        "base64": base64.b64encode(raw).decode("ascii"),
        "claimed": claimed(raw),
    }
