"""The projector's dead-letter rows: whatever a record holds, PostgreSQL can store it."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

from contracts.events.derived import DeadLettered
from infra.projection import rows
from streams.dead_letters import RAW_LIMIT

AT = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
RAW_ID = "11010519491231002X"


def letter(reason: str) -> DeadLettered:
    return DeadLettered(
        event_id=uuid.uuid4(),
        schema_version=1,
        occurred_at=AT,
        recorded_at=AT,
        source_county="610900",
        publisher_id="610900/gate",
        correlation_id=uuid.uuid4(),
        reason_code="invalid_fields",
        reason=reason,
        raw=base64.b64encode(b"{}").decode(),
        source_topic="liudong.county-events",
        source_partition=0,
        source_offset=7,
    )


def test_a_reason_with_nul_is_stored_escaped() -> None:
    [statement] = rows.changes(letter("a\x00b: Extra inputs are not permitted"))
    assert statement.args[2] == "a\\x00b: Extra inputs are not permitted"


def test_an_archived_record_with_nul_has_no_json_nul_escape() -> None:
    record = letter("a\x00b")
    raw = json.loads(record.model_dump_json())
    payload = rows.archive(record, raw, rows.Position("t", 0, 1)).args[-1]
    assert "\\u0000" not in payload.replace("\\\\u0000", "")
    assert json.loads(payload)["reason"] == "a\\u0000b"


def test_an_unreadable_message_is_kept_bounded_and_without_id_numbers() -> None:
    data = b"\x00" + RAW_ID.encode() + b" " + b"x" * (2 * RAW_LIMIT)
    statement = rows.undecodable(
        rows.Position("liudong.validated", 1, 5), data, "malformed_json", "bad\x00", AT
    )
    _, code, reason, raw, *_ = statement.args
    assert (code, reason) == ("malformed_json", "bad\\x00")
    assert raw == (b"\x00" + b"*" * 18 + b" " + b"x" * (2 * RAW_LIMIT))[:RAW_LIMIT]
