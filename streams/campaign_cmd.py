"""``liudong campaign open|extend|close|status``: the region's clean-up campaigns (清理清查).

Opening, extending and closing publish a signed region event (broadcast to every partition,
like a tick); the agents then find the tasks in their live state (agents.campaign_rules).
``status`` sums each agent partition's newest ``campaign_progress_published`` figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, get_args

from pydantic import ValidationError

from contracts import unions
from contracts.envelope import Envelope
from contracts.events.campaigns import CampaignClosed, CampaignExtended, CampaignOpened
from contracts.events.derived import CampaignProgressPublished
from contracts.types import CheckKind
from streams.county_node import CountyNode

EXIT_USAGE = 2
CHECKS: tuple[str, ...] = get_args(CheckKind)


def configure(
    parser: argparse.ArgumentParser,
    *,
    instant: Callable[[str], dt.datetime],
    county_code: Callable[[str], str],
    parser_class: type[argparse.ArgumentParser],
) -> None:
    sub = parser.add_subparsers(dest="action", required=True, parser_class=parser_class)

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


def progress(events: Sequence[Any], campaign_id: str | None) -> dict[str, dict[str, Any]]:
    """Per campaign: the sum over partitions of each one's newest figures, by county and kind."""
    newest: dict[tuple[str, int], CampaignProgressPublished] = {}
    for e in events:
        if not isinstance(e, CampaignProgressPublished):
            continue
        if campaign_id is not None and e.campaign_id != campaign_id:
            continue
        key = (e.campaign_id, e.partition)
        if key not in newest or e.occurred_at >= newest[key].occurred_at:
            newest[key] = e
    out: dict[str, dict[str, Any]] = {}
    for (cid, _), e in sorted(newest.items()):
        doc = out.setdefault(cid, {"closed": False, "figures": {}})
        doc["closed"] = doc["closed"] or e.closed
        for f in e.figures:
            row = doc["figures"].setdefault((f.county, f.check), [0, 0, 0])
            row[0] += f.assigned
            row[1] += f.answered
            row[2] += f.overdue
    return out


def status_lines(report: dict[str, dict[str, Any]]) -> list[str]:
    if not report:
        return ["no campaign progress published yet"]
    lines = []
    for cid, doc in report.items():
        rows = doc["figures"]
        total = [sum(r[i] for r in rows.values()) for i in range(3)]
        state = "closed" if doc["closed"] else "open"
        lines.append(
            f"{cid} ({state}): {total[0]} assigned, {total[1]} answered, {total[2]} overdue"
        )
        lines.append(
            f"  {'county':<6}  {'check':<18}  {'assigned':>8}  {'answered':>8}  {'overdue':>7}"
        )
        for (county, check), (assigned, answered, overdue) in sorted(rows.items()):
            lines.append(f"  {county:<6}  {check:<18}  {assigned:>8}  {answered:>8}  {overdue:>7}")
    return lines


def status_json(report: dict[str, dict[str, Any]]) -> str:
    doc = {
        cid: {
            "closed": d["closed"],
            "figures": [
                {"county": c, "check": k, "assigned": a, "answered": n, "overdue": o}
                for (c, k), (a, n, o) in sorted(d["figures"].items())
            ],
        }
        for cid, d in report.items()
    }
    return json.dumps(doc, ensure_ascii=False, indent=1)


async def status(bootstrap: str, topic: str, args: argparse.Namespace, **options: Any) -> int:
    from streams.topic_reader import read_all

    events = await read_all(bootstrap, topic, unions.AlertEvent, client_options=options)
    report = progress(events, args.id)
    if args.id is not None and not report:
        print(f"error: no campaign {args.id!r} in the log (no progress published)", file=sys.stderr)
        return 1
    print(status_json(report) if args.format == "json" else "\n".join(status_lines(report)))
    return 0
