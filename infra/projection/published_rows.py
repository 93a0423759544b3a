"""The rows of what the agents publish for everyone: alerts, agreement coverage (per agent
partition, the newest winning) and scorecards (one row per revision)."""

from __future__ import annotations

from contracts.events.derived import AgreementCoveragePublished, AlertRaised, ScorecardPublished
from infra.projection.statements import Statement, as_json

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


def alert(e: AlertRaised) -> tuple[Statement, ...]:
    args = (e.alert_id, e.kind, list(e.counties), e.period, e.detail, e.occurred_at, e.event_id)
    return (Statement(ALERT, args),)


def coverage(e: AgreementCoveragePublished) -> tuple[Statement, ...]:
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


def scorecard(e: ScorecardPublished) -> tuple[Statement, ...]:
    payload = as_json({"indicators": [i.model_dump(mode="json") for i in e.indicators]})
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
