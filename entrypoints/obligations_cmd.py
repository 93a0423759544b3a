"""``liudong obligations``: the obligations as the running system holds them, in the
vocabulary's words (:mod:`contracts.obligation_vocabulary`).

``--state`` takes a count's name (open, due_soon, overdue, breached, fulfilled_on_time,
fulfilled_late, escalated, cancelled) and lists what that count counts; the table ends with
every count for the county (or the region). Times are Beijing time unless ``--utc``. JSON:
``{"clock", "county", "state", "counts", "obligations"}``, each obligation with its status,
flags and its opened, due, reminded, breached, escalated, fulfilled and cancelled instants.

Import-light (argparse only at import): ``entrypoints/cli.py`` calls :func:`add_parser` while
building its parser and :func:`run` to dispatch.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

from bootstrap import client_options
from entrypoints.arguments import EXIT_USAGE, AddParser, county_code
from infra.kafka.address import resolve_bootstrap
from infra.settings import Settings

if TYPE_CHECKING:
    from infra.settings import Settings

EXIT_NOTHING = 1


def add_parser(add: AddParser) -> None:
    configure(add("obligations", help="list and count obligations, in the vocabulary's words"))


def configure(parser: argparse.ArgumentParser) -> None:
    from contracts import obligation_vocabulary as vocabulary

    parser.add_argument("--county", type=county_code)
    parser.add_argument(
        "--state",
        choices=vocabulary.NAMES,
        help="a count: " + "; ".join(f"{c.name}: {c.meaning}" for c in vocabulary.COUNTS),
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--utc", action="store_true", help="times in UTC (default: UTC+8)")


def show(args: argparse.Namespace, settings: Settings, bootstrap: str, options: Any) -> int:
    from audit import obligation_view
    from contracts import obligation_vocabulary as vocabulary
    from contracts.human_time import zone

    try:
        events, clock = asyncio.run(_read_log(settings, bootstrap, options))
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    rows = obligation_view.fold(events).values()
    if args.county is not None and not any(
        args.county in (r.responsible, r.counterpart) for r in rows
    ):
        print(f"error: county {args.county} is party to no obligation in the log", file=sys.stderr)
        return EXIT_NOTHING
    mine = obligation_view.select(rows, county=args.county, state=None)
    counts = vocabulary.counts(mine, clock)
    chosen = obligation_view.select(mine, county=None, state=args.state, clock=clock)
    shown = zone(args.utc)
    if args.format == "json":
        doc = {
            "clock": shown.iso(clock),
            "county": args.county,
            "state": args.state,
            "counts": counts,
            "obligations": [r.as_json(shown) for r in chosen],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=1))
        return 0
    _print_table(chosen, counts, clock, shown, county=args.county)
    print(f"{len(chosen)} obligation(s)", file=sys.stderr)
    return 0


async def _read_log(settings: Settings, bootstrap: str, options: Any) -> tuple[list[Any], Any]:
    """The obligations topic, and the logical clock the statuses are judged at."""
    from contracts import unions
    from streams import topics
    from streams.logical_clock import latest_tick
    from streams.topic_reader import read_all

    events = await read_all(
        bootstrap,
        topics.OBLIGATIONS.full_name(settings.topic_prefix),
        unions.ObligationEvent,
        client_options=options,
    )
    clock = await latest_tick(
        bootstrap, topics.VALIDATED.full_name(settings.topic_prefix), client_options=options
    )
    return events, clock


def _print_table(
    chosen: list[Any], counts: dict[str, int], clock: Any, shown: Any, *, county: str | None
) -> None:
    from contracts import obligation_vocabulary as vocabulary

    print(
        f"{'due (' + shown.name + ')':<17} {'status':<17} {'kind':<24} {'on':<6} {'for':<6} "
        f"{'flags':<26} person"
    )
    for r in chosen:
        print(
            f"{shown.minutes(r.due_at):<17} {r.status:<17} {r.kind:<24} {r.responsible:<6} "
            f"{r.counterpart:<6} {','.join(r.flags()) or '-':<26} {r.person_key}"
        )
    where = f"county {county}" if county else "the region"
    print(f"counts for {where}, logical clock {shown.show(clock)}:")
    for c in vocabulary.COUNTS:
        print(f"  {c.name:<17} {counts[c.name]:>7}  {c.zh} / {c.en}")


def run(args: argparse.Namespace, settings: Settings) -> int:
    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    return show(args, settings, bootstrap, client_options(settings))
