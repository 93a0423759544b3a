"""``liudong worker``: checks that the catalog's topics exist, then runs a worker process
(:mod:`entrypoints.worker`)."""

from __future__ import annotations

import argparse

from entrypoints.arguments import AddParser
from entrypoints.preflight import catalog_ready
from infra.kafka.address import resolve_bootstrap
from infra.settings import Settings


def add_parser(add: AddParser) -> None:
    add("worker", help="run a Faust worker with every agent")


def run(args: argparse.Namespace, settings: Settings) -> int:
    kafka = resolve_bootstrap(settings)
    if kafka is None or not catalog_ready(settings, kafka):
        return 1
    from entrypoints.worker import run_worker  # Faust: imported only once the topics are there

    return run_worker(settings.model_copy(update={"kafka_bootstrap": kafka}))
