"""The clean-up campaigns as the region's events left them, and the logical clock (pure).

A campaign is what ``campaign_opened`` said, with the latest later deadline a
``campaign_extended`` gave it while open, and closed once ``campaign_closed`` came; events about
a campaign never opened are ignored. ``liudong campaign status`` shows the campaigns with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from contracts.events.campaigns import CampaignClosed, CampaignExtended, CampaignOpened
from contracts.events.clock import ClockTicked


@dataclass(frozen=True, slots=True)
class Campaign:
    """What the region published about a campaign: its counties, period and deadline."""

    campaign_id: str
    counties: tuple[str, ...]
    period_start: dt.datetime
    period_end: dt.datetime
    deadline: dt.datetime
    closed: bool = False
    early: bool = False


@dataclass(frozen=True, slots=True)
class Book:
    campaigns: dict[str, Campaign]
    clock: dt.datetime | None  # the logical clock: the newest tick


def book(events: Sequence[Any]) -> Book:
    """The campaigns as the region's events left them, and the logical clock (pure)."""
    campaigns: dict[str, Campaign] = {}
    clock: dt.datetime | None = None
    for e in events:
        if isinstance(e, ClockTicked):
            clock = e.occurred_at if clock is None else max(clock, e.occurred_at)
        elif isinstance(e, CampaignOpened) and e.campaign_id not in campaigns:
            campaigns[e.campaign_id] = Campaign(
                e.campaign_id, e.counties, e.period_start, e.period_end, e.deadline
            )
        elif isinstance(e, CampaignExtended) and e.campaign_id in campaigns:
            c = campaigns[e.campaign_id]
            if e.deadline > c.deadline and not c.closed:
                campaigns[e.campaign_id] = replace(c, deadline=e.deadline)
        elif isinstance(e, CampaignClosed) and e.campaign_id in campaigns:
            campaigns[e.campaign_id] = replace(campaigns[e.campaign_id], closed=True, early=e.early)
    return Book(campaigns, clock)
