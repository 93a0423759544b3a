"""A campaign's progress: per assignee county and kind, the tasks assigned, answered and
overdue, as the figures a partition publishes. Pure, no I/O.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable

from agents.campaign_rules import NAMESPACE
from agents.case_state import CaseState
from agents.derivation import envelope_of
from contracts.campaign_book import Campaign
from contracts.envelope import Envelope
from contracts.events.derived import CampaignProgressPublished, ProgressFigure
from contracts.types import CheckKind


def progress(
    cases: Iterable[CaseState], campaign: Campaign, now: dt.datetime
) -> tuple[ProgressFigure, ...]:
    """Per assignee county and kind: assigned, answered, overdue (unanswered past due)."""
    assigned: Counter[tuple[str, CheckKind]] = Counter()
    answered: Counter[tuple[str, CheckKind]] = Counter()
    overdue: Counter[tuple[str, CheckKind]] = Counter()
    for case in cases:
        obligations = {o.obligation_id: o for o in case.obligations}
        for task in case.tasks:
            if task.campaign_id != campaign.campaign_id:
                continue
            key = (task.assignee, task.check)
            assigned[key] += 1
            if task.result is not None:
                answered[key] += 1
            elif not task.closed and obligations[task.obligation_id].due_at < now:
                overdue[key] += 1
    return tuple(
        ProgressFigure(
            county=county,
            check=check,
            assigned=n,
            answered=answered[(county, check)],
            overdue=overdue[(county, check)],
        )
        for (county, check), n in sorted(assigned.items())
    )


def progress_event(
    campaign: Campaign,
    figures: tuple[ProgressFigure, ...],
    *,
    tick: Envelope,
    region: str,
    partition: int,
) -> CampaignProgressPublished:
    event_id = uuid.uuid5(NAMESPACE, f"progress:{campaign.campaign_id}:{partition}:{tick.event_id}")
    return CampaignProgressPublished(
        event_id=event_id,
        schema_version=CampaignProgressPublished.SCHEMA_VERSION,
        **envelope_of(tick, region),
        campaign_id=campaign.campaign_id,
        partition=partition,
        closed=campaign.closed,
        figures=figures,
    )
