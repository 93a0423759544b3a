"""The registry's rows: counties and publishers, the newest registration winning."""

from __future__ import annotations

from contracts.events.registry import CountyRegistered, PublisherRegistered
from infra.projection.statements import Statement

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


def county(e: CountyRegistered) -> tuple[Statement, ...]:
    return (Statement(COUNTY, (e.county, e.name, e.public_key, e.occurred_at, e.event_id)),)


def publisher(e: PublisherRegistered) -> tuple[Statement, ...]:
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
