"""What ``liudong demo`` prints from the projection and the scorecards topic: the running
summary line, the final report (coverage by county, obligations by kind, dead letters), the
campaign tasks and the newest quarter's league."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from contracts import obligation_vocabulary as vocabulary
from contracts import unions
from dashboard import figures
from infra.projection import reads
from simulation.publisher import SimulationProgress
from streams import topics
from streams.event_counts import COUNTY_EVENTS, DERIVED
from streams.topic_reader import read_all

SUMMARY_SQL = """
SELECT
  (SELECT max(occurred_at) FROM events WHERE event_type = 'clock_ticked') AS clock,
  (SELECT coalesce(sum(flows), 0) FROM coverage_totals WHERE scope = 'region') AS flows,
  (SELECT coalesce(sum(covered), 0) FROM coverage_totals WHERE scope = 'region') AS covered,
  (SELECT count(*) FROM dead_letters) AS dead
"""
# The counts the demo prints, in the vocabulary's words (contracts.obligation_vocabulary).
SHOWN = ("open", "overdue", "fulfilled_on_time", "fulfilled_late", "breached", "escalated")
COVERAGE_TARGET = 0.8  # the seed's goal: 80% of counties with the mechanism in place by 2015

CAMPAIGN_SQL = (
    """
SELECT t.campaign_id, t."check", count(DISTINCT t.assignee) AS assignees, count(*) AS assigned,
       count(*) FILTER (WHERE t.result IS NOT NULL) AS answered,
       count(*) FILTER (WHERE t.result IS NULL AND """
    + vocabulary.sql("overdue")
    + """) AS overdue
FROM campaign_tasks t
LEFT JOIN obligations o ON o.obligation_id = 'verification_result:' || t.task_id
WHERE t.campaign_id IS NOT NULL
GROUP BY 1, 2 ORDER BY 1, 2
"""
)

# The projection has caught up when its event count holds this many seconds in a row.
SETTLED_FOR_S = 3
SETTLE_LIMIT_S = 120


async def summary_line(conn: asyncpg.Connection, progress: SimulationProgress | None) -> str:
    """Event time, events published and archived, obligations by state, coverage, dead letters."""
    row = await conn.fetchrow(SUMMARY_SQL)
    archive = await figures.totals(conn)
    counts = await reads.obligation_counts(conn, row["clock"])
    p = progress
    published = f"published {p.events} {COUNTY_EVENTS}" if p else ""
    clock = f"event time {p.event_time:%Y-%m-%d}, {published}" if p else "starting"
    flows, covered = int(row["flows"]), int(row["covered"])
    share = f"{covered / flows:.0%}" if flows else "-"
    by_state = ", ".join(f"{name.replace('_', ' ')} {counts[name]}" for name in SHOWN)
    return (
        f"{clock} | {COUNTY_EVENTS} {archive['county_events']}, {DERIVED}"
        f" {archive['derived']} | obligations {by_state} "
        f"| agreement coverage {share} "
        f"(target {COVERAGE_TARGET:.0%}) | dead letters {row['dead']}"
    )


async def settle(conn: asyncpg.Connection) -> None:
    """Wait until the projection stops moving (the agents and projector caught up)."""
    last, still, deadline = -1, 0, time.monotonic() + SETTLE_LIMIT_S
    while time.monotonic() < deadline and still < SETTLED_FOR_S:
        archived = int(await conn.fetchval("SELECT count(*) FROM events"))
        still = still + 1 if archived == last else 0
        last = archived
        await asyncio.sleep(1.0)


async def final_lines(conn: asyncpg.Connection) -> list[str]:
    """Coverage of each origin county's outflows, obligations by kind, the dead letters."""
    lines = ["agreement coverage of each origin county's outflows (covered / flows):"]
    rows = await conn.fetch(
        "SELECT c.scope, coalesce(sum(c.outflows), 0) AS flows, "
        "coalesce(sum(c.outflows_covered), 0) AS covered, "
        "coalesce(min(k.name), c.scope) AS name "
        "FROM coverage_totals c LEFT JOIN counties k ON k.code = c.scope "
        "WHERE c.scope LIKE '6109%' GROUP BY c.scope ORDER BY c.scope"
    )
    for r in rows:
        share = r["covered"] / r["flows"] if r["flows"] else 0.0
        lines.append(f"  {r['scope']} {r['name']:<6} {r['covered']:>5}/{r['flows']:<5} {share:.0%}")
    lines.append("obligations by kind (" + ", ".join(vocabulary.NAMES) + "):")
    clock = await conn.fetchval(
        "SELECT max(occurred_at) FROM events WHERE event_type = 'clock_ticked'"
    )
    by_kind = reads.obligation_counts_sql(group_by="kind")
    for r in await conn.fetch(by_kind, vocabulary.horizon(clock)):
        counts = " ".join(f"{r[name]:>5}" for name in vocabulary.NAMES)
        lines.append(f"  {r['grouped'] or '?':<26} {counts}")
    lines.append("dead letters:")
    for r in await conn.fetch("SELECT reason_code, reason FROM dead_letters ORDER BY reason_code"):
        lines.append(f"  {r['reason_code']}: {r['reason']}")
    return lines


async def campaign_lines(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(CAMPAIGN_SQL)
    lines = ["campaign tasks (清理清查) by kind: assigned / answered / overdue, assignee counties:"]
    for r in rows:
        lines.append(
            f"  {r['campaign_id']} {r['check']:<18} "
            f"{r['assigned']:>4} / {r['answered']:>4} / {r['overdue']:>4}, "
            f"{r['assignees']} counties"
        )
    if not rows:
        lines.append("  none assigned")
    return lines


async def league_lines(bootstrap: str, region: str) -> list[str]:
    """The newest quarter's league of the region's own counties, from the scorecards topic."""
    from agents import assessment_rules
    from entrypoints.scorecard_docs import league_of
    from entrypoints.scorecard_text import table_lines

    cards = assessment_rules.newest(
        await read_all(bootstrap, topics.SCORECARDS.full_name("liudong"), unions.ScorecardEvent)
    )
    quarters = sorted({period for _, period in cards if "Q" in period})
    if not quarters:
        return ["scorecards: none published yet (`liudong scorecard --period P` later)"]
    period = quarters[-1]
    mine = {c.county: c for (_, p), c in cards.items() if p == period}
    table = league_of(list(mine.values()), region=region, scope="region")
    head = (
        f"two-way assessment (双向考核) {period}, the region's {len(table.standings)} "
        f"counties ({len(table.ranked)} ranked; `liudong scorecard --period {period}`):"
    )
    rows = table_lines(table.standings, table.average, mine, ranked=bool(table.ranked))
    return [head] + ["  " + line for line in rows]
