"""``liudong campaign open|extend|close|status``: the region's clean-up campaigns (清理清查).

Opening, extending and closing publish a signed region event (broadcast to every partition,
like a tick); the agents then find the tasks in their live state (agents.campaign_rules).
``status`` sums each agent partition's newest ``campaign_progress_published`` figures, and
shows each campaign's period, deadline and state by the logical clock (an open campaign past
its deadline says so: :mod:`contracts.campaign_status`), read from the validated topic.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from typing import Any, get_args

from pydantic import ValidationError

from bootstrap import client_options
from contracts import unions
from contracts.campaign_book import book
from contracts.campaign_status import progress
from contracts.envelope import Envelope
from contracts.events.campaigns import CampaignClosed, CampaignExtended, CampaignOpened
from contracts.human_time import zone
from contracts.types import CheckKind
from entrypoints.arguments import EXIT_USAGE, AddParser, UsageParser, county_code, instant
from entrypoints.campaign_text import status_json, status_lines
from entrypoints.preflight import region_node
from infra.kafka.address import resolve_bootstrap
from infra.settings import Settings
from streams.county_node import CountyNode

CHECKS: tuple[str, ...] = get_args(CheckKind)


def add_parser(add: AddParser) -> None:
    configure(add("campaign", help="clean-up campaigns (清理清查): open, extend, close, status"))


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, parser_class=UsageParser)

    def codes(value: str) -> tuple[str, ...]:
        return tuple(county_code(code.strip()) for code in value.split(",") if code.strip())

    def checks(value: str) -> tuple[str, ...]:
        wanted = tuple(c.strip() for c in value.split(",") if c.strip())
        unknown = [c for c in wanted if c not in CHECKS]
        if unknown or not wanted:
            raise argparse.ArgumentTypeError(f"checks are some of {', '.join(CHECKS)}")
        return wanted

    at_help = "the event's instant (default: now; the campaign's own clock is the ticks)"
    opened = sub.add_parser("open", help="open a campaign over some counties")
    opened.add_argument("--id", required=True, help="campaign id, e.g. qingcha-2026-h1")
    opened.add_argument(
        "--counties", type=codes, required=True, help="county codes, comma-separated"
    )
    opened.add_argument("--start", type=instant, required=True, help="period start (ISO instant)")
    opened.add_argument("--end", type=instant, required=True, help="period end (ISO instant)")
    opened.add_argument("--deadline", type=instant, required=True, help="tasks are due then")
    opened.add_argument("--checks", type=checks, default=CHECKS, help="comma-separated kinds")
    opened.add_argument("--at", type=instant, help=at_help)
    extended = sub.add_parser("extend", help="move a campaign's deadline later")
    extended.add_argument("--id", required=True)
    extended.add_argument("--deadline", type=instant, required=True)
    extended.add_argument("--at", type=instant, help=at_help)
    closed = sub.add_parser("close", help="close a campaign; unanswered tasks are cancelled")
    closed.add_argument("--id", required=True)
    closed.add_argument("--early", action="store_true", help="closed before its deadline")
    closed.add_argument("--at", type=instant, help=at_help)
    status = sub.add_parser("status", help="tasks assigned, answered and overdue")
    status.add_argument("--id", help="one campaign (default: all)")
    status.add_argument("--format", choices=("table", "json"), default="table")
    status.add_argument("--utc", action="store_true", help="times in UTC (default: UTC+8)")


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


def run(args: argparse.Namespace, settings: Settings) -> int:
    from streams import topics

    if args.action == "status":
        bootstrap = resolve_bootstrap(settings)
        if bootstrap is None:
            return EXIT_USAGE
        topic = topics.ALERTS.full_name(settings.topic_prefix)
        validated = topics.VALIDATED.full_name(settings.topic_prefix)
        return asyncio.run(status(bootstrap, topic, args, validated, **client_options(settings)))
    region = region_node(settings)
    if region is None:
        return EXIT_USAGE
    return asyncio.run(publish(region, args))
