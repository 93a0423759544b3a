"""``liudong scorecard``: the assessment service's results.

* ``scorecard --period P [--county CODE] [--scope region|all] [--format table|json]``: the
  newest revision of every county's scorecard on the scorecards topic, as the league ranks it
  (:mod:`contracts.league`), with the region average; a side not assessed shows 不参评 (null
  in JSON);
* ``scorecard explain --county CODE --period P --indicator NAME [--side S]``: folds the log
  and lists the obligations and events behind the value; for ``agreement_coverage``, the
  flows behind it (pairs and persons), from a replay of the log;
* ``scorecard whatif --period P --config FILE [--base FILE]``: the league table the log
  gives under another weight file, against the base one; nothing is published.

Periods are :mod:`contracts.periods` (a month or a quarter). Import-light (argparse only at
import): ``entrypoints/cli.py`` calls :func:`add_parser` while building its parser, and
:func:`run` to dispatch. Bad arguments: one line, exit 2; nothing to show (no scorecard for
the period or the county, a period not yet closed): one line, exit 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from entrypoints.arguments import EXIT_USAGE, AddParser, assessed_period, county_code
from entrypoints.scorecard_docs import SIDES

if TYPE_CHECKING:
    from infra.settings import Settings

EXIT_NOTHING = 1


def add_parser(add: AddParser) -> None:
    configure(add("scorecard", help="two-way assessment: league table, explain, what-if"))


def configure(parser: argparse.ArgumentParser) -> None:
    from contracts.league import SCOPES

    parser.add_argument(
        "--period", type=assessed_period, help="a month (2026-03) or quarter (2026-Q1)"
    )
    parser.add_argument("--county", type=county_code)
    parser.add_argument(
        "--scope",
        choices=SCOPES,
        default="region",
        help="region: the region's own counties (default); all: every county it deals with",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--utc", action="store_true", help="times in UTC (default: UTC+8)")
    actions = parser.add_subparsers(
        dest="scorecard_action", required=False, parser_class=type(parser)
    )
    _configure_explain(
        actions.add_parser("explain", help="the obligations and events behind a value")
    )
    _configure_whatif(
        actions.add_parser("whatif", help="ranks under another weight file, unpublished")
    )


def _configure_explain(explain: argparse.ArgumentParser) -> None:
    from agents.assessment_config import INDICATORS

    explain.add_argument("--county", type=county_code, required=True)
    explain.add_argument("--period", type=assessed_period, required=True)
    explain.add_argument("--indicator", choices=[i.name for i in INDICATORS], required=True)
    explain.add_argument("--side", choices=SIDES, help="default: every side it applies to")
    explain.add_argument("--format", choices=("table", "json"), default="table")


def _configure_whatif(whatif: argparse.ArgumentParser) -> None:
    from contracts.league import SCOPES

    whatif.add_argument("--period", type=assessed_period, required=True)
    whatif.add_argument("--config", type=Path, required=True, help="the weight file to try")
    whatif.add_argument("--base", type=Path, help="compare with (default: the shipped file)")
    whatif.add_argument("--scope", choices=SCOPES, default="region")
    whatif.add_argument("--format", choices=("table", "json"), default="table")


def _error(message: str, code: int = EXIT_USAGE) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace, settings: Settings) -> int:
    """``liudong scorecard [explain|whatif]``."""
    from agents import assessment_config as cfg
    from infra.kafka.address import resolve_bootstrap

    action = getattr(args, "scorecard_action", None)
    if action is None and args.period is None:
        return _error("scorecard needs --period (a month such as 2026-03 or a quarter 2026-Q1)")
    # Everything that can be checked without the broker is checked first.
    if action == "explain":
        for side in [args.side] if args.side else []:
            if side not in cfg.BY_NAME[args.indicator].sides:
                return _error(f"{args.indicator} is not an indicator of the {side} side")
    configs: tuple[cfg.AssessmentConfig, ...] = ()
    try:
        if action == "whatif":
            configs = (cfg.load(args.config), cfg.load(args.base))
    except cfg.ConfigError as exc:
        return _error(str(exc))
    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    from entrypoints.scorecard_actions import NothingToShow, explain, league, whatif

    try:
        if action == "explain":
            return explain(bootstrap, settings, args)
        if action == "whatif":
            trial, base = configs
            return whatif(bootstrap, settings, args, trial=trial, base=base)
        return league(bootstrap, settings, args)
    except NothingToShow as exc:
        return _error(str(exc), EXIT_NOTHING)
    except LookupError as exc:
        return _error(str(exc))
