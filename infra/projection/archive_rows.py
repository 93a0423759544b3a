"""The archive (every event once, in ``events``), the projector's offsets, and the dead
letters: the gate's refusals and the messages the projector could not decode."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from contracts.envelope import Envelope
from contracts.events.derived import DeadLettered
from contracts.events.migration import PersonEvent
from infra.projection.statements import Position, Statement, as_json
from streams import dead_letters

# Fixed forever: ids of dead letters the projector records for undecodable messages.
UNDECODABLE_NAMESPACE = uuid.UUID("0c8f9a52-3b1e-5d47-8e2a-61f4b7d9c305")

# --- the archive and the offsets -----------------------------------------------------------

# RETURNING yields one row: inserted = true for a new event, false when this copy has a
# lower position than the archived one (the row moves, nothing else happens); no row at all
# for a repeat. Only inserted = true applies the event's changes.
ARCHIVE = """
INSERT INTO events (event_id, topic, partition, "offset", event_type, schema_version,
                    occurred_at, recorded_at, source_county, publisher_id, correlation_id,
                    causation_id, person_key, payload)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb)
ON CONFLICT (event_id) DO UPDATE SET partition = EXCLUDED.partition, "offset" = EXCLUDED."offset"
WHERE events.topic = EXCLUDED.topic
  AND (EXCLUDED.partition, EXCLUDED."offset") < (events.partition, events."offset")
RETURNING (xmax = 0) AS inserted
"""

SAVE_OFFSET = """
INSERT INTO projection_offsets (topic, partition, next_offset) VALUES ($1, $2, $3)
ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset
"""

LOAD_OFFSETS = "SELECT topic, partition, next_offset FROM projection_offsets WHERE topic = ANY($1)"


def archive(event: Envelope, raw: Mapping[str, Any], at: Position) -> Statement:
    person_key = event.person_key if isinstance(event, PersonEvent) else None
    return Statement(
        ARCHIVE,
        (
            event.event_id,
            at.topic,
            at.partition,
            at.offset,
            event.event_type,
            event.schema_version,
            event.occurred_at,
            event.recorded_at,
            event.source_county,
            event.publisher_id,
            event.correlation_id,
            event.causation_id,
            person_key,
            as_json(raw),
        ),
    )


def save_offset(topic: str, partition: int, next_offset: int) -> Statement:
    return Statement(SAVE_OFFSET, (topic, partition, next_offset))


# --- dead letters ---------------------------------------------------------------------------

DEAD_LETTER = """
INSERT INTO dead_letters (event_id, reason_code, reason, raw, source_topic, source_partition,
                          source_offset, occurred_at, detected_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (event_id) DO NOTHING
"""


def undecodable(
    at: Position, data: bytes | None, code: str, reason: str, timestamp: dt.datetime
) -> Statement:
    """A message on a projected topic that is not a valid event: kept, as the gate keeps what
    it refuses (bounded, ID numbers masked: streams.dead_letters), with why.

    Its id is derived from its position, so a re-delivery records nothing new.
    """
    event_id = uuid.uuid5(UNDECODABLE_NAMESPACE, f"{at.topic}:{at.partition}:{at.offset}")
    return Statement(
        DEAD_LETTER,
        (
            event_id,
            code,
            dead_letters.clean_reason(reason),
            dead_letters.keep(data).raw,
            at.topic,
            at.partition,
            at.offset,
            timestamp,
            "projector",
        ),
    )


def dead_lettered(e: DeadLettered) -> tuple[Statement, ...]:
    try:
        raw = base64.b64decode(e.raw, validate=True)
    except binascii.Error:
        raw = e.raw.encode()  # not base64 after all: keep the text as it came
    return (
        Statement(
            DEAD_LETTER,
            (
                e.event_id,
                e.reason_code,
                # The gate writes printable reasons; one written otherwise (NUL, which
                # PostgreSQL text refuses) is stored all the same, escaped.
                dead_letters.clean_reason(e.reason),
                raw,
                e.source_topic,
                e.source_partition,
                e.source_offset,
                e.occurred_at,
                "gate",
            ),
        ),
    )
