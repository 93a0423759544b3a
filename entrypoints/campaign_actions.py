"""What ``liudong campaign`` does: publish the region's signed campaign event, or sum the
agents' newest progress figures and show them with each campaign's period, deadline and state
by the logical clock (the region's events read from the validated topic)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from pydantic import ValidationError

from contracts import unions
from contracts.campaign_book import book
from contracts.campaign_status import progress
from contracts.envelope import Envelope
from contracts.events.campaigns import CampaignClosed, CampaignExtended, CampaignOpened
from contracts.human_time import zone
from entrypoints.arguments import EXIT_USAGE
from entrypoints.campaign_text import status_json, status_lines
from streams.county_node import CountyNode


def build_event(region: CountyNode, args: argparse.Namespace, now: dt.datetime) -> Envelope:
    """The region event for ``open``/``extend``/``close``; ValidationError if inconsistent."""
    at = args.at or now
    if args.action == "open":
        return region.build(
            CampaignOpened,
            occurred_at=at,
            campaign_id=args.id,
            counties=args.counties,
            period_start=args.start,
            period_end=args.end,
            deadline=args.deadline,
            checks=args.checks,
        )
    if args.action == "extend":
        return region.build(
            CampaignExtended, occurred_at=at, campaign_id=args.id, deadline=args.deadline
        )
    return region.build(CampaignClosed, occurred_at=at, campaign_id=args.id, early=args.early)


async def publish(region: CountyNode, args: argparse.Namespace) -> int:
    try:
        event = build_event(region, args, dt.datetime.now(dt.UTC))
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"error: {first['msg']}", file=sys.stderr)
        return EXIT_USAGE
    async with region:
        await region.publish(event)
    print(f"{event.event_type} {args.id} at {event.occurred_at.isoformat()}")
    return 0


# The region's events a status needs from the validated topic (a byte test before decoding).
REGION_EVENTS = (
    b'"campaign_opened"',
    b'"campaign_extended"',
    b'"campaign_closed"',
    b'"clock_ticked"',
)


async def status(
    bootstrap: str, topic: str, args: argparse.Namespace, validated: str, **options: Any
) -> int:
    from streams.topic_reader import read_all

    events = await read_all(bootstrap, topic, unions.AlertEvent, client_options=options)
    report = progress(events, args.id)
    if args.id is not None and not report:
        print(f"error: no campaign {args.id!r} in the log (no progress published)", file=sys.stderr)
        return 1
    region = await read_all(
        bootstrap, validated, unions.CountyEvent, client_options=options, wanted=REGION_EVENTS
    )
    books = book(region)
    shown = zone(getattr(args, "utc", False))
    if args.format == "json":
        print(status_json(report, books, shown))
    else:
        print("\n".join(status_lines(report, books, shown)))
    return 0
