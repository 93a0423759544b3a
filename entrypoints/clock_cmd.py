"""``liudong clock``: the region's logical clock in live operation.

Each tick is a signed ClockTicked event broadcast to every partition; deadlines fire on
ticks only. Live, event time is the wall clock here, at the clock service and nowhere else.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import signal
import sys
from collections.abc import Callable

from contracts.events.clock import ClockTicked
from entrypoints.arguments import EXIT_USAGE, AddParser, instant, positive_float
from entrypoints.preflight import region_node
from infra.settings import Settings
from streams.county_node import CountyNode


def add_parser(add: AddParser) -> None:
    clock = add("clock", help="publish the region's logical clock ticks")
    clock.add_argument(
        "--every",
        type=positive_float,
        default=60.0,
        metavar="SECONDS",
        help="seconds between ticks (default 60)",
    )
    clock.add_argument("--at", type=instant, help="publish one tick at this ISO instant")
    clock.add_argument("--count", type=int, help="stop after this many ticks")


async def run_clock(
    region: CountyNode,
    *,
    at: dt.datetime | None,
    every_s: float,
    count: int | None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sent = 0
    async with region:
        while not stop.is_set() and (count is None or sent < count):
            instant = at if at is not None else now()
            await region.publish(region.build(ClockTicked, occurred_at=instant))
            sent += 1
            print(f"tick {instant.isoformat()}", flush=True)
            if at is not None:
                break
            try:
                await asyncio.wait_for(stop.wait(), every_s)
            except TimeoutError:
                continue
    print(f"published {sent} tick(s)", file=sys.stderr)
    return 0


def run(args: argparse.Namespace, settings: Settings) -> int:

    region = region_node(settings)
    if region is None:
        return EXIT_USAGE
    return asyncio.run(run_clock(region, at=args.at, every_s=args.every, count=args.count))
