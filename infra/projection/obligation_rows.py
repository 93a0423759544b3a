"""The obligations' rows: opened, and the state moves the vocabulary allows
(:mod:`contracts.obligation_vocabulary`), each from a placeholder row when it comes first."""

from __future__ import annotations

from typing import Any

from contracts import obligation_vocabulary as vocabulary
from contracts.envelope import Envelope
from contracts.events.derived import (
    ObligationBreached,
    ObligationCancelled,
    ObligationEscalated,
    ObligationFulfilled,
    ObligationOpened,
    ObligationReminded,
)
from infra.projection.statements import Statement

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


def obligation(e: Envelope) -> tuple[Statement, ...]:
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
