"""``liudong campaign``: events built from the arguments, and progress summed over partitions."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import campaign_book, campaign_status
from contracts.events.campaigns import CampaignClosed, CampaignExtended, CampaignOpened
from contracts.events.clock import ClockTicked
from contracts.events.derived import CampaignProgressPublished, ProgressFigure
from contracts.human_time import LOCAL, UTC
from entrypoints import campaign_actions, campaign_text
from streams.county_node import CountyNode

T = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def region() -> CountyNode:
    # Never started: nothing here connects to a broker.
    return CountyNode(
        county="610900",
        publisher_id="610900/region",
        private_key=Ed25519PrivateKey.generate(),
        person_key_secret=b"",
        bootstrap_servers="127.0.0.1:1",
    )


def opening(**changes: object) -> argparse.Namespace:
    args = argparse.Namespace(
        action="open",
        id="qingcha-2026",
        counties=("610902", "610921"),
        start=T - dt.timedelta(days=90),
        end=T,
        deadline=T + dt.timedelta(days=30),
        checks=("lost_contact", "stale"),
        at=T,
    )
    for name, value in changes.items():
        setattr(args, name, value)
    return args


def test_open_builds_a_signed_region_event() -> None:
    event = campaign_actions.build_event(region(), opening(), now=T + dt.timedelta(days=1))
    assert isinstance(event, CampaignOpened)
    assert event.occurred_at == T  # --at wins over now
    assert event.counties == ("610902", "610921")
    assert event.signature is not None
    assert event.publisher_id == "610900/region"


async def test_an_inconsistent_period_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = opening(deadline=T - dt.timedelta(days=1))  # before the period's end
    assert await campaign_actions.publish(region(), args) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: Value error, need period_start < period_end <= deadline"


def figures(
    partition: int, at: dt.datetime, assigned: int, answered: int, overdue: int
) -> CampaignProgressPublished:
    event_id = uuid.uuid4()
    return CampaignProgressPublished(
        event_id=event_id,
        schema_version=1,
        occurred_at=at,
        recorded_at=at,
        source_county="610900",
        publisher_id="610900/agents",
        correlation_id=event_id,
        campaign_id="qingcha-2026",
        partition=partition,
        closed=False,
        figures=(
            ProgressFigure(
                county="440306", check="lost_contact", assigned=assigned, answered=answered,
                overdue=overdue,
            ),
        ),
    )  # fmt: skip


def test_status_sums_the_newest_figures_of_each_partition() -> None:
    events = [
        figures(0, T, 5, 0, 0),
        figures(0, T + dt.timedelta(days=2), 5, 2, 1),  # newer: replaces the one above
        figures(1, T + dt.timedelta(days=1), 3, 3, 0),
    ]
    report = campaign_status.progress(events, None)
    assert report["qingcha-2026"]["figures"] == {("440306", "lost_contact"): [8, 5, 1]}
    lines = campaign_text.status_lines(report)
    assert lines[0] == "qingcha-2026 (open): 8 assigned, 5 answered, 1 overdue"
    assert campaign_status.progress(events, "other") == {}


def region_events(*extra: object) -> list[object]:
    node = region()
    opened = node.build(
        CampaignOpened,
        occurred_at=T,
        campaign_id="qingcha-2026",
        counties=("610902",),
        period_start=T - dt.timedelta(days=90),
        period_end=T,
        deadline=T + dt.timedelta(days=30),
        checks=("lost_contact",),
    )
    tick = node.build(ClockTicked, occurred_at=T + dt.timedelta(days=60))
    return [opened, tick, *extra]


def test_status_shows_period_deadline_and_an_open_campaign_past_its_deadline() -> None:
    books = campaign_book.book(region_events())
    report = campaign_status.progress([figures(0, T, 5, 0, 5)], None)
    lines = campaign_text.status_lines(report, books, LOCAL)
    assert lines[0] == (
        "qingcha-2026 (OPEN PAST ITS DEADLINE by 30 days: extend or close it): "
        "5 assigned, 0 answered, 5 overdue"
    )
    assert lines[1] == "  period   2026-03-03 08:00 to 2026-06-01 08:00 UTC+8"
    assert lines[2] == "  deadline 2026-07-01 08:00 UTC+8 (logical clock 2026-07-31 08:00 UTC+8)"
    doc = json.loads(campaign_text.status_json(report, books, UTC))
    assert doc["qingcha-2026"]["state"] == "overdue_open"
    assert doc["qingcha-2026"]["deadline"] == "2026-07-01T00:00:00+00:00"
    assert (doc["qingcha-2026"]["assigned"], doc["qingcha-2026"]["overdue"]) == (5, 5)


def test_an_extended_or_closed_campaign_is_not_past_its_deadline() -> None:
    node = region()
    later = T + dt.timedelta(days=90)
    extended = node.build(
        CampaignExtended, occurred_at=T + dt.timedelta(days=20), campaign_id="qingcha-2026",
        deadline=later,
    )  # fmt: skip
    books = campaign_book.book(region_events(extended))
    assert books.campaigns["qingcha-2026"].deadline == later
    report = campaign_status.progress([figures(0, T, 5, 0, 0)], None)
    assert campaign_text.status_lines(report, books)[0].startswith("qingcha-2026 (open)")
    closed = node.build(CampaignClosed, occurred_at=T, campaign_id="qingcha-2026")
    books = campaign_book.book(region_events(closed))
    assert campaign_text.status_lines(report, books)[0].startswith("qingcha-2026 (closed)")
    assert campaign_book.book([]).clock is None
