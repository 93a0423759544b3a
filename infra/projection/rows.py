"""From a decoded event to the statements it implies: pure, no I/O, unit-tested alone.

Each statement is a SQL constant with ``$n`` parameters and its argument tuple. The store
runs ``archive(...)`` first and ``changes(event)`` only when the archive says the event is
new, so every change below is applied once per event id.

Choices, so that a rebuild from the same log always gives the same rows:

- Every time column is event time (``occurred_at`` or a time the event carries).
- Facts read from one partition in order (a person's events, an obligation's lifecycle, the
  broadcast agreement and campaign events, the registry) are applied in that order.
- Facts from different topics may interleave either way, so their statements commute:
  a campaign task's assignment (obligations topic) and its result (validated topic) each
  fill in their own columns; ``persons.first_seen``/``last_seen`` are a min and a max.
- An obligation update (reminded, fulfilled, breached, escalated, cancelled) for an
  obligation not yet opened inserts a **placeholder row** (``kind`` and the other columns
  only ``obligation_opened`` carries are NULL) with the update's state; a later
  ``obligation_opened`` fills those in and keeps the state. State moves are guarded by the
  vocabulary's table (``contracts.obligation_vocabulary.MOVES_FROM``): reminded only from
  opened; breached only from opened or reminded; escalated, fulfilled and cancelled only
  while open (never from fulfilled or cancelled).
- An agreement amended or revoked, or a campaign extended or closed, before it was signed
  or opened changes no row (it is kept in ``events`` only): those events are broadcast and
  signed/opened always precede them on every partition.
- ``persons.current_county`` is where the latest move put the person: the destination of
  an outflow or inflow, ``to_county`` of moved_on, ``home_county`` of returned_home,
  ``by_county`` of case_taken_over, ``moved_to`` of a moved_on verification result. Other
  person events only widen first/last seen.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts import obligation_vocabulary as vocabulary
from contracts import unions
from contracts.envelope import Envelope
from contracts.events.agreements import AgreementAmended, AgreementRevoked, AgreementSigned
from contracts.events.campaigns import (
    CampaignClosed,
    CampaignExtended,
    CampaignOpened,
    VerificationResultReported,
    VerificationTaskAssigned,
)
from contracts.events.derived import (
    AgreementCoveragePublished,
    AlertRaised,
    DeadLettered,
    ObligationBreached,
    ObligationCancelled,
    ObligationEscalated,
    ObligationFulfilled,
    ObligationOpened,
    ObligationReminded,
    ScorecardPublished,
)
from contracts.events.migration import (
    CaseTakenOver,
    InflowRegistered,
    MovedOn,
    OutflowRegistered,
    PersonEvent,
    ReturnedHome,
)
from contracts.events.registry import CountyRegistered, PublisherRegistered
from streams import dead_letters
from streams.codec import union_members

# Fixed forever: ids of dead letters the projector records for undecodable messages.
UNDECODABLE_NAMESPACE = uuid.UUID("0c8f9a52-3b1e-5d47-8e2a-61f4b7d9c305")

# Events county nodes report (the validated topic): these are what "seen" means for a person.
_REPORTED = frozenset(union_members(unions.CountyEvent).values())


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Position:
    topic: str
    partition: int
    offset: int


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
            _json(raw),
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


def _dead_lettered(e: DeadLettered) -> tuple[Statement, ...]:
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


# --- registry ------------------------------------------------------------------------------

COUNTY = """
INSERT INTO counties (code, name, public_key, registered_at, event_id)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, public_key = EXCLUDED.public_key,
    registered_at = EXCLUDED.registered_at, event_id = EXCLUDED.event_id
WHERE EXCLUDED.registered_at >= counties.registered_at
"""

PUBLISHER = """
INSERT INTO publishers (publisher_id, county, role, public_key, event_types, stationed_in,
                        registered_at, event_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (publisher_id) DO UPDATE SET county = EXCLUDED.county, role = EXCLUDED.role,
    public_key = EXCLUDED.public_key, event_types = EXCLUDED.event_types,
    stationed_in = EXCLUDED.stationed_in, registered_at = EXCLUDED.registered_at,
    event_id = EXCLUDED.event_id
WHERE EXCLUDED.registered_at >= publishers.registered_at
"""


def _county(e: CountyRegistered) -> tuple[Statement, ...]:
    return (Statement(COUNTY, (e.county, e.name, e.public_key, e.occurred_at, e.event_id)),)


def _publisher(e: PublisherRegistered) -> tuple[Statement, ...]:
    args = (
        e.publisher,
        e.county,
        e.role,
        e.public_key,
        list(e.event_types),
        e.stationed_in,
        e.occurred_at,
        e.event_id,
    )
    return (Statement(PUBLISHER, args),)


# --- agreements and campaigns (broadcast) ---------------------------------------------------

AGREEMENT_SIGNED = """
INSERT INTO agreements (agreement_id, origin, destination, effective_from, effective_to, terms,
                        signed_at, last_event_id)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
ON CONFLICT (agreement_id) DO NOTHING
"""

AGREEMENT_AMENDED = """
UPDATE agreements SET terms = $2::jsonb, amended_at = $3, last_event_id = $4
WHERE agreement_id = $1
"""

AGREEMENT_REVOKED = """
UPDATE agreements SET revoked_at = $2, last_event_id = $3 WHERE agreement_id = $1
"""

CAMPAIGN_OPENED = """
INSERT INTO campaigns (campaign_id, counties, period_start, period_end, deadline, checks,
                       opened_at, state)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'open')
ON CONFLICT (campaign_id) DO NOTHING
"""

CAMPAIGN_EXTENDED = "UPDATE campaigns SET deadline = $2 WHERE campaign_id = $1"

CAMPAIGN_CLOSED = """
UPDATE campaigns SET state = 'closed', closed_at = $2, closed_early = $3 WHERE campaign_id = $1
"""


def _agreement_signed(e: AgreementSigned) -> tuple[Statement, ...]:
    args = (
        e.agreement_id,
        e.origin_county,
        e.destination_county,
        e.effective_from,
        e.effective_to,
        _json(e.terms.model_dump(mode="json")),
        e.occurred_at,
        e.event_id,
    )
    return (Statement(AGREEMENT_SIGNED, args),)


def _agreement_amended(e: AgreementAmended) -> tuple[Statement, ...]:
    terms = _json(e.terms.model_dump(mode="json"))
    return (Statement(AGREEMENT_AMENDED, (e.agreement_id, terms, e.effective_from, e.event_id)),)


def _agreement_revoked(e: AgreementRevoked) -> tuple[Statement, ...]:
    return (Statement(AGREEMENT_REVOKED, (e.agreement_id, e.effective_at, e.event_id)),)


def _campaign_opened(e: CampaignOpened) -> tuple[Statement, ...]:
    args = (
        e.campaign_id,
        list(e.counties),
        e.period_start,
        e.period_end,
        e.deadline,
        list(e.checks),
        e.occurred_at,
    )
    return (Statement(CAMPAIGN_OPENED, args),)


# --- persons --------------------------------------------------------------------------------

PERSON_SEEN = """
INSERT INTO persons (person_key, first_seen, last_seen, current_county, current_county_at)
VALUES ($1, $2, $2, $3, $4)
ON CONFLICT (person_key) DO UPDATE SET
    first_seen = LEAST(persons.first_seen, EXCLUDED.first_seen),
    last_seen = GREATEST(persons.last_seen, EXCLUDED.last_seen),
    current_county = CASE
        WHEN EXCLUDED.current_county IS NOT NULL AND (persons.current_county_at IS NULL
             OR EXCLUDED.current_county_at >= persons.current_county_at)
        THEN EXCLUDED.current_county ELSE persons.current_county END,
    current_county_at = CASE
        WHEN EXCLUDED.current_county IS NOT NULL AND (persons.current_county_at IS NULL
             OR EXCLUDED.current_county_at >= persons.current_county_at)
        THEN EXCLUDED.current_county_at ELSE persons.current_county_at END
"""


def current_county(event: PersonEvent) -> str | None:
    """Where this event says the person now lives, if it says so."""
    match event:
        case OutflowRegistered() | InflowRegistered():
            return event.destination_county
        case MovedOn():
            return event.to_county
        case ReturnedHome():
            return event.home_county
        case CaseTakenOver():
            return event.by_county
        case VerificationResultReported(result="moved_on"):
            return event.moved_to
    return None


def _person_seen(e: PersonEvent) -> Statement:
    county = current_county(e)
    at = e.occurred_at if county is not None else None
    return Statement(PERSON_SEEN, (e.person_key, e.occurred_at, county, at))


# --- obligations ------------------------------------------------------------------------------

OBLIGATION_OPENED = """
INSERT INTO obligations (obligation_id, person_key, kind, responsible_county,
                         counterpart_county, opened_at, due_at, remind_at, escalate_at, urgent,
                         agreement_id, state, last_event_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'opened', $12)
ON CONFLICT (obligation_id) DO UPDATE SET
    person_key = EXCLUDED.person_key, kind = EXCLUDED.kind,
    responsible_county = EXCLUDED.responsible_county,
    counterpart_county = EXCLUDED.counterpart_county, opened_at = EXCLUDED.opened_at,
    due_at = EXCLUDED.due_at, remind_at = EXCLUDED.remind_at,
    escalate_at = EXCLUDED.escalate_at, urgent = EXCLUDED.urgent,
    agreement_id = EXCLUDED.agreement_id
"""

# The state moves are the vocabulary's (contracts.obligation_vocabulary.MOVES_FROM), written
# as SQL by it: a transition from a state it may not move from keeps the row's state.
OBLIGATION_REMINDED = (
    """
INSERT INTO obligations (obligation_id, person_key, responsible_county, due_at, state,
                         reminded_at, last_event_id)
VALUES ($1, $2, $3, $4, 'reminded', $5, $6)
ON CONFLICT (obligation_id) DO UPDATE SET
    state = """
    + vocabulary.guard_sql("reminded")
    + """,
    reminded_at = EXCLUDED.reminded_at,
    due_at = COALESCE(obligations.due_at, EXCLUDED.due_at),
    last_event_id = EXCLUDED.last_event_id
"""
)

OBLIGATION_FULFILLED = (
    """
INSERT INTO obligations (obligation_id, person_key, responsible_county, state, fulfilled_at,
                         fulfilled_by, late, last_event_id)
VALUES ($1, $2, $3, 'fulfilled', $4, $5, $6, $7)
ON CONFLICT (obligation_id) DO UPDATE SET
    state = """
    + vocabulary.guard_sql("fulfilled")
    + """,
    fulfilled_at = EXCLUDED.fulfilled_at, fulfilled_by = EXCLUDED.fulfilled_by,
    late = EXCLUDED.late, last_event_id = EXCLUDED.last_event_id
"""
)

OBLIGATION_BREACHED = (
    """
INSERT INTO obligations (obligation_id, person_key, responsible_county, due_at, state,
                         breached_at, last_event_id)
VALUES ($1, $2, $3, $4, 'breached', $5, $6)
ON CONFLICT (obligation_id) DO UPDATE SET
    state = """
    + vocabulary.guard_sql("breached")
    + """,
    breached_at = EXCLUDED.breached_at,
    due_at = COALESCE(obligations.due_at, EXCLUDED.due_at),
    last_event_id = EXCLUDED.last_event_id
"""
)

OBLIGATION_ESCALATED = (
    """
INSERT INTO obligations (obligation_id, person_key, responsible_county, state, escalated_at,
                         escalated_to, last_event_id)
VALUES ($1, $2, $3, 'escalated', $4, $5, $6)
ON CONFLICT (obligation_id) DO UPDATE SET
    state = """
    + vocabulary.guard_sql("escalated")
    + """,
    escalated_at = EXCLUDED.escalated_at, escalated_to = EXCLUDED.escalated_to,
    last_event_id = EXCLUDED.last_event_id
"""
)

OBLIGATION_CANCELLED = (
    """
INSERT INTO obligations (obligation_id, person_key, responsible_county, state, cancelled_at,
                         cancel_reason, last_event_id)
VALUES ($1, $2, $3, 'cancelled', $4, $5, $6)
ON CONFLICT (obligation_id) DO UPDATE SET
    state = """
    + vocabulary.guard_sql("cancelled")
    + """,
    cancelled_at = EXCLUDED.cancelled_at, cancel_reason = EXCLUDED.cancel_reason,
    last_event_id = EXCLUDED.last_event_id
"""
)


def _obligation(e: Envelope) -> tuple[Statement, ...]:
    match e:
        case ObligationOpened():
            args: tuple[Any, ...] = (
                e.obligation_id,
                e.person_key,
                e.kind,
                e.responsible_county,
                e.counterpart_county,
                e.opened_at,
                e.due_at,
                e.remind_at,
                e.escalate_at,
                e.urgent,
                e.agreement_id,
                e.event_id,
            )
            return (Statement(OBLIGATION_OPENED, args),)
        case ObligationReminded():
            head = (e.obligation_id, e.person_key, e.responsible_county)
            args = (*head, e.due_at, e.occurred_at, e.event_id)
            return (Statement(OBLIGATION_REMINDED, args),)
        case ObligationFulfilled():
            head = (e.obligation_id, e.person_key, e.responsible_county)
            args = (*head, e.occurred_at, e.fulfilled_by_publisher, e.late, e.event_id)
            return (Statement(OBLIGATION_FULFILLED, args),)
        case ObligationBreached():
            head = (e.obligation_id, e.person_key, e.responsible_county)
            args = (*head, e.due_at, e.occurred_at, e.event_id)
            return (Statement(OBLIGATION_BREACHED, args),)
        case ObligationEscalated():
            head = (e.obligation_id, e.person_key, e.responsible_county)
            args = (*head, e.occurred_at, e.escalated_to, e.event_id)
            return (Statement(OBLIGATION_ESCALATED, args),)
        case ObligationCancelled():
            head = (e.obligation_id, e.person_key, e.responsible_county)
            args = (*head, e.occurred_at, e.reason, e.event_id)
            return (Statement(OBLIGATION_CANCELLED, args),)
    return ()


# --- campaign tasks ---------------------------------------------------------------------------

TASK_ASSIGNED = """
INSERT INTO campaign_tasks (task_id, campaign_id, person_key, "check", assignee, due_at,
                            assigned_at, state)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'assigned')
ON CONFLICT (task_id) DO UPDATE SET
    campaign_id = EXCLUDED.campaign_id, person_key = EXCLUDED.person_key,
    "check" = EXCLUDED."check", assignee = EXCLUDED.assignee, due_at = EXCLUDED.due_at,
    assigned_at = EXCLUDED.assigned_at
"""

TASK_REPORTED = """
INSERT INTO campaign_tasks (task_id, person_key, result, moved_to, duplicate_of, reported_at,
                            state)
VALUES ($1, $2, $3, $4, $5, $6, 'reported')
ON CONFLICT (task_id) DO UPDATE SET
    result = EXCLUDED.result, moved_to = EXCLUDED.moved_to,
    duplicate_of = EXCLUDED.duplicate_of, reported_at = EXCLUDED.reported_at,
    state = 'reported'
"""


def _task_assigned(e: VerificationTaskAssigned) -> tuple[Statement, ...]:
    args = (
        e.task_id,
        e.campaign_id,
        e.person_key,
        e.check,
        e.assignee_county,
        e.due_at,
        e.occurred_at,
    )
    return (Statement(TASK_ASSIGNED, args),)


def _task_reported(e: VerificationResultReported) -> Statement:
    args = (e.task_id, e.person_key, e.result, e.moved_to, e.duplicate_of, e.occurred_at)
    return Statement(TASK_REPORTED, args)


# --- alerts, coverage, scorecards ---------------------------------------------------------------

ALERT = """
INSERT INTO alerts (alert_id, kind, counties, period, detail, raised_at, event_id)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (alert_id) DO NOTHING
"""

COVERAGE = """
INSERT INTO coverage (period, agent_partition, scope, flows, covered, outflows,
                      outflows_covered, inflows, inflows_covered, published_at, event_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (period, agent_partition, scope) DO UPDATE SET
    flows = EXCLUDED.flows, covered = EXCLUDED.covered, outflows = EXCLUDED.outflows,
    outflows_covered = EXCLUDED.outflows_covered, inflows = EXCLUDED.inflows,
    inflows_covered = EXCLUDED.inflows_covered,
    published_at = EXCLUDED.published_at, event_id = EXCLUDED.event_id
WHERE EXCLUDED.published_at >= coverage.published_at
"""

SCORECARD = """
INSERT INTO scorecards (county, period, revision, reason, origin_score, destination_score,
                        combined_score, payload, published_at, event_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)
ON CONFLICT (county, period, revision) DO NOTHING
"""


def _alert(e: AlertRaised) -> tuple[Statement, ...]:
    args = (e.alert_id, e.kind, list(e.counties), e.period, e.detail, e.occurred_at, e.event_id)
    return (Statement(ALERT, args),)


def _coverage(e: AgreementCoveragePublished) -> tuple[Statement, ...]:
    return tuple(
        Statement(
            COVERAGE,
            (
                e.period,
                e.partition,
                f.scope,
                f.flows,
                f.covered,
                f.outflows,
                f.outflows_covered,
                f.inflows,
                f.inflows_covered,
                e.occurred_at,
                e.event_id,
            ),
        )
        for f in e.figures
    )


def _scorecard(e: ScorecardPublished) -> tuple[Statement, ...]:
    payload = _json({"indicators": [i.model_dump(mode="json") for i in e.indicators]})
    args = (
        e.county,
        e.period,
        e.revision,
        e.reason,
        e.origin_score,
        e.destination_score,
        e.combined_score,
        payload,
        e.occurred_at,
        e.event_id,
    )
    return (Statement(SCORECARD, args),)


# --- dispatch -----------------------------------------------------------------------------------


def changes(event: Envelope) -> tuple[Statement, ...]:
    """The row changes a new event implies, in the order they are to run."""
    own = _own_changes(event)
    if isinstance(event, PersonEvent) and type(event) in _REPORTED:
        return (*own, _person_seen(event))
    return own


def _own_changes(event: Envelope) -> tuple[Statement, ...]:
    match event:
        case CountyRegistered():
            return _county(event)
        case PublisherRegistered():
            return _publisher(event)
        case AgreementSigned():
            return _agreement_signed(event)
        case AgreementAmended():
            return _agreement_amended(event)
        case AgreementRevoked():
            return _agreement_revoked(event)
        case CampaignOpened():
            return _campaign_opened(event)
        case CampaignExtended():
            return (Statement(CAMPAIGN_EXTENDED, (event.campaign_id, event.deadline)),)
        case CampaignClosed():
            args = (event.campaign_id, event.occurred_at, event.early)
            return (Statement(CAMPAIGN_CLOSED, args),)
        case VerificationTaskAssigned():
            return _task_assigned(event)
        case VerificationResultReported():
            return (_task_reported(event),)
        case AlertRaised():
            return _alert(event)
        case AgreementCoveragePublished():
            return _coverage(event)
        case ScorecardPublished():
            return _scorecard(event)
        case DeadLettered():
            return _dead_lettered(event)
    return _obligation(event)  # () for events that only go to the archive (e.g. ticks)


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if "\\u0000" in text:
        # jsonb refuses the NUL character: it is kept as the text "\u0000" instead.
        text = json.dumps(
            _without_nul(value), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
    return text


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\\u0000")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nul(v) for v in value]
    return value
