"""The agreements' rows (broadcast: signed always precedes amended or revoked on every
partition, so an amendment of an unknown agreement changes no row)."""

from __future__ import annotations

from contracts.events.agreements import AgreementAmended, AgreementRevoked, AgreementSigned
from infra.projection.statements import Statement, as_json

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


def agreement_signed(e: AgreementSigned) -> tuple[Statement, ...]:
    args = (
        e.agreement_id,
        e.origin_county,
        e.destination_county,
        e.effective_from,
        e.effective_to,
        as_json(e.terms.model_dump(mode="json")),
        e.occurred_at,
        e.event_id,
    )
    return (Statement(AGREEMENT_SIGNED, args),)


def agreement_amended(e: AgreementAmended) -> tuple[Statement, ...]:
    terms = as_json(e.terms.model_dump(mode="json"))
    return (Statement(AGREEMENT_AMENDED, (e.agreement_id, terms, e.effective_from, e.event_id)),)


def agreement_revoked(e: AgreementRevoked) -> tuple[Statement, ...]:
    return (Statement(AGREEMENT_REVOKED, (e.agreement_id, e.effective_at, e.event_id)),)
