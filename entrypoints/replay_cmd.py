"""``liudong replay``'s flags, and the hand-over to :mod:`audit.replay.command`.

Import-light (argparse and the position parser only): ``entrypoints/cli.py`` calls
:func:`add_parser` while it builds its parser, for every command, and :func:`run` to
dispatch. A bad value is refused by argparse: one line, exit 2.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING

from audit.replay.positions import PositionError, parse_position
from entrypoints.arguments import AddParser

if TYPE_CHECKING:
    from infra.settings import Settings

WAIT_S = 10.0


def position_arg(value: str) -> dict[int, int]:
    try:
        return parse_position(value)
    except PositionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def wait_arg(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be 0 or more seconds")
    return seconds


def prefix_arg(value: str) -> str:
    if not value or any(not (c.isalnum() or c in "._-") for c in value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a topic prefix (letters, digits, '.', '_' and '-')"
        )
    return value


def add_parser(add: AddParser) -> None:
    configure(add("replay", help="rebuild derived state from the log; prove it equals live"))


def configure(parser: argparse.ArgumentParser) -> None:
    from entrypoints.arguments import county_code, instant, positive_int, utc_flag

    at = parser.add_mutually_exclusive_group()
    at.add_argument("--as-of", type=instant, help="the state as it stood at this ISO instant")
    at.add_argument(
        "--at-position",
        type=position_arg,
        metavar="P:O,...",
        help="the state up to this validated position (next offset per partition)",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="compare with what the live system derived (every derived topic, scorecards, "
        "the projection when at rest); exit 1 on a difference",
    )
    parser.add_argument(
        "--county", type=county_code, help="one county's snapshot: cases, obligations, scores"
    )
    parser.add_argument(
        "--workers", type=positive_int, default=1, help="replay processes (default 1)"
    )
    parser.add_argument(
        "--report", type=Path, metavar="FILE", help="with --verify: write the signed record"
    )
    parser.add_argument(
        "--check-report",
        type=Path,
        metavar="FILE",
        help="check a signed record's signature (and, with --recompute, its digests)",
    )
    parser.add_argument(
        "--recompute", action="store_true", help="with --check-report: replay the log again"
    )
    parser.add_argument("--config", type=Path, help="weight file (default: the shipped one)")
    parser.add_argument(
        "--derived-prefix",
        type=prefix_arg,
        help="with --verify: read the derived topics under this prefix (a copy, a mirror)",
    )
    parser.add_argument(
        "--wait",
        type=wait_arg,
        default=WAIT_S,
        metavar="SECONDS",
        help=f"with --verify: how long to wait for rest (projection, scorecards; {WAIT_S:g})",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    utc_flag(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from audit.replay.command import run as run_command
    from audit.replay.options import Options
    from contracts.human_time import zone

    options = Options(
        as_of=args.as_of,
        at_position=args.at_position,
        verify=args.verify,
        county=args.county,
        workers=args.workers,
        report=args.report,
        check_report=args.check_report,
        recompute=args.recompute,
        config=args.config,
        derived_prefix=args.derived_prefix,
        wait_s=args.wait,
        fmt=args.format,
        zone=zone(args.utc),
    )
    return run_command(settings, options)
