"""Every campaign a partition has seen and where it is in its life: opened, extended (only
ever to a later deadline), closed. Pure, no I/O.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from contracts import event_ids
from contracts.envelope import Envelope
from contracts.events.campaigns import CampaignClosed, CampaignExtended, CampaignOpened
from contracts.types import CheckKind

CAMPAIGN_EVENTS = (CampaignOpened, CampaignExtended, CampaignClosed)


@dataclass(frozen=True, slots=True)
class Campaign:
    campaign_id: str
    counties: frozenset[str]
    period_start: dt.datetime
    period_end: dt.datetime
    deadline: dt.datetime
    checks: tuple[CheckKind, ...]
    closed: bool = False


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
                )
            )
        if known is None or known.closed:
            return self
        if isinstance(event, CampaignExtended):
            if event.deadline <= known.deadline:
                return self  # only ever later: a repeat or a shortening changes nothing
            return self._with(dataclasses.replace(known, deadline=event.deadline))
        if isinstance(event, CampaignClosed):
            return self._with(dataclasses.replace(known, closed=True))
        return self

    def _with(self, campaign: Campaign) -> CampaignBook:
        campaigns = MappingProxyType({**self.campaigns, campaign.campaign_id: campaign})
        return CampaignBook(campaigns, self.events)
