"""``liudong bench [--quick] [--only STAGE]`` and ``liudong bench soak``
(:mod:`benchmarks`)."""

from __future__ import annotations

import argparse

from benchmarks import cmd_bench
from benchmarks.soak import cmd_soak
from infra.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.bench_action == "soak":
        return cmd_soak(settings, args.minutes, args.rate, args.sample_every)
    return cmd_bench(settings, args.quick, args.only)
