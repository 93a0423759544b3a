"""The clean-up campaigns and where each is in its life: opened, extended, closed. Pure, no I/O.

The one life cycle every reader folds the region's campaign events with (the cases agent per
partition, the replay, ``liudong campaign status``, the bulletin); the projection's SQL
(``infra.projection.campaign_rows``) guards its updates by the same rule:

- the first opening of a campaign stands (a later one is a re-delivery or a reused id);
- an extension moves the deadline only later, and only while the campaign is open;
- the first close stands, with its instant and its ``early`` flag;
- events about a campaign never opened change nothing;
- an event id applied before changes nothing (the region's events reach every partition,
  and a reader of several partitions sees each of them once per partition).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from contracts import event_ids
from contracts.envelope import Envelope
from contracts.events.campaigns import CampaignClosed, CampaignExtended, CampaignOpened
from contracts.events.clock import ClockTicked
from contracts.types import CheckKind

CAMPAIGN_EVENTS = (CampaignOpened, CampaignExtended, CampaignClosed)


@dataclass(frozen=True, slots=True)
class Campaign:
    """What the region published about a campaign: its counties, period, checks, deadline."""

    campaign_id: str
    counties: frozenset[str]
    period_start: dt.datetime
    period_end: dt.datetime
    deadline: dt.datetime
    checks: tuple[CheckKind, ...]
    opened_at: dt.datetime
    closed_at: dt.datetime | None = None
    early: bool = False  # closed before its deadline, as the region said

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


def _empty() -> Mapping[str, Campaign]:
    return MappingProxyType({})


def _no_events() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class CampaignBook:
    """Every campaign seen; ``apply`` returns a new book (the same one for a repeat).

    ``events`` holds the id and fingerprint of every campaign event applied
    (contracts.event_ids): an id seen before changes nothing, and any new one changes the book,
    if only by being remembered.
    """

    campaigns: Mapping[str, Campaign] = field(default_factory=_empty)
    events: Mapping[str, str] = field(default_factory=_no_events)

    def apply(self, event: Envelope) -> CampaignBook:
        if not isinstance(event, CAMPAIGN_EVENTS):
            return self
        key = str(event.event_id)
        if key in self.events:
            return self  # a repeat, or an id reused (event_ids.novelty tells which)
        book = self._campaign(event)
        events = MappingProxyType({**self.events, key: event_ids.fingerprint(event)})
        return CampaignBook(book.campaigns, events)

    def _campaign(self, event: CampaignOpened | CampaignExtended | CampaignClosed) -> CampaignBook:
        known = self.campaigns.get(event.campaign_id)
        if isinstance(event, CampaignOpened):
            if known is not None:
                return self  # a re-delivery, or a reused id: the first opening stands
            return self._with(
                Campaign(
                    campaign_id=event.campaign_id,
                    counties=frozenset(event.counties),
                    period_start=event.period_start,
                    period_end=event.period_end,
                    deadline=event.deadline,
                    checks=event.checks,
                    opened_at=event.occurred_at,
                )
            )
        if known is None or known.closed:
            return self
        if isinstance(event, CampaignExtended):
            if event.deadline <= known.deadline:
                return self  # only ever later: a repeat or a shortening changes nothing
            return self._with(dataclasses.replace(known, deadline=event.deadline))
        return self._with(
            dataclasses.replace(known, closed_at=event.occurred_at, early=event.early)
        )

    def _with(self, campaign: Campaign) -> CampaignBook:
        campaigns = MappingProxyType({**self.campaigns, campaign.campaign_id: campaign})
        return CampaignBook(campaigns, self.events)


@dataclass(frozen=True, slots=True)
class Book:
    """The campaigns as the region's events left them, and the logical clock."""

    campaigns: Mapping[str, Campaign]
    clock: dt.datetime | None  # the logical clock: the newest tick


def book(events: Iterable[Any]) -> Book:
    """The campaigns and the logical clock after ``events`` (``liudong campaign status``)."""
    campaigns = CampaignBook()
    clock: dt.datetime | None = None
    for e in events:
        if isinstance(e, ClockTicked):
            clock = e.occurred_at if clock is None else max(clock, e.occurred_at)
        else:
            campaigns = campaigns.apply(e)
    return Book(campaigns.campaigns, clock)
