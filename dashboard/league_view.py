"""The league as the dashboard shows it: one period's table by :mod:`contracts.league`, one
page of it, each listed county's trend and the region average's. Scorecards are public (the
results are disclosed), so every operator reads the same league; a county operator's own
figures are elsewhere (:mod:`dashboard.figures`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from contracts import league as league_module
from contracts import periods as periods_module
from contracts.league import Scores
from dashboard.json_values import rows as _rows

SCORECARDS = """
SELECT DISTINCT ON (county, period) county, period, revision, reason, origin_score,
       destination_score, combined_score
FROM scorecards ORDER BY county, period, revision DESC
"""
TREND_PERIODS = 6
TREND_LINES = 5  # counties drawn in the trend: the first of the page
LEAGUE_PAGE = 20


def _standings(rows: list[dict[str, Any]]) -> list[league_module.Standing]:
    return [
        league_module.Standing(
            r["county"],
            Scores(r["origin_score"], r["destination_score"], r["combined_score"]),
            r["revision"],
        )
        for r in rows
    ]


def labels(period: periods_module.Period) -> dict[str, str]:
    """A period's name in both languages, as the page shows it."""
    return {"zh": period.label("zh"), "en": period.label("en")}


def _latest_first(period: periods_module.Period) -> tuple[dt.datetime, dt.timedelta]:
    """Sort key: the period that ended last first; of two ending together, the longer."""
    return (period.end, period.end - period.start)


def _default(
    known: list[periods_module.Period],
    by_period: Mapping[str, list[dict[str, Any]]],
    region: str,
    scope: league_module.Scope,
) -> periods_module.Period | None:
    """The period shown first: the latest in which a county of the league's scope was
    assessed, else the latest with a scorecard in scope, else the latest."""

    def in_scope(r: dict[str, Any]) -> bool:
        return league_module.in_scope(r["county"], region, scope)

    assessed = [
        p
        for p in known
        if any(in_scope(r) and r["combined_score"] is not None for r in by_period[p.text])
    ]
    carded = [p for p in known if any(in_scope(r) for r in by_period[p.text])]
    return max(assessed or carded or known, key=_latest_first, default=None)


def league(
    rows: list[dict[str, Any]],
    *,
    region: str,
    scope: league_module.Scope,
    period: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> dict[str, Any]:
    """The league of ``period`` by :mod:`contracts.league` (default: of the periods in which some
    county was assessed, the one that ended last, a quarter before its last month), one page
    of it, and each listed county's trend over the periods of the same kind up to it, with
    the region average's trend.

    A side not assessed has a null score (shown 不参评); a county assessed on neither side is
    listed unranked; with nobody assessed there is no ranking (``ranked`` false).
    """
    known = sorted({periods_module.parse(r["period"]) for r in rows})
    by_period: dict[str, list[dict[str, Any]]] = defaultdict(list)
    trend: dict[str, dict[str, float | None]] = defaultdict(dict)
    for r in rows:
        by_period[r["period"]].append(r)
        trend[r["county"]][r["period"]] = r["combined_score"]
    chosen = (
        periods_module.parse(period)
        if period is not None
        else _default(known, by_period, region, scope)
    )
    trend_periods = _trend_periods(known, chosen)
    latest = chosen.text if chosen is not None else None
    cards = {r["county"]: r for r in by_period.get(latest or "", [])}
    table = league_module.league(_standings(list(cards.values())), region=region, scope=scope)
    shown = table.standings[offset : None if limit is None else offset + limit]
    return {
        "period": latest,
        "period_label": None if chosen is None else labels(chosen),
        "available": _available(known),
        "periods": [p.text for p in trend_periods],
        "period_labels": [labels(p) for p in trend_periods],
        "scope": scope,
        "ranked": bool(table.ranked),
        "total": len(table.standings),
        "ranked_count": len(table.ranked),
        "offset": offset,
        "average": _scores(table.average),
        "average_trend": [
            _average(by_period.get(p.text, []), region, scope) for p in trend_periods
        ],
        "trend_lines": TREND_LINES,
        "table": [
            {
                **cards[s.county],
                "rank": s.rank,
                "trend": [trend[s.county].get(p.text) for p in trend_periods],
            }
            for s in shown
        ],
    }


def _average(rows: list[dict[str, Any]], region: str, scope: league_module.Scope) -> float | None:
    """The region average's combined score over one period's scorecards."""
    return league_module.league(_standings(rows), region=region, scope=scope).average.combined


def _available(known: list[periods_module.Period]) -> list[dict[str, Any]]:
    """Every period with a scorecard, the one that ended last first."""
    return [
        {"period": p.text, "label": labels(p)}
        for p in sorted(known, key=_latest_first, reverse=True)
    ]


def _trend_periods(
    known: list[periods_module.Period], chosen: periods_module.Period | None
) -> list[periods_module.Period]:
    """The periods of ``chosen``'s kind up to it, the last :data:`TREND_PERIODS` of them."""
    if chosen is None:
        return []
    return [p for p in known if p.kind == chosen.kind and p.end <= chosen.end][-TREND_PERIODS:]


def _scores(scores: Scores) -> dict[str, float | None]:
    return {
        "origin": scores.origin,
        "destination": scores.destination,
        "combined": scores.combined,
    }


async def scorecards(
    conn: Any,
    *,
    region: str,
    scope: league_module.Scope = "region",
    period: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> dict[str, Any]:
    return league(
        _rows(await conn.fetch(SCORECARDS)),
        region=region,
        scope=scope,
        period=period,
        offset=offset,
        limit=limit,
    )
