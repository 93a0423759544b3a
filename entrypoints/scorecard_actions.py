"""What ``liudong scorecard`` does once its arguments are checked: the league table, the
explanation of a value, a what-if under another weight file. Each reads the log through the
composition root (:mod:`bootstrap.scorecards`) and prints a document
(:mod:`entrypoints.scorecard_docs`, :mod:`entrypoints.scorecard_text`);
:mod:`entrypoints.scorecard_cmd` maps their errors to exit codes.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.assessment_config import AssessmentConfig
    from contracts.human_time import Zone
    from infra.settings import Settings


class NothingToShow(LookupError):
    """The log holds nothing for what was asked; the message is one line (exit 1)."""


class ScorecardError(LookupError):
    """The log cannot be assessed as asked; the message is one line (exit 2)."""


def league(bootstrap: str, settings: Settings, args: argparse.Namespace) -> int:
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


def explain(bootstrap: str, settings: Settings, args: argparse.Namespace) -> int:
    from agents import assessment_config as cfg
    from agents.assessment import AssessmentError
    from bootstrap.scorecards import fold_log, replayed_flows
    from entrypoints.scorecard_docs import explanation
    from entrypoints.scorecard_text import explanation_lines

    sides = [args.side] if args.side else list(cfg.BY_NAME[args.indicator].sides)
    try:
        state = fold_log(bootstrap, settings, cfg.load())
    except AssessmentError as exc:
        raise ScorecardError(str(exc)) from exc
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


def whatif(
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
        raise ScorecardError(str(exc)) from exc
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
