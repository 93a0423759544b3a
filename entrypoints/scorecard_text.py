"""Scorecards for a terminal: the league table, an indicator's explanation, the flows behind
the coverage and the what-if table, as lines (``liudong scorecard`` and the demo print them).

A side with no score shows 不参评 (not assessed); scores are right-aligned in terminal
columns, where a Chinese character takes two.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from contracts.words.assessment import LEAGUE
from entrypoints.scorecard_docs import county_name

if TYPE_CHECKING:
    from contracts.events.derived import ScorecardPublished
    from contracts.league import Scores, Standing

# Shown for a side with no score (JSON: null).
NOT_ASSESSED, NOT_ASSESSED_EN = LEAGUE["not_assessed"]


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
            f"{s.rank or '-':>4}  {s.county:<6}  {score(s.scores.origin, 7)}  "
            f"{score(s.scores.destination, 11)}  {score(s.scores.combined, 8)}  "
            f"{s.revision or 0:>8}  {county_name(s.county)}"
        )
    lines.append(
        f"{'':>4}  {'region':<6}  {score(average.origin, 7)}  "
        f"{score(average.destination, 11)}  {score(average.combined, 8)}  {'':>8}  average"
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


def score(value: float | None, width: int) -> str:
    """Right-aligned in ``width`` terminal columns (a Chinese character takes two)."""
    text = _fmt(value)
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return " " * max(width - shown, 0) + text


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
            f"    {pair['origin']} {county_name(pair['origin'])} -> {pair['destination']} "
            f"{county_name(pair['destination'])}: {len(persons)} person(s) with no agreement "
            "in force"
        )
        lines += [f"      {p}" for p in persons]
    return lines


def whatif_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"{'county':<6}  {'rank':>4}  {'combined':>8}  {'what-if':>7}  {'combined':>8}  "
        f"{'change':>6}  name"
    ]
    for r in rows:
        lines.append(
            f"{r['county']:<6}  {r['rank'] or '-':>4}  {score(r['combined'], 8)}  "
            f"{r['whatif_rank'] or '-':>7}  {score(r['whatif_combined'], 8)}  "
            f"{_change(r['rank_change']):>6}  {county_name(r['county'])}"
        )
    return lines


def _change(change: int | None) -> str:
    if change is None:
        return ""
    return f"+{change}" if change > 0 else str(change) if change < 0 else "="
