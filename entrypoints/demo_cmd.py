"""``liudong demo [--duration SECONDS]``: the whole system on one machine (:mod:`entrypoints.demo`).

Import-light (argparse only at import): the demo pulls in the simulator, asyncpg and the
dashboard, which ``--help`` and a bad argument should not wait for.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from entrypoints.arguments import AddParser

if TYPE_CHECKING:
    from infra.settings import Settings


def add_parser(add: AddParser) -> None:
    demo = add("demo", help="broker, database, gate and a small scenario")
    demo.add_argument(
        "--duration",
        type=float,
        default=20.0,
        help="seconds to keep running after the scenario (0: until Ctrl-C)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from entrypoints.demo import Demo

    return Demo(settings, args.duration).run()
