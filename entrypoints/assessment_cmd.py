"""``liudong assess`` (the assessment service) and ``liudong scorecard`` (its results).

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
import): ``entrypoints/cli.py`` calls ``configure_*`` while building its parser, and ``run_*``
to dispatch. Bad arguments: one line, exit 2; nothing to show (no scorecard for the period
or the county, a period not yet closed): one line, exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from entrypoints.arguments import EXIT_USAGE

if TYPE_CHECKING:
    from agents.assessment_config import AssessmentConfig
    from agents.assessment_state import AssessmentState
    from contracts.events.derived import ScorecardPublished
    from contracts.human_time import Zone
    from contracts.league import League, Scores, Standing
    from infra.settings import Settings

EXIT_NOTHING = 1
SIDES = ("origin", "destination")
NOT_ASSESSED = "不参评"  # shown for a side with no score (JSON: null)
NOT_ASSESSED_EN = "not assessed"


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


def configure_assess(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="weight file (default: the shipped one)")


def configure_scorecard(parser: argparse.ArgumentParser) -> None:
    from agents.assessment_config import INDICATORS
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
    whatif.add_argument("--scope", choices=SCOPES, default="region")
    whatif.add_argument("--format", choices=("table", "json"), default="table")


def _error(message: str, code: int = EXIT_USAGE) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


class NothingToShow(LookupError):
    """The log holds nothing for what was asked; the message is one line (exit 1)."""


def _bootstrap(settings: Settings) -> str | None:
    from infra.kafka.address import resolve_bootstrap

    return resolve_bootstrap(settings)


# --- liudong assess ------------------------------------------------------------------------------


def run_assess(args: argparse.Namespace, settings: Settings) -> int:
    from agents.assessment import AssessmentError
    from agents.assessment_config import ConfigError, load
    from bootstrap import services

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
        await services.ensure_catalog(settings, bootstrap)
        service = services.assessment_service(settings, bootstrap, config)
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
    except NothingToShow as exc:
        return _error(str(exc), EXIT_NOTHING)
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


def league_of(cards: list[ScorecardPublished], *, region: str, scope: str) -> League:
    """The league of the newest cards of one period (:mod:`contracts.league`)."""
    from contracts import league

    rows = [
        league.Standing(
            card.county,
            league.Scores(card.origin_score, card.destination_score, card.combined_score),
            card.revision,
        )
        for card in cards
    ]
    return league.league(rows, region=region, scope="all" if scope == "all" else "region")


def nothing_for(period: str, clock: Any, zone: Zone, config: AssessmentConfig) -> str:
    """Why a period has no scorecards: not begun, not yet closed (and when it closes), or
    closed with nothing to assess."""
    import datetime as dt

    from contracts import periods

    p = periods.parse(period)
    closes = p.closes_at(dt.timedelta(days=config.close_after_days))
    if clock is None:
        return f"no scorecards for {period}: the log has no clock tick yet"
    if clock < p.start:
        return (
            f"no scorecards for {period}: it begins after the log's clock "
            f"({zone.show(clock)}); it closes at {zone.show(closes)}"
        )
    if clock < closes:
        return (
            f"no scorecards for {period} yet: it closes at {zone.show(closes)} "
            f"(the log's clock is at {zone.show(clock)})"
        )
    return (
        f"no scorecards for {period}: none was published, though it closed at "
        f"{zone.show(closes)} (no county had anything to assess, or `liudong assess` is not "
        "running)"
    )


def log_clock(bootstrap: str, settings: Settings) -> Any:
    from infra.kafka.client_security import aiokafka_options
    from streams import topics
    from streams.logical_clock import latest_tick

    topic = topics.VALIDATED.full_name(settings.topic_prefix)
    return asyncio.run(latest_tick(bootstrap, topic, client_options=aiokafka_options(settings)))


def cmd_list(bootstrap: str, settings: Settings, args: argparse.Namespace) -> int:
    from agents import assessment_config as cfg

    shown_zone = _zone(args)
    newest = newest_cards(bootstrap, settings.topic_prefix)
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
            "region_average": _scores_json(table.average),
            "scorecards": [_card_json(s, cards[s.county], shown_zone) for s in shown],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        print("\n".join(table_lines(shown, table.average, cards, ranked=bool(table.ranked))))
    print(f"{len(shown)} scorecard(s) for {args.period} ({args.scope})", file=sys.stderr)
    return 0


def table_lines(
    standings: Sequence[Standing],
    average: Scores,
    cards: dict[str, ScorecardPublished],
    *,
    ranked: bool = True,
) -> list[str]:
    lines = [
        f"{'rank':>4}  {'county':<6}  {'origin':>7}  {'destination':>11}  {'combined':>8}  "
        f"{'revision':>8}  name"
    ]
    for s in standings:
        lines.append(
            f"{s.rank or '-':>4}  {s.county:<6}  {_score(s.scores.origin, 7)}  "
            f"{_score(s.scores.destination, 11)}  {_score(s.scores.combined, 8)}  "
            f"{s.revision or 0:>8}  {_name(s.county)}"
        )
    lines.append(
        f"{'':>4}  {'region':<6}  {_score(average.origin, 7)}  "
        f"{_score(average.destination, 11)}  {_score(average.combined, 8)}  {'':>8}  average"
    )
    if not ranked:
        lines.append("  nobody was assessed in this period: no ranking")
    if any(None in (s.scores.origin, s.scores.destination) for s in standings):
        lines.append(
            f"  {NOT_ASSESSED} = {NOT_ASSESSED_EN}: too few settled obligations of its own on "
            "that side; such counties are ranked on the side they were assessed on, if any"
        )
    for s in standings:
        card = cards[s.county]
        if card.revision > 1:
            lines.append(f"  {s.county} revision {card.revision}: {card.reason}")
    return lines


def _fmt(value: float | None) -> str:
    return NOT_ASSESSED if value is None else f"{value:.2f}"


def _score(value: float | None, width: int) -> str:
    """Right-aligned in ``width`` terminal columns (a Chinese character takes two)."""
    text = _fmt(value)
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return " " * max(width - shown, 0) + text


def _name(county: str) -> str:
    from contracts import divisions

    division = divisions.county(county)
    return division.name if division else ""


def _scores_json(s: Scores) -> dict[str, float | None]:
    return {"origin": s.origin, "destination": s.destination, "combined": s.combined}


def _card_json(s: Standing, card: ScorecardPublished, zone: Zone) -> dict[str, Any]:
    settled: dict[str, int] = {
        i.side: i.denominator for i in card.indicators if i.name == "feedback_rate"
    }
    return {
        "rank": s.rank,
        "county": s.county,
        "name": _name(s.county),
        "scores": _scores_json(s.scores),
        "assessed": {
            "origin": s.scores.origin is not None,
            "destination": s.scores.destination is not None,
        },
        "settled_obligations": {side: settled.get(side, 0) for side in SIDES},
        "revision": card.revision,
        "reason": card.reason,
        "published_at": zone.iso(card.occurred_at),
        "event_id": str(card.event_id),
        "indicators": [i.model_dump(mode="json") for i in card.indicators],
    }


# --- explain and what-if: folded from the log --------------------------------------------------


def fold_log(bootstrap: str, settings: Settings, config: AssessmentConfig) -> AssessmentState:
    from bootstrap import services

    service = services.assessment_service(
        settings, bootstrap, config, keep_snapshot=False, topic_wait_s=5.0
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


def replayed_flows(bootstrap: str, settings: Settings) -> list[tuple[str, Any]]:
    """Every flow the log records, with its person: (person key, ``case_state.FlowRecord``).

    The coverage figures are sums; which flows they count is in the cases, rebuilt here by
    the audit replay (the cases agent's own decisions).
    """
    from audit.replay import replay_log
    from infra.kafka.client_security import aiokafka_options

    replay = asyncio.run(
        replay_log(
            bootstrap,
            settings.topic_prefix,
            region=settings.region_code,
            client_options=aiokafka_options(settings),
        )
    )
    return [(case.person_key, flow) for case in replay.cases() for flow in case.flows]


def flows_doc(flows: list[tuple[str, Any]], county: str, period: str, side: str) -> dict[str, Any]:
    """The county's flows of ``period`` on ``side`` (its outflows as origin, its inflows as
    destination): how many, how many covered, and the uncovered ones by pair, with persons."""
    from agents.assessment_state import months_in

    months = set(months_in(period))
    mine = [
        (person, f)
        for person, f in flows
        if f.period in months and (f.origin if side == "origin" else f.destination) == county
    ]
    pairs: dict[tuple[str, str], list[str]] = {}
    for person, f in mine:
        if not f.covered:
            pairs.setdefault((f.origin, f.destination), []).append(person)
    return {
        "flows": len(mine),
        "covered": sum(1 for _, f in mine if f.covered),
        "uncovered": [
            {"origin": o, "destination": d, "persons": sorted(set(persons))}
            for (o, d), persons in sorted(pairs.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ],
    }


def explanation(
    state: AssessmentState,
    county: str,
    period: str,
    side: str,
    name: str,
    *,
    flows: list[tuple[str, Any]] | None = None,
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

    doc: dict[str, Any] = {
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
    if flows is not None:
        doc["flows"] = flows_doc(flows, county, period, side)
    return doc


def _outcome(ob: Any) -> str:
    """The obligation's status in the vocabulary's words (overdue, fulfilled_late, ...)."""
    from contracts import obligation_vocabulary as vocabulary

    return vocabulary.status(ob)


def explanation_lines(doc: dict[str, Any]) -> list[str]:
    num, den = doc["numerator"], doc["denominator"]
    ratio = f" ({100 * num / den:.1f}%)" if den else ""
    lines = [
        f"{doc['county']} {doc['period']} {doc['side']} {doc['indicator']}: {num} / {den}{ratio}"
    ]
    if "flows" in doc:
        return lines + flow_lines(doc["flows"], doc["side"])
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


def flow_lines(flows: dict[str, Any], side: str) -> list[str]:
    what = "outflows (leaving it)" if side == "origin" else "inflows (arriving in it)"
    uncovered = flows["flows"] - flows["covered"]
    lines = [
        f"  {what} the log records: {flows['flows']}, covered by an agreement in force: "
        f"{flows['covered']}, uncovered: {uncovered}"
    ]
    for pair in flows["uncovered"]:
        persons = pair["persons"]
        lines.append(
            f"    {pair['origin']} {_name(pair['origin'])} -> {pair['destination']} "
            f"{_name(pair['destination'])}: {len(persons)} person(s) with no agreement in force"
        )
        lines += [f"      {p}" for p in persons]
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
        print(
            f"{'county':<6}  {'rank':>4}  {'combined':>8}  {'what-if':>7}  {'combined':>8}  "
            f"{'change':>6}  name"
        )
        for r in rows:
            print(
                f"{r['county']:<6}  {r['rank'] or '-':>4}  {_score(r['combined'], 8)}  "
                f"{r['whatif_rank'] or '-':>7}  {_score(r['whatif_combined'], 8)}  "
                f"{_change(r['rank_change']):>6}  {_name(r['county'])}"
            )
        print(
            f"what-if for {args.period} under {args.config}: nothing was published", file=sys.stderr
        )
    return 0


def _zone(args: argparse.Namespace) -> Zone:
    from contracts.human_time import zone

    return zone(getattr(args, "utc", False))


def whatif_rows(base: Sequence[Standing], trial: Sequence[Standing]) -> list[dict[str, Any]]:
    """One row per county, in what-if rank order; rank_change > 0 means it climbs."""
    before = {s.county: s for s in base}
    rows = []
    for s in trial:
        b = before.get(s.county)
        old_rank = b.rank if b else None
        change = old_rank - s.rank if old_rank and s.rank else None
        rows.append(
            {
                "county": s.county,
                "rank": old_rank,
                "combined": b.scores.combined if b else None,
                "whatif_rank": s.rank,
                "whatif_combined": s.scores.combined,
                "rank_change": change,
            }
        )
    return rows


def _change(change: int | None) -> str:
    if change is None:
        return ""
    return f"+{change}" if change > 0 else str(change) if change < 0 else "="


def run(args: argparse.Namespace, settings: Settings) -> int:
    """``liudong assess`` or ``liudong scorecard``."""
    return run_assess(args, settings) if args.command == "assess" else run_scorecard(args, settings)
