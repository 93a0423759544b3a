"""Clean-up campaigns (清理清查) for the dashboard: each campaign's period, deadline and state,
its tasks per assignee county, and the unanswered tasks a county has to act on.

A task is **answered** once its result is reported, and **overdue** while unanswered with
its verification obligation counted ``overdue`` by the vocabulary (open and past due: the
campaign's figures of :func:`agents.campaign_progress.progress` say the same). A campaign is
``overdue_open`` when the logical clock has passed its deadline and it is not closed
(:mod:`contracts.campaign_status`): the region has to extend it or close it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from contracts import obligation_vocabulary as vocabulary
from contracts.campaign_status import state_of
from dashboard import scope
from dashboard.auth import Principal
from dashboard.json_values import jsonable
from dashboard.names import names
from dashboard.sql_args import Args

TASK_PAGE = 20
_CAMPAIGN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")

# The task's verification obligation (its first, or the one an extension opened in its
# place: ``verification_result:<task id>[:<deadline>]``, see agents.campaign_rules) is
# counted overdue by the vocabulary.
TASK_OVERDUE = (
    "EXISTS (SELECT 1 FROM obligations o WHERE o.person_key = t.person_key"  # noqa: S608
    " AND (o.obligation_id = 'verification_result:' || t.task_id"
    " OR starts_with(o.obligation_id, 'verification_result:' || t.task_id || ':'))"
    " AND " + vocabulary.sql("overdue", alias="o") + ")"
)


def valid_id(campaign_id: str) -> bool:
    return bool(_CAMPAIGN.match(campaign_id))


def campaigns_sql(p: Principal) -> tuple[str, list[Any]]:
    args = Args()
    cw = scope.campaigns(p, arg=args.next)
    args.extend(cw.args)
    tw = scope.tasks(p, arg=args.next)
    args.extend(tw.args)
    sql = (
        "SELECT c.campaign_id, c.state, c.deadline, c.counties, c.period_start, c.period_end,"  # noqa: S608
        " c.opened_at, c.closed_at, c.closed_early,"
        " count(t.task_id) AS assigned,"
        " count(t.task_id) FILTER (WHERE t.result IS NOT NULL) AS answered,"
        f" count(t.task_id) FILTER (WHERE t.result IS NULL AND {TASK_OVERDUE}) AS overdue"
        f" FROM campaigns c LEFT JOIN campaign_tasks t ON t.campaign_id = c.campaign_id"
        f" AND {tw.sql} WHERE {cw.sql}"
        " GROUP BY c.campaign_id ORDER BY c.opened_at DESC, c.campaign_id"
    )
    return sql, args.values


def _campaign(r: Any, clock: dt.datetime | None) -> dict[str, Any]:
    row: dict[str, Any] = jsonable(dict(r))
    assigned, answered = int(r["assigned"]), int(r["answered"])
    row.update(
        assigned=assigned,
        answered=answered,
        unanswered=assigned - answered,
        overdue=int(r["overdue"]),
        progress=answered / assigned if assigned else None,
        status=state_of(r["state"] == "closed", r["deadline"], clock),
    )
    return row


async def campaigns(conn: Any, p: Principal, clock: dt.datetime | None) -> list[dict[str, Any]]:
    sql, args = campaigns_sql(p)
    return [_campaign(r, clock) for r in await conn.fetch(sql, *args)]


def by_county_sql(p: Principal, campaign_id: str) -> tuple[str, list[Any]]:
    args = Args()
    tw = scope.tasks(p, arg=args.next)
    args.extend(tw.args)
    sql = (
        "SELECT t.assignee, count(*) AS assigned,"  # noqa: S608
        " count(*) FILTER (WHERE t.result IS NOT NULL) AS answered,"
        f" count(*) FILTER (WHERE t.result IS NULL AND {TASK_OVERDUE}) AS overdue"
        f" FROM campaign_tasks t WHERE t.campaign_id = {args.add(campaign_id)} AND {tw.sql}"
        " GROUP BY t.assignee ORDER BY count(*) FILTER (WHERE t.result IS NULL) DESC, t.assignee"
    )
    return sql, args.values


def unanswered_sql(
    p: Principal,
    campaign_id: str,
    county: str | None,
    clock: dt.datetime | None,
    limit: int,
    offset: int,
) -> tuple[str, str, list[Any], list[Any]]:
    """One page of the campaign's unanswered tasks (deadline first), and their total."""
    args = Args()
    tw = scope.tasks(p, arg=args.next)
    args.extend(tw.args)
    parts = [tw.sql, "t.result IS NULL", "t.campaign_id = " + args.add(campaign_id)]
    if county is not None:
        parts.append("t.assignee = " + args.add(county))
    clause = " AND ".join(parts)
    total_args = list(args.values)
    total = "SELECT count(*) FROM campaign_tasks t WHERE " + clause  # noqa: S608
    clock_arg = args.add(clock)
    rows = (
        'SELECT t.task_id, t.person_key, t."check", t.assignee, t.due_at, t.assigned_at,'  # noqa: S608
        f" {TASK_OVERDUE} AS overdue,"
        f" CASE WHEN {TASK_OVERDUE} THEN floor(extract(epoch FROM ({clock_arg}::timestamptz"
        " - t.due_at)) / 86400)::int END AS days_overdue"
        f" FROM campaign_tasks t WHERE {clause}"
        " ORDER BY t.due_at NULLS LAST, t.assignee, t.task_id"
        f" LIMIT {args.add(limit)} OFFSET {args.add(offset)}"
    )
    return rows, total, args.values, total_args


async def tasks(
    conn: Any,
    p: Principal,
    campaign_id: str,
    county: str | None,
    clock: dt.datetime | None,
    limit: int,
    offset: int,
) -> dict[str, Any] | None:
    """The campaign's counties and one page of unanswered tasks; None if it is not visible."""
    listed = {c["campaign_id"]: c for c in await campaigns(conn, p, clock)}
    campaign = listed.get(campaign_id)
    if campaign is None:
        return None
    sql, args = by_county_sql(p, campaign_id)
    counties = [
        {
            "county": r["assignee"],
            "assigned": int(r["assigned"]),
            "answered": int(r["answered"]),
            "unanswered": int(r["assigned"]) - int(r["answered"]),
            "overdue": int(r["overdue"]),
        }
        for r in await conn.fetch(sql, *args)
    ]
    rows_sql, total_sql, rows_args, total_args = unanswered_sql(
        p, campaign_id, county, clock, limit, offset
    )
    total = int(await conn.fetchval(total_sql, *total_args))
    items = [jsonable(dict(r)) for r in await conn.fetch(rows_sql, *rows_args)]
    codes = {c["county"] for c in counties} | set(campaign.get("counties") or [])
    return {
        "campaign": campaign,
        "counties": counties,
        "county": county,
        "total": total,
        "offset": offset,
        "limit": limit,
        "items": items,
        "names": names(codes),
    }
