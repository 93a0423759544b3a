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
from typing import TYPE_CHECKING, get_args

from contracts.types import CheckKind
from entrypoints.arguments import (
    EXIT_USAGE,
    AddParser,
    UsageParser,
    county_code,
    instant,
    utc_flag,
)

if TYPE_CHECKING:
    from infra.settings import Settings

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
    utc_flag(status)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bootstrap import client_options
    from entrypoints.campaign_actions import publish, status
    from entrypoints.preflight import region_node
    from infra.kafka.address import resolve_bootstrap
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
