"""``liudong simulate``: simulated counties publish a generated scenario (:mod:`simulation`)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bootstrap import client_options
from entrypoints.arguments import EXIT_USAGE, AddParser, positive_float, positive_int
from infra.kafka.address import resolve_bootstrap
from infra.settings import Settings


def add_parser(add: AddParser) -> None:
    simulate = add("simulate", help="publish simulated counties' events, signed")
    simulate.add_argument("--counties", type=positive_int, default=10, help="origin counties")
    simulate.add_argument("--persons", type=positive_int, default=1000)
    simulate.add_argument("--months", type=positive_int, default=12)
    simulate.add_argument("--seed", type=int, default=2026)
    simulate.add_argument("--rate", type=positive_float, help="events per second (default: max)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bootstrap import services
    from infra.region import region_private_key
    from simulation.publisher import SimulationProgress, run_simulation
    from simulation.scenario import SimulationConfig

    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    try:
        config = SimulationConfig(
            counties=args.counties,
            persons=args.persons,
            months=args.months,
            seed=args.seed,
            region=settings.region_code,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    def progress(p: SimulationProgress) -> None:
        print(
            f"{p.events} events, {p.messages} messages, event time {p.event_time:%Y-%m-%d}",
            file=sys.stderr,
            flush=True,
        )

    async def go() -> int:
        await services.ensure_catalog(settings, bootstrap)
        report = await run_simulation(
            config,
            bootstrap_servers=bootstrap,
            topic_prefix=settings.topic_prefix,
            keys_dir=settings.keys_dir / "simulation",
            region_key=region_private_key(settings, create=True),
            person_key_secret=services.person_secret(settings),
            rate=args.rate,
            progress=progress,
            client_options=client_options(settings),
        )
        print("\n".join(report.lines()))
        return 0

    return asyncio.run(go())
