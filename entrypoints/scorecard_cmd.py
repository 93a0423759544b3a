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
import): ``entrypoints/cli.py`` calls :func:`configure` while building its parser, and
:func:`run` to dispatch. Bad arguments: one line, exit 2; nothing to show (no scorecard for
the period or the county, a period not yet closed): one line, exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from entrypoints.arguments import EXIT_USAGE
from entrypoints.scorecard_docs import SIDES

if TYPE_CHECKING:
    from agents.assessment_config import AssessmentConfig
    from contracts.human_time import Zone
    from infra.settings import Settings

EXIT_NOTHING = 1


def period_arg(value: str) -> str:
    from agents.assessment_state import ASSESSED_KINDS
    from contracts import periods

    try:
        return periods.parse(value, ASSESSED_KINDS).text
    except periods.PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def county_arg(value: str) -> str:
    from contracts import divisions

    if divisions.county(value) is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a current GB/T 2260 county-level code")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    from contracts.league import SCOPES

    parser.add_argument("--period", type=period_arg, help="a month (2026-03) or quarter (2026-Q1)")
    parser.add_argument("--county", type=county_arg)
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

    explain.add_argument("--county", type=county_arg, required=True)
    explain.add_argument("--period", type=period_arg, required=True)
    explain.add_argument("--indicator", choices=[i.name for i in INDICATORS], required=True)
    explain.add_argument("--side", choices=SIDES, help="default: every side it applies to")
    explain.add_argument("--format", choices=("table", "json"), default="table")


def _configure_whatif(whatif: argparse.ArgumentParser) -> None:
    from contracts.league import SCOPES

    whatif.add_argument("--period", type=period_arg, required=True)
    whatif.add_argument("--config", type=Path, required=True, help="the weight file to try")
    whatif.add_argument("--base", type=Path, help="compare with (default: the shipped file)")
    whatif.add_argument("--scope", choices=SCOPES, default="region")
    whatif.add_argument("--format", choices=("table", "json"), default="table")


def _error(message: str, code: int = EXIT_USAGE) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


class NothingToShow(LookupError):
    """The log holds nothing for what was asked; the message is one line (exit 1)."""


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
    try:
        if action == "explain":
            return cmd_explain(bootstrap, settings, args)
        if action == "whatif":
            trial, base = configs
            return cmd_whatif(bootstrap, settings, args, trial=trial, base=base)
        return cmd_list(bootstrap, settings, args)
    except NothingToShow as exc:
        return _error(str(exc), EXIT_NOTHING)
    except LookupError as exc:
        return _error(str(exc))


def cmd_list(bootstrap: str, settings: Settings, args: argparse.Namespace) -> int:
    from agents import assessment_config as cfg
    from bootstrap.scorecards import log_clock, newest_cards
    from entrypoints.scorecard_docs import card_json, league_of, nothing_for, scores_json
    from entrypoints.scorecard_text import table_lines

    shown_zone = _zone(args)
    newest = newest_cards(bootstrap, settings)
    cards = {c.county: c for (_, period), c in newest.items() if period == args.period}
    if not cards:
        clock = log_clock(bootstrap, settings)
        raise NothingToShow(nothing_for(args.period, clock, shown_zone, cfg.load()))
    table = league_of(list(cards.values()), region=settings.region_code, scope=args.scope)
    shown = [s for s in table.standings if args.county is None or s.county == args.county]
    if args.county is not None and not shown:
        where = "in the region's league" if args.scope == "region" else "for it"
        raise NothingToShow(
            f"county {args.county} has no scorecard for {args.period} {where}"
            + (" (try --scope all)" if args.scope == "region" else "")
        )
    if args.format == "json":
        doc = {
            "period": args.period,
            "scope": args.scope,
            "ranked": bool(table.ranked),
            "region_average": scores_json(table.average),
            "scorecards": [card_json(s, cards[s.county], shown_zone) for s in shown],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        print("\n".join(table_lines(shown, table.average, cards, ranked=bool(table.ranked))))
    print(f"{len(shown)} scorecard(s) for {args.period} ({args.scope})", file=sys.stderr)
    return 0


def cmd_explain(bootstrap: str, settings: Settings, args: argparse.Namespace) -> int:
    from agents import assessment_config as cfg
    from agents.assessment import AssessmentError
    from bootstrap.scorecards import fold_log, replayed_flows
    from entrypoints.scorecard_docs import explanation
    from entrypoints.scorecard_text import explanation_lines

    sides = [args.side] if args.side else list(cfg.BY_NAME[args.indicator].sides)
    try:
        state = fold_log(bootstrap, settings, cfg.load())
    except AssessmentError as exc:
        return _error(str(exc))
    flows = replayed_flows(bootstrap, settings) if args.indicator == "agreement_coverage" else None
    docs = [
        explanation(state, args.county, args.period, side, args.indicator, flows=flows)
        for side in sides
    ]
    if args.format == "json":
        print(json.dumps(docs, ensure_ascii=False, indent=1))
        return 0
    for doc in docs:
        print("\n".join(explanation_lines(doc)))
    return 0


def cmd_whatif(
    bootstrap: str,
    settings: Settings,
    args: argparse.Namespace,
    *,
    trial: AssessmentConfig,
    base: AssessmentConfig,
) -> int:
    from agents import assessment_rules as rules
    from agents.assessment import AssessmentError
    from bootstrap.scorecards import fold_log, log_clock
    from entrypoints.scorecard_docs import nothing_for, whatif_rows
    from entrypoints.scorecard_text import whatif_lines

    try:
        state = fold_log(bootstrap, settings, base)
    except AssessmentError as exc:
        return _error(str(exc))
    scope = args.scope
    region = settings.region_code
    rows = whatif_rows(
        rules.standings(state, args.period, base, region=region, scope=scope).standings,
        rules.standings(state, args.period, trial, region=region, scope=scope).standings,
    )
    if not rows:
        clock = log_clock(bootstrap, settings)
        raise NothingToShow(nothing_for(args.period, clock, _zone(args), base))
    if args.format == "json":
        doc = {"period": args.period, "scope": scope, "rows": rows}
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        print("\n".join(whatif_lines(rows)))
        print(
            f"what-if for {args.period} under {args.config}: nothing was published", file=sys.stderr
        )
    return 0


def _zone(args: argparse.Namespace) -> Zone:
    from contracts.human_time import zone

    return zone(getattr(args, "utc", False))
