"""The persons' rows: first and last seen (a min and a max, so they commute), and where the
latest move put the person."""

from __future__ import annotations

from contracts.events.campaigns import VerificationResultReported
from contracts.events.migration import (
    CaseTakenOver,
    InflowRegistered,
    MovedOn,
    OutflowRegistered,
    PersonEvent,
    ReturnedHome,
)
from infra.projection.statements import Statement

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


def person_seen(e: PersonEvent) -> Statement:
    county = current_county(e)
    at = e.occurred_at if county is not None else None
    return Statement(PERSON_SEEN, (e.person_key, e.occurred_at, county, at))
