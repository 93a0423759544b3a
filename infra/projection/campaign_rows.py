"""The clean-up campaigns' rows: the campaign (broadcast, like the agreements) and its tasks,
whose assignment (obligations topic) and result (validated topic) each fill in their own
columns, so they commute."""

from __future__ import annotations

from contracts.events.campaigns import (
    CampaignClosed,
    CampaignExtended,
    CampaignOpened,
    VerificationResultReported,
    VerificationTaskAssigned,
)
from infra.projection.statements import Statement

# --- campaigns (broadcast) ----------------------------------------------------------------

CAMPAIGN_OPENED = """
INSERT INTO campaigns (campaign_id, counties, period_start, period_end, deadline, checks,
                       opened_at, state)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'open')
ON CONFLICT (campaign_id) DO NOTHING
"""

# The campaigns' one life cycle (contracts.campaign_book): an extension moves the deadline
# only later and only while open; the first close stands. The same guards make every
# broadcast copy and every re-delivery after the first change nothing.
CAMPAIGN_EXTENDED = """
UPDATE campaigns SET deadline = $2
WHERE campaign_id = $1 AND state = 'open' AND deadline < $2
"""

CAMPAIGN_CLOSED = """
UPDATE campaigns SET state = 'closed', closed_at = $2, closed_early = $3
WHERE campaign_id = $1 AND state = 'open'
"""


def campaign_opened(e: CampaignOpened) -> tuple[Statement, ...]:
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


def campaign_extended(e: CampaignExtended) -> tuple[Statement, ...]:
    return (Statement(CAMPAIGN_EXTENDED, (e.campaign_id, e.deadline)),)


def campaign_closed(e: CampaignClosed) -> tuple[Statement, ...]:
    return (Statement(CAMPAIGN_CLOSED, (e.campaign_id, e.occurred_at, e.early)),)


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


def task_assigned(e: VerificationTaskAssigned) -> tuple[Statement, ...]:
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


def task_reported(e: VerificationResultReported) -> Statement:
    args = (e.task_id, e.person_key, e.result, e.moved_to, e.duplicate_of, e.occurred_at)
    return Statement(TASK_REPORTED, args)
