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
from collections.abc import Mapping
from typing import Any

from contracts import obligation_vocabulary as vocabulary
from contracts import periods as periods_module
from dashboard import campaign_view, dead_letter_view, league_view, scope
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
        return league_view.labels(periods_module.parse(period))
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


# --- everything a view shows, in one payload (the SSE stream pushes this) ------------------------


async def summary(conn: Any, p: Principal, *, region: str) -> dict[str, Any]:
    clock = await logical_clock(conn)
    return {
        "clock": jsonable(clock),
        "totals": await county_totals(conn, p),
        "obligations": await obligation_counts(conn, p, clock),
        "vocabulary": vocabulary.labels(),
        "campaigns": await campaign_view.campaigns(conn, p, clock),
        "scorecards": await league_view.scorecards(
            conn, region=region, limit=league_view.LEAGUE_PAGE
        ),
        "coverage": await coverage(conn, p),
        "dead_letters": await dead_letter_view.summary(conn) if p.sees_all else None,
    }
