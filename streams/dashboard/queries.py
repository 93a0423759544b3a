"""The figures each view shows, read from the projection under the caller's role.

Every function takes an asyncpg connection (untyped, hence ``Any``) and a Principal and
returns plain JSON-ready values (``jsonable`` turns datetimes and UUIDs into strings, with
their UTC offset; the page shows them in Beijing time). Times shown as "now" are the
**logical clock** (the latest ``clock_ticked`` archived), not the wall clock, so the
dashboard agrees with the decisions the agents made. A county operator's every figure is
its own county's: the obligations, flows, tasks and events it is party to, its own agreement
coverage. Obligations are counted and listed in the vocabulary's words
(:mod:`contracts.obligation_vocabulary`); the league is :mod:`agents.league`'s.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from agents import league as league_module
from agents.assessment_config import Scores
from contracts import obligation_vocabulary as vocabulary
from contracts import periods as periods_module
from infra.projection import queries as projection
from streams.dashboard import scope
from streams.dashboard.auth import Principal

COVERAGE_TARGET = 0.8  # the seed's target: 80% of flows under an agreement
# What the obligations list accepts as ?state=: a count of the vocabulary.
STATE_FILTERS: tuple[str, ...] = vocabulary.NAMES
DEFAULT_STATE = "open"


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _rows(records: Any) -> list[dict[str, Any]]:
    return [jsonable(dict(r)) for r in records]


# --- totals and the logical clock ----------------------------------------------------------------

TOTALS = """
SELECT count(*) AS events, max(occurred_at) AS latest_event_at,
       (SELECT max(occurred_at) FROM events WHERE event_type = 'clock_ticked') AS clock
FROM events
"""


async def totals(conn: Any) -> dict[str, Any]:
    row = await conn.fetchrow(TOTALS)
    return {
        "events": row["events"],
        "latest_event_at": jsonable(row["latest_event_at"]),
        "clock": jsonable(row["clock"]),
    }


def county_totals_sql(p: Principal) -> tuple[str, tuple[Any, ...]]:
    """The archive's events the operator's county is party to (all of them for the region)."""
    w = scope.events(p)
    sql = (
        "SELECT count(*) AS events, max(e.occurred_at) AS latest_event_at,"  # noqa: S608
        " (SELECT max(occurred_at) FROM events WHERE event_type = 'clock_ticked') AS clock"
        f" FROM events e WHERE {w.sql}"
    )
    return sql, w.args


async def county_totals(conn: Any, p: Principal) -> dict[str, Any]:
    sql, args = county_totals_sql(p)
    row = await conn.fetchrow(sql, *args)
    return {
        "events": row["events"],
        "latest_event_at": jsonable(row["latest_event_at"]),
        "clock": jsonable(row["clock"]),
    }


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


def obligation_list_sql(
    p: Principal, state: str, horizon: dt.datetime | None = None
) -> tuple[str, tuple[Any, ...]]:
    """The obligations ``state`` (a vocabulary count) counts, due first ($1 limit, $2
    offset; then the due-soon horizon if the count looks ahead, then the scope's county)."""
    ahead = vocabulary.count(state).due_within is not None
    predicate = vocabulary.sql(state, alias="o", horizon_arg=3 if ahead else None)
    w = scope.obligations(p, arg=4 if ahead else 3)
    sql = (
        "SELECT o.obligation_id, o.person_key, o.kind, o.responsible_county,"  # noqa: S608
        " o.counterpart_county, o.opened_at, o.due_at, o.state, o.urgent, o.agreement_id,"
        " o.reminded_at, o.breached_at, o.escalated_at, o.escalated_to, o.fulfilled_at,"
        " o.cancelled_at, o.late"
        f" FROM obligations o WHERE {predicate} AND {w.sql}"
        " ORDER BY o.due_at NULLS LAST, o.obligation_id LIMIT $1 OFFSET $2"
    )
    return sql, ((horizon,) if ahead else ()) + w.args


async def obligation_list(
    conn: Any, p: Principal, state: str, clock: dt.datetime | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    sql, args = obligation_list_sql(p, state, vocabulary.horizon(clock))
    records = await conn.fetch(sql, limit, offset, *args)
    return [with_status(r) for r in records]


def with_status(record: Mapping[str, Any]) -> dict[str, Any]:
    """A projected obligation as JSON, with its status and flags in the vocabulary's words."""
    row: dict[str, Any] = jsonable(dict(record))
    row["status"] = vocabulary.status(vocabulary.Row.of(record))
    row["breached"] = record["breached_at"] is not None
    row["escalated"] = record["escalated_at"] is not None
    return row


# --- flows ---------------------------------------------------------------------------------------


def flows_sql(p: Principal) -> tuple[str, tuple[Any, ...]]:
    w = scope.flows(p)
    sql = (
        "SELECT e.payload->>'origin_county' AS origin,"  # noqa: S608
        " e.payload->>'destination_county' AS destination,"
        " count(DISTINCT e.person_key) AS persons FROM events e"
        " WHERE e.event_type IN ('outflow_registered', 'inflow_registered')"
        f" AND {w.sql} GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 200"
    )
    return sql, w.args


async def flows(conn: Any, p: Principal) -> list[dict[str, Any]]:
    sql, args = flows_sql(p)
    return _rows(await conn.fetch(sql, *args))


# --- campaigns -----------------------------------------------------------------------------------


def campaign_sql(p: Principal) -> tuple[str, str, tuple[Any, ...], tuple[Any, ...]]:
    tw = scope.tasks(p, arg=2)
    cw = scope.campaigns(p)
    tasks_sql = (
        "SELECT t.campaign_id, t.state, t.result,"  # noqa: S608
        " (t.state = 'assigned' AND t.due_at < $1) AS overdue, count(*) AS n"
        f" FROM campaign_tasks t WHERE {tw.sql} GROUP BY 1, 2, 3, 4"
    )
    campaigns_sql = (
        "SELECT c.campaign_id, c.state, c.deadline, c.counties,"  # noqa: S608
        " c.period_start, c.period_end"
        f" FROM campaigns c WHERE {cw.sql} ORDER BY c.opened_at DESC"
    )
    return tasks_sql, campaigns_sql, tw.args, cw.args


async def campaigns(conn: Any, p: Principal, clock: dt.datetime | None) -> list[dict[str, Any]]:
    tasks_sql, campaigns_sql, targs, cargs = campaign_sql(p)
    out: dict[str, dict[str, Any]] = {}
    for r in await conn.fetch(campaigns_sql, *cargs):
        out[r["campaign_id"]] = {
            **jsonable(dict(r)),
            "assigned": 0,
            "reported": 0,
            "overdue": 0,
            "results": {},
        }
    for r in await conn.fetch(tasks_sql, clock, *targs):
        key = r["campaign_id"] or "?"
        entry = out.setdefault(
            key,
            {
                "campaign_id": key,
                "state": None,
                "deadline": None,
                "counties": [],
                "assigned": 0,
                "reported": 0,
                "overdue": 0,
                "results": {},
            },
        )
        entry[r["state"]] += r["n"]
        if r["overdue"]:
            entry["overdue"] += r["n"]
        if r["result"] is not None:
            entry["results"][r["result"]] = entry["results"].get(r["result"], 0) + r["n"]
    for entry in out.values():
        total = entry["assigned"] + entry["reported"]
        entry["tasks"] = total
        entry["progress"] = entry["reported"] / total if total else None
    return list(out.values())


# --- scorecards (public: the seed asks for results to be disclosed) ------------------------------

SCORECARDS = """
WITH latest AS (
    SELECT DISTINCT ON (county, period) county, period, revision, reason, origin_score,
           destination_score, combined_score
    FROM scorecards ORDER BY county, period, revision DESC
), periods AS (SELECT DISTINCT period FROM latest ORDER BY period DESC LIMIT $1)
SELECT * FROM latest WHERE period IN (SELECT period FROM periods) ORDER BY period, county
"""


def league(
    rows: list[dict[str, Any]], *, region: str, scope: league_module.Scope
) -> dict[str, Any]:
    """The latest period's league (:mod:`agents.league`) and each county's trend.

    A side not assessed has a null score (shown 不参评); a county assessed on neither side is
    listed unranked; with nobody assessed there is no ranking (``ranked`` false).
    """
    known = [periods_module.parse(p) for p in {r["period"] for r in rows}]
    # The latest period is the one that ended last (a quarter before its last month); the
    # trend follows the periods of its kind.
    newest = max(known, key=lambda p: (p.end, p.end - p.start), default=None)
    periods = sorted(p.text for p in known if newest is not None and p.kind == newest.kind)
    trend: dict[str, dict[str, float | None]] = defaultdict(dict)
    for r in rows:
        trend[r["county"]][r["period"]] = r["combined_score"]
    latest = newest.text if newest is not None else None
    cards = {r["county"]: r for r in rows if r["period"] == latest}
    table = league_module.league(
        (
            league_module.Standing(
                r["county"],
                Scores(r["origin_score"], r["destination_score"], r["combined_score"]),
                r["revision"],
            )
            for r in cards.values()
        ),
        region=region,
        scope=scope,
    )
    out = [
        {
            **cards[s.county],
            "rank": s.rank,
            "trend": [trend[s.county].get(q) for q in periods],
        }
        for s in table.standings
    ]
    average = table.average
    return {
        "period": latest,
        "period_label": None
        if newest is None
        else {"zh": newest.label("zh"), "en": newest.label("en")},
        "periods": periods,
        "scope": scope,
        "ranked": bool(table.ranked),
        "average": {
            "origin": average.origin,
            "destination": average.destination,
            "combined": average.combined,
        },
        "table": out,
    }


async def scorecards(
    conn: Any, *, region: str, scope: league_module.Scope = "region", periods: int = 6
) -> dict[str, Any]:
    return league(_rows(await conn.fetch(SCORECARDS, periods)), region=region, scope=scope)


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


def _ratio(covered: int | None, flows_: int | None) -> float | None:
    return covered / flows_ if flows_ and covered is not None else None


def _coverage_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        **r,
        "ratio": _ratio(r["covered"], r["flows"]),
        "outflow_ratio": _ratio(r.get("outflows_covered"), r.get("outflows")),
        "inflow_ratio": _ratio(r.get("inflows_covered"), r.get("inflows")),
    }


async def coverage(conn: Any, p: Principal) -> dict[str, Any]:
    """The latest month's agreement coverage. ``headline`` is the operator's own figure: the
    region's for the region, the county's own (every flow it is party to) for a county."""
    sql, args = coverage_sql(p)
    scopes = [_coverage_row(r) for r in _rows(await conn.fetch(sql, *args))]
    own = "region" if p.sees_all else p.county
    headline = next((s for s in scopes if s["scope"] == own), None)
    history = [
        {**r, "ratio": _ratio(r["covered"], r["flows"])}
        for r in reversed(_rows(await conn.fetch(COVERAGE_HISTORY, own)))
    ]
    return {
        "target": COVERAGE_TARGET,
        "period": scopes[0]["period"] if scopes else None,
        "scope": own,
        "headline": headline,
        "region": headline if p.sees_all else None,
        "counties": [s for s in scopes if s["scope"] != "region"],
        "history": history,
        "meets_target": None
        if headline is None or headline["ratio"] is None
        else headline["ratio"] >= COVERAGE_TARGET,
    }


# --- dead letters (region only: refused bytes cannot be attributed to a county) ------------------

DEAD_LETTERS = """
SELECT reason_code, detected_by, count(*) AS n FROM dead_letters
GROUP BY reason_code, detected_by ORDER BY n DESC, reason_code
"""


async def dead_letters(conn: Any) -> dict[str, Any]:
    rows = _rows(await conn.fetch(DEAD_LETTERS))
    return {"total": sum(r["n"] for r in rows), "by_reason": rows}


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
        "totals": None if p.sees_all else await county_totals(conn, p),
        "obligations": await obligation_counts(conn, p, clock),
        "vocabulary": vocabulary.labels(),
        "flows": await flows(conn, p),
        "campaigns": await campaigns(conn, p, clock),
        "scorecards": await scorecards(conn, region=region),
        "coverage": await coverage(conn, p),
        "dead_letters": await dead_letters(conn) if p.sees_all else None,
    }
