"""What ``liudong scorecard`` shows, as documents (the JSON output, and what the text lines
are made from): a league of the newest cards, a card, why a period has none, the lineage of
one indicator's value, the flows behind the coverage, and the what-if rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.assessment_config import AssessmentConfig
    from agents.assessment_state import AssessmentState
    from contracts.events.derived import ScorecardPublished
    from contracts.human_time import Zone
    from contracts.league import League, Scores, Standing

SIDES = ("origin", "destination")


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


def county_name(county: str) -> str:
    from contracts import divisions

    division = divisions.county(county)
    return division.name if division else ""


def scores_json(s: Scores) -> dict[str, float | None]:
    return {"origin": s.origin, "destination": s.destination, "combined": s.combined}


def card_json(s: Standing, card: ScorecardPublished, zone: Zone) -> dict[str, Any]:
    settled: dict[str, int] = {
        i.side: i.denominator for i in card.indicators if i.name == "feedback_rate"
    }
    return {
        "rank": s.rank,
        "county": s.county,
        "name": county_name(s.county),
        "scores": scores_json(s.scores),
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
