"""The figures each view shows, read from the projection under the caller's role.

Every function takes an asyncpg connection (untyped, hence ``Any``) and a Principal and
returns plain JSON-ready values (``jsonable`` turns datetimes and UUIDs into strings, with
their UTC offset; the page shows them in Beijing time). Times shown as "now" are the
**logical clock** (the latest ``clock_ticked`` archived), not the wall clock, so the
dashboard agrees with the decisions the agents made. A county operator's every figure is
its own county's: the obligations, flows, tasks and events it is party to, its own agreement
coverage. Obligations are counted and listed in the vocabulary's words
(:mod:`contracts.obligation_vocabulary`); the league is :mod:`contracts.league`'s.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from contracts import league as league_module
from contracts import obligation_vocabulary as vocabulary
from contracts import periods as periods_module
from contracts.league import Scores
from dashboard import campaign_view, dead_letter_view, scope
from dashboard.auth import Principal
from dashboard.flows import COVERAGE_TARGET, coverage_row, ratio
from dashboard.json_values import jsonable
from dashboard.json_values import rows as _rows
from infra.projection import reads as projection

__all__ = ["jsonable"]


# --- totals and the logical clock ----------------------------------------------------------------

# What the archive holds: the events the counties published (the validated topic, a
# broadcast event once), the records the system derived from them, and the registry's.
COUNTS = (
    "count(*) AS archived,"
    " count(*) FILTER (WHERE right(e.topic, 10) = '.validated') AS county_events,"
    " count(*) FILTER (WHERE right(e.topic, 9) = '.registry') AS registry,"
    " max(e.occurred_at) AS latest_event_at,"
    " (SELECT max(occurred_at) FROM events WHERE event_type = 'clock_ticked') AS clock"
)
TOTALS = "SELECT " + COUNTS + " FROM events e"  # noqa: S608


def _totals(row: Any) -> dict[str, Any]:
    archived, county_events, registry = row["archived"], row["county_events"], row["registry"]
    return {
        "events": archived,
        "county_events": county_events,
        "derived": archived - county_events - registry,
        "registry": registry,
        "latest_event_at": jsonable(row["latest_event_at"]),
        "clock": jsonable(row["clock"]),
    }


async def totals(conn: Any) -> dict[str, Any]:
    return _totals(await conn.fetchrow(TOTALS))


def county_totals_sql(p: Principal) -> tuple[str, tuple[Any, ...]]:
    """The archive's events the operator's county is party to (all of them for the region)."""
    w = scope.events(p)
    return "SELECT " + COUNTS + " FROM events e WHERE " + w.sql, w.args  # noqa: S608


async def county_totals(conn: Any, p: Principal) -> dict[str, Any]:
    sql, args = county_totals_sql(p)
    return _totals(await conn.fetchrow(sql, *args))


async def logical_clock(conn: Any) -> dt.datetime | None:
    value: dt.datetime | None = await conn.fetchval(
        "SELECT max(occurred_at) FROM events WHERE event_type = 'clock_ticked'"
    )
    return value


# --- obligations ---------------------------------------------------------------------------------


def obligation_counts_sql(p: Principal) -> tuple[str, tuple[Any, ...]]:
    """Every count of the vocabulary over the obligations in the operator's scope ($1: the
    due-soon horizon)."""
    w = scope.obligations(p, arg=2)
    return projection.obligation_counts_sql(w.sql), w.args


async def obligation_counts(conn: Any, p: Principal, clock: dt.datetime | None) -> dict[str, Any]:
    sql, args = obligation_counts_sql(p)
    row = await conn.fetchrow(sql, vocabulary.horizon(clock), *args)
    return {
        "counts": {c.name: int(row[c.name]) for c in vocabulary.COUNTS},
        "clock": jsonable(clock),
    }


def with_status(record: Mapping[str, Any]) -> dict[str, Any]:
    """A projected obligation as JSON, with its status and flags in the vocabulary's words."""
    row: dict[str, Any] = jsonable(dict(record))
    row["status"] = vocabulary.status(vocabulary.Row.of(record))
    row["breached"] = record["breached_at"] is not None
    row["escalated"] = record["escalated_at"] is not None
    return row


# --- scorecards (public: the seed asks for results to be disclosed) ------------------------------

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


def _label(period: periods_module.Period) -> dict[str, str]:
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
    trend_periods = (
        []
        if chosen is None
        else [p for p in known if p.kind == chosen.kind and p.end <= chosen.end][-TREND_PERIODS:]
    )
    latest = chosen.text if chosen is not None else None
    cards = {r["county"]: r for r in by_period.get(latest or "", [])}
    table = league_module.league(_standings(list(cards.values())), region=region, scope=scope)
    shown = table.standings[offset : None if limit is None else offset + limit]
    averages = [
        league_module.league(
            _standings(by_period.get(p.text, [])), region=region, scope=scope
        ).average.combined
        for p in trend_periods
    ]
    average = table.average
    return {
        "period": latest,
        "period_label": None if chosen is None else _label(chosen),
        "available": [
            {"period": p.text, "label": _label(p)}
            for p in sorted(known, key=_latest_first, reverse=True)
        ],
        "periods": [p.text for p in trend_periods],
        "period_labels": [_label(p) for p in trend_periods],
        "scope": scope,
        "ranked": bool(table.ranked),
        "total": len(table.standings),
        "ranked_count": len(table.ranked),
        "offset": offset,
        "average": {
            "origin": average.origin,
            "destination": average.destination,
            "combined": average.combined,
        },
        "average_trend": averages,
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


# --- agreement coverage --------------------------------------------------------------------------


def coverage_sql(p: Principal) -> tuple[str, tuple[Any, ...]]:
    w = scope.coverage(p)
    sql = (
        "SELECT cv.period, cv.scope, cv.flows, cv.covered, cv.outflows,"  # noqa: S608
        " cv.outflows_covered, cv.inflows, cv.inflows_covered FROM coverage_totals cv"
        " WHERE cv.period = (SELECT max(period) FROM coverage_totals)"
        f" AND {w.sql} ORDER BY cv.scope"
    )
    return sql, w.args


COVERAGE_HISTORY = """
SELECT period, flows, covered FROM coverage_totals WHERE scope = $1
ORDER BY period DESC LIMIT 12
"""


async def coverage_rows(conn: Any, p: Principal) -> list[dict[str, Any]]:
    """The latest month's figures in the operator's scope (the region's and each county's)."""
    sql, args = coverage_sql(p)
    return _rows(await conn.fetch(sql, *args))


def _month_label(period: str | None) -> dict[str, str] | None:
    if period is None:
        return None
    try:
        return _label(periods_module.parse(period))
    except periods_module.PeriodError:
        return None


async def coverage(conn: Any, p: Principal) -> dict[str, Any]:
    """The latest month's agreement coverage. ``headline`` is the operator's own figure: the
    region's for the region, the county's own (every flow it is party to) for a county."""
    scopes = [coverage_row(r) for r in await coverage_rows(conn, p)]
    own = "region" if p.sees_all else p.county
    headline = next((s for s in scopes if s["scope"] == own), None)
    history = [
        {**r, "ratio": ratio(r["covered"], r["flows"]), "label": _month_label(r["period"])}
        for r in reversed(_rows(await conn.fetch(COVERAGE_HISTORY, own)))
    ]
    period = scopes[0]["period"] if scopes else None
    return {
        "target": COVERAGE_TARGET,
        "period": period,
        "period_label": _month_label(period),
        "scope": own,
        "headline": headline,
        "counties": sum(1 for s in scopes if s["scope"] != "region"),
        "history": history,
        "meets_target": None
        if headline is None or headline["ratio"] is None
        else headline["ratio"] >= COVERAGE_TARGET,
    }


# --- projector positions -------------------------------------------------------------------------

OFFSETS = "SELECT topic, partition, next_offset FROM projection_offsets ORDER BY topic, partition"


async def offsets(conn: Any) -> dict[tuple[str, int], int]:
    return {(r["topic"], r["partition"]): r["next_offset"] for r in await conn.fetch(OFFSETS)}


# --- one case ------------------------------------------------------------------------------------

CASE_EVENTS = """
SELECT e.event_id, e.topic, e.event_type, e.occurred_at, e.source_county, e.publisher_id,
       e.correlation_id, e.causation_id, e.payload,
       c.event_type AS cause_type, c.occurred_at AS cause_at, c.source_county AS cause_county
FROM events e LEFT JOIN events c ON c.event_id = e.causation_id
WHERE e.person_key = $1 ORDER BY e.occurred_at, e.topic, e.event_id LIMIT 2000
"""
CASE_OBLIGATIONS = """
SELECT obligation_id, kind, responsible_county, counterpart_county, opened_at, due_at, state,
       urgent, agreement_id, reminded_at, fulfilled_at, late, breached_at, escalated_at,
       escalated_to, cancelled_at, cancel_reason
FROM obligations WHERE person_key = $1 ORDER BY opened_at NULLS LAST, obligation_id
"""
CASE_PERSON = "SELECT first_seen, last_seen, current_county FROM persons WHERE person_key = $1"
CASE_TASKS = """
SELECT task_id, campaign_id, "check", assignee, due_at, result, moved_to, state
FROM campaign_tasks WHERE person_key = $1 ORDER BY due_at NULLS LAST, task_id
"""
_HIDDEN_PAYLOAD = frozenset({"signature"})


def _event(r: Mapping[str, Any]) -> dict[str, Any]:
    payload = r["payload"]
    body = json.loads(payload) if isinstance(payload, str) else dict(payload)
    cause = None
    if r["causation_id"] is not None:
        cause = {
            "event_id": r["causation_id"],
            "event_type": r["cause_type"],
            "occurred_at": r["cause_at"],
            "source_county": r["cause_county"],
        }
    event: dict[str, Any] = jsonable(
        {
            "event_id": r["event_id"],
            "topic": r["topic"],
            "event_type": r["event_type"],
            "occurred_at": r["occurred_at"],
            "source_county": r["source_county"],
            "publisher_id": r["publisher_id"],
            "derived": not r["topic"].endswith(".validated"),
            "cause": cause,
            "payload": {k: v for k, v in body.items() if k not in _HIDDEN_PAYLOAD},
        }
    )
    return event


def decisions(events: list[dict[str, Any]], obligations_: list[dict[str, Any]]) -> None:
    """Attach to each obligation the derived events that moved it, each with its cause."""
    by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        oid = e["payload"].get("obligation_id")
        if e["derived"] and isinstance(oid, str):
            by_id[oid].append(
                {
                    "event_type": e["event_type"],
                    "occurred_at": e["occurred_at"],
                    "event_id": e["event_id"],
                    "cause": e["cause"],
                }
            )
    for o in obligations_:
        o["history"] = by_id.get(o["obligation_id"], [])


async def case_timeline(conn: Any, person_key: str) -> dict[str, Any] | None:
    person: Any = await conn.fetchrow(CASE_PERSON, person_key)
    events = [_event(r) for r in await conn.fetch(CASE_EVENTS, person_key)]
    if person is None and not events:
        return None
    obligations_ = [with_status(r) for r in await conn.fetch(CASE_OBLIGATIONS, person_key)]
    decisions(events, obligations_)
    return {
        "person_key": person_key,
        "person": None if person is None else jsonable(dict(person)),
        "events": events,
        "obligations": obligations_,
        "tasks": _rows(await conn.fetch(CASE_TASKS, person_key)),
    }


async def is_party(conn: Any, p: Principal, person_key: str) -> bool:
    check = scope.may_read_case(p)
    if check is None:
        return True
    sql, args = check
    return bool(await conn.fetchval(sql, person_key, *args))


# --- everything a view shows, in one payload (the SSE stream pushes this) ------------------------


async def summary(conn: Any, p: Principal, *, region: str) -> dict[str, Any]:
    clock = await logical_clock(conn)
    return {
        "clock": jsonable(clock),
        "totals": await county_totals(conn, p),
        "obligations": await obligation_counts(conn, p, clock),
        "vocabulary": vocabulary.labels(),
        "campaigns": await campaign_view.campaigns(conn, p, clock),
        "scorecards": await scorecards(conn, region=region, limit=LEAGUE_PAGE),
        "coverage": await coverage(conn, p),
        "dead_letters": await dead_letter_view.summary(conn) if p.sees_all else None,
    }
