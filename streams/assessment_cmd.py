"""``liudong assess`` (the assessment service) and ``liudong scorecard`` (its results).

* ``scorecard --period P [--county CODE] [--format table|json]``: the newest revision of
  every county's scorecard on the scorecards topic, ranked, with the region average;
* ``scorecard explain --county CODE --period P --indicator NAME [--side S]``: folds the log
  and lists the obligations and events behind the value;
* ``scorecard whatif --period P --config FILE [--base FILE]``: the league table the log
  gives under another weight file, against the base one; nothing is published.

Import-light (argparse only at import): ``streams/cli.py`` calls ``configure_*`` while
building its parser, and ``run_*`` to dispatch. Bad arguments: one line, exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.assessment_config import AssessmentConfig, Scores, Standing
    from agents.assessment_rules import AssessmentState
    from contracts.events.derived import ScorecardPublished
    from infra.settings import Settings

EXIT_USAGE = 2
SIDES = ("origin", "destination")


def period_arg(value: str) -> str:
    from agents.assessment_rules import period_bounds

    try:
        period_bounds(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def county_arg(value: str) -> str:
    from contracts import divisions

    if divisions.county(value) is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a current GB/T 2260 county-level code")
    return value


def configure_assess(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="weight file (default: the shipped one)")


def configure_scorecard(parser: argparse.ArgumentParser) -> None:
    from agents.assessment_config import INDICATORS

    parser.add_argument("--period", type=period_arg, help="a month (2026-03) or quarter (2026-Q1)")
    parser.add_argument("--county", type=county_arg)
    parser.add_argument("--format", choices=("table", "json"), default="table")
    actions = parser.add_subparsers(
        dest="scorecard_action", required=False, parser_class=type(parser)
    )
    explain = actions.add_parser("explain", help="the obligations and events behind a value")
    explain.add_argument("--county", type=county_arg, required=True)
    explain.add_argument("--period", type=period_arg, required=True)
    explain.add_argument("--indicator", choices=[i.name for i in INDICATORS], required=True)
    explain.add_argument("--side", choices=SIDES, help="default: every side it applies to")
    explain.add_argument("--format", choices=("table", "json"), default="table")
    whatif = actions.add_parser("whatif", help="ranks under another weight file, unpublished")
    whatif.add_argument("--period", type=period_arg, required=True)
    whatif.add_argument("--config", type=Path, required=True, help="the weight file to try")
    whatif.add_argument("--base", type=Path, help="compare with (default: the shipped file)")
    whatif.add_argument("--format", choices=("table", "json"), default="table")


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _bootstrap(settings: Settings) -> str | None:
    from streams.cli import resolve_bootstrap

    return resolve_bootstrap(settings)


# --- liudong assess ------------------------------------------------------------------------------


def run_assess(args: argparse.Namespace, settings: Settings) -> int:
    from agents.assessment import AssessmentError, AssessmentService
    from agents.assessment_config import ConfigError, load
    from streams.admin import ensure_topics

    try:
        config = load(args.config)
    except ConfigError as exc:
        return _error(str(exc))
    bootstrap = _bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE

    async def go() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await ensure_topics(
            bootstrap,
            prefix=settings.topic_prefix,
            partitions=settings.partitions,
            replication_factor=settings.replication_factor,
            max_event_bytes=settings.max_event_bytes,
        )
        service = AssessmentService(
            bootstrap, settings.topic_prefix, region=settings.region_code, config=config
        )
        try:
            await service.run(stop)
        except AssessmentError as exc:
            return _error(str(exc))
        return 0

    return asyncio.run(go())


# --- liudong scorecard ---------------------------------------------------------------------------


def run_scorecard(args: argparse.Namespace, settings: Settings) -> int:
    from agents import assessment_config as cfg

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
    bootstrap = _bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    try:
        if action == "explain":
            return cmd_explain(bootstrap, settings, args)
        if action == "whatif":
            trial, base = configs
            return cmd_whatif(bootstrap, settings, args, trial=trial, base=base)
        return cmd_list(bootstrap, settings, args)
    except LookupError as exc:
        return _error(str(exc))


def newest_cards(bootstrap: str, prefix: str) -> dict[tuple[str, str], ScorecardPublished]:
    from agents import assessment_rules as rules
    from contracts import unions
    from streams import topics
    from streams.topic_reader import read_all

    cards = asyncio.run(
        read_all(bootstrap, topics.SCORECARDS.full_name(prefix), unions.ScorecardEvent)
    )
    return rules.newest(cards)


def league(cards: list[ScorecardPublished]) -> tuple[list[Standing], Scores]:
    """Rank the newest cards of one period; a side without any figure shows no score."""
    from agents import assessment_config as cfg

    def applies(card: ScorecardPublished, side: str) -> bool:
        return any(i.denominator > 0 for i in card.indicators if i.side == side)

    rows = []
    for card in cards:
        origin = card.origin_score if applies(card, "origin") else None
        destination = card.destination_score if applies(card, "destination") else None
        combined = card.combined_score if (origin, destination) != (None, None) else None
        rows.append(
            cfg.Standing(card.county, cfg.Scores(origin, destination, combined), card.revision)
        )
    ranked = cfg.rank(rows)
    return ranked, cfg.region_average(ranked)


def cmd_list(bootstrap: str, settings: Settings, args: argparse.Namespace) -> int:
    newest = newest_cards(bootstrap, settings.topic_prefix)
    cards = {c.county: c for (_, period), c in newest.items() if period == args.period}
    ranked, average = league(list(cards.values()))
    shown = [s for s in ranked if args.county is None or s.county == args.county]
    if args.format == "json":
        doc = {
            "period": args.period,
            "region_average": _scores_json(average),
            "scorecards": [_card_json(s, cards[s.county]) for s in shown],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        print("\n".join(table_lines(shown, average, cards)))
    print(f"{len(shown)} scorecard(s) for {args.period}", file=sys.stderr)
    return 0


def table_lines(
    ranked: list[Standing], average: Scores, cards: dict[str, ScorecardPublished]
) -> list[str]:
    lines = [
        f"{'rank':>4}  {'county':<6}  {'origin':>7}  {'destination':>11}  {'combined':>8}  "
        f"{'revision':>8}  name"
    ]
    for s in ranked:
        lines.append(
            f"{s.rank or '-':>4}  {s.county:<6}  {_fmt(s.scores.origin):>7}  "
            f"{_fmt(s.scores.destination):>11}  {_fmt(s.scores.combined):>8}  "
            f"{s.revision or 0:>8}  {_name(s.county)}"
        )
    lines.append(
        f"{'':>4}  {'region':<6}  {_fmt(average.origin):>7}  {_fmt(average.destination):>11}  "
        f"{_fmt(average.combined):>8}  {'':>8}  average"
    )
    for s in ranked:
        card = cards[s.county]
        if card.revision > 1:
            lines.append(f"  {s.county} revision {card.revision}: {card.reason}")
    return lines


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _name(county: str) -> str:
    from contracts import divisions

    division = divisions.county(county)
    return division.name if division else ""


def _scores_json(s: Scores) -> dict[str, float | None]:
    return {"origin": s.origin, "destination": s.destination, "combined": s.combined}


def _card_json(s: Standing, card: ScorecardPublished) -> dict[str, Any]:
    return {
        "rank": s.rank or None,
        "county": s.county,
        "name": _name(s.county),
        "scores": _scores_json(s.scores),
        "revision": card.revision,
        "reason": card.reason,
        "published_at": card.occurred_at.isoformat(),
        "event_id": str(card.event_id),
        "indicators": [i.model_dump(mode="json") for i in card.indicators],
    }


# --- explain and what-if: folded from the log --------------------------------------------------


def fold_log(bootstrap: str, settings: Settings, config: AssessmentConfig) -> AssessmentState:
    from agents.assessment import AssessmentService

    service = AssessmentService(
        bootstrap,
        settings.topic_prefix,
        region=settings.region_code,
        config=config,
        topic_wait_s=5.0,
    )
    return asyncio.run(service.load())


def cmd_explain(bootstrap: str, settings: Settings, args: argparse.Namespace) -> int:
    from agents import assessment_config as cfg
    from agents.assessment import AssessmentError

    sides = [args.side] if args.side else list(cfg.BY_NAME[args.indicator].sides)
    try:
        state = fold_log(bootstrap, settings, cfg.load())
    except AssessmentError as exc:
        return _error(str(exc))
    docs = [explanation(state, args.county, args.period, side, args.indicator) for side in sides]
    if args.format == "json":
        print(json.dumps(docs, ensure_ascii=False, indent=1))
        return 0
    for doc in docs:
        print("\n".join(explanation_lines(doc)))
    return 0


def explanation(
    state: AssessmentState, county: str, period: str, side: str, name: str
) -> dict[str, Any]:
    from agents import assessment_rules as rules

    lineage = rules.explain(
        state, county, period, "origin" if side == "origin" else "destination", name
    )

    def obligations(ids: set[str]) -> list[dict[str, Any]]:
        return [
            {
                "obligation_id": ob.obligation_id,
                "kind": ob.kind,
                "responsible": ob.responsible,
                "counterpart": ob.counterpart,
                "opened_at": ob.opened_at.isoformat(),
                "outcome": _outcome(ob),
                "events": ob.events,
            }
            for ob in rules.iter_obligations(state, ids)
        ]

    return {
        "county": county,
        "period": period,
        "side": side,
        "indicator": name,
        "numerator": lineage.numerator,
        "denominator": lineage.denominator,
        "numerator_obligations": obligations(lineage.numerator_obligations),
        "denominator_only_obligations": obligations(
            lineage.denominator_obligations - lineage.numerator_obligations
        ),
        "numerator_events": sorted(lineage.numerator_events),
        "denominator_events": sorted(lineage.denominator_events),
    }


def _outcome(ob: Any) -> str:
    if ob.cancelled:
        return "cancelled"
    if ob.fulfilled:
        return "fulfilled late" if ob.late else "fulfilled on time"
    if ob.escalated:
        return "escalated"
    return "breached" if ob.breached else "open"


def explanation_lines(doc: dict[str, Any]) -> list[str]:
    num, den = doc["numerator"], doc["denominator"]
    ratio = f" ({100 * num / den:.1f}%)" if den else ""
    lines = [
        f"{doc['county']} {doc['period']} {doc['side']} {doc['indicator']}: {num} / {den}{ratio}"
    ]
    for title, key in (
        ("numerator", "numerator_obligations"),
        ("denominator only", "denominator_only_obligations"),
    ):
        lines.append(f"  {title}: {len(doc[key])} obligation(s)")
        for ob in doc[key]:
            lines.append(
                f"    {ob['obligation_id']}  {ob['kind']}  on {ob['responsible']} "
                f"for {ob['counterpart']}  opened {ob['opened_at'][:10]}  {ob['outcome']}"
            )
            lines.append(f"      events {' '.join(ob['events'])}")
    listed = {
        e
        for key in ("numerator_obligations", "denominator_only_obligations")
        for ob in doc[key]
        for e in ob["events"]
    }
    others = [e for e in doc["denominator_events"] if e not in listed]
    if others:
        # inquiry_sent (an inquiry's kind), arrival_not_found, coverage publications
        lines.append(f"  also from: {' '.join(others)}")
    return lines


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

    try:
        state = fold_log(bootstrap, settings, base)
    except AssessmentError as exc:
        return _error(str(exc))
    rows = whatif_rows(
        rules.standings(state, args.period, base), rules.standings(state, args.period, trial)
    )
    if args.format == "json":
        print(json.dumps({"period": args.period, "rows": rows}, ensure_ascii=False, indent=1))
    else:
        print(
            f"{'county':<6}  {'rank':>4}  {'combined':>8}  {'what-if':>7}  {'combined':>8}  "
            f"{'change':>6}  name"
        )
        for r in rows:
            print(
                f"{r['county']:<6}  {r['rank'] or '-':>4}  {_fmt(r['combined']):>8}  "
                f"{r['whatif_rank'] or '-':>7}  {_fmt(r['whatif_combined']):>8}  "
                f"{_change(r['rank_change']):>6}  {_name(r['county'])}"
            )
        print(
            f"what-if for {args.period} under {args.config}: nothing was published", file=sys.stderr
        )
    return 0


def whatif_rows(base: list[Standing], trial: list[Standing]) -> list[dict[str, Any]]:
    """One row per county, in what-if rank order; rank_change > 0 means it climbs."""
    before = {s.county: s for s in base}
    rows = []
    for s in trial:
        b = before.get(s.county)
        old_rank = b.rank if b else 0
        change = old_rank - s.rank if old_rank and s.rank else None
        rows.append(
            {
                "county": s.county,
                "rank": old_rank or None,
                "combined": b.scores.combined if b else None,
                "whatif_rank": s.rank or None,
                "whatif_combined": s.scores.combined,
                "rank_change": change,
            }
        )
    return rows


def _change(change: int | None) -> str:
    if change is None:
        return ""
    return f"+{change}" if change > 0 else str(change) if change < 0 else "="
