"""``liudong bench [--quick] [--only STAGE]`` and ``liudong bench soak``
(:mod:`benchmarks`).

Import-light (argparse only at import): ``entrypoints/cli.py`` calls :func:`add_parser` while
building its parser, for every command, and :func:`run` to dispatch.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from entrypoints.arguments import AddParser, UsageParser, positive_float, soak_minutes

if TYPE_CHECKING:
    from infra.settings import Settings


def add_parser(add: AddParser) -> None:
    bench = add("bench", help="throughput, latency, replay, scale-out and memory")
    bench.add_argument("--quick", action="store_true", help="smaller counts (about 6-8 minutes)")
    bench.add_argument(
        "--only",
        choices=["memory", "pipeline", "replay"],
        help="memory: only the stages the state figures need (event set, one worker, memory, "
        "restart); pipeline: raw consume, the ceilings, plain Faust, one worker and latency; "
        "replay: raw consume, one worker and the replays",
    )
    bench_sub = bench.add_subparsers(dest="bench_action", required=False, parser_class=UsageParser)
    soak = bench_sub.add_parser("soak", help="sustained load; worker memory and lag over time")
    soak.add_argument("--minutes", type=soak_minutes, default=10.0, help="how long (default 10)")
    soak.add_argument("--rate", type=positive_float, default=50.0, help="events/s (default 50)")
    soak.add_argument(
        "--sample-every", type=positive_float, default=10.0, metavar="SECONDS", help="default 10"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from benchmarks import cmd_bench
    from benchmarks.soak import cmd_soak

    if args.bench_action == "soak":
        return cmd_soak(settings, args.minutes, args.rate, args.sample_every)
    return cmd_bench(settings, args.quick, args.only)
