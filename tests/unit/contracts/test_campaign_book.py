"""The campaigns as the region's events left them (contracts.campaign_book): an extension only
moves a deadline later and only while open, a close is kept with its ``early`` flag, events
about a campaign never opened are ignored, and the clock is the newest tick."""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.campaign_book import book
from contracts.envelope import Envelope
from contracts.events.campaigns import CampaignClosed, CampaignExtended, CampaignOpened
from contracts.events.clock import ClockTicked
from streams.county_node import CountyNode

T = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
NODE = CountyNode(  # never started: nothing here connects to a broker
    county="610900",
    publisher_id="610900/region",
    private_key=Ed25519PrivateKey.generate(),
    person_key_secret=b"",
    bootstrap_servers="127.0.0.1:1",
)


def opened(campaign_id: str = "qingcha-2026") -> Envelope:
    return NODE.build(
        CampaignOpened,
        occurred_at=T,
        campaign_id=campaign_id,
        counties=("610902",),
        period_start=T - 90 * DAY,
        period_end=T,
        deadline=T + 30 * DAY,
        checks=("lost_contact",),
    )


def extended(deadline: dt.datetime, campaign_id: str = "qingcha-2026") -> Envelope:
    return NODE.build(
        CampaignExtended, occurred_at=T + DAY, campaign_id=campaign_id, deadline=deadline
    )


def test_an_extension_moves_the_deadline_only_later() -> None:
    kept = book([opened(), extended(T + 10 * DAY)])
    assert kept.campaigns["qingcha-2026"].deadline == T + 30 * DAY
    moved = book([opened(), extended(T + 60 * DAY)])
    assert moved.campaigns["qingcha-2026"].deadline == T + 60 * DAY


def test_a_closed_campaign_keeps_its_deadline_and_early_flag() -> None:
    closed = NODE.build(CampaignClosed, occurred_at=T, campaign_id="qingcha-2026", early=True)
    state = book([opened(), closed, extended(T + 60 * DAY)])
    campaign = state.campaigns["qingcha-2026"]
    assert (campaign.closed, campaign.early) == (True, True)
    assert campaign.deadline == T + 30 * DAY


def test_events_about_an_unopened_campaign_are_ignored() -> None:
    state = book([extended(T + 60 * DAY, "other"), opened()])
    assert list(state.campaigns) == ["qingcha-2026"]


def test_the_clock_is_the_newest_tick_in_any_order() -> None:
    ticks = [NODE.build(ClockTicked, occurred_at=T + n * DAY) for n in (5, 9, 2)]
    assert book(ticks).clock == T + 9 * DAY
    assert book([opened()]).clock is None
