"""Shared helpers for the dashboard's integration and browser tests (this module has no tests).

A fresh database per test with every migration applied, rows inserted directly into the
projection's tables (no Kafka), operators of both roles, and a started DashboardServer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg

from dashboard.auth import add_user
from dashboard.server import DashboardConfig, DashboardServer
from infra.projection.migrate import migrate
from tests.integration.databases import empty_database

VALIDATED = "liudong.validated"
OBLIGATIONS = "liudong.obligations"
REGION = "610900"
HANBIN = "610902"  # 汉滨区, origin of P1
BAOAN = "440306"  # 宝安区, destination of P1
HANYIN = "610921"  # 汉阴县, origin of P2
YANTA = "610113"  # 雁塔区, destination of P2
P1, P2, P3 = "a1" * 32, "b2" * 32, "c3" * 32
T0 = dt.datetime(2026, 2, 1, 8, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
PASSWORD = "correct horse battery"  # noqa: S105 (a test operator)
USERS = {  # name: (role, county)
    "region": ("region", None),
    "hanbin": ("county", HANBIN),
    "hanyin": ("county", HANYIN),
}


@contextlib.asynccontextmanager
async def fresh_database(server_dsn: str) -> AsyncIterator[str]:
    """A new database with every migration applied and the operators created; dropped after."""
    async with empty_database(server_dsn, "dash") as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            await migrate(conn)
            for user, (role, county) in USERS.items():
                await add_user(conn, user, PASSWORD, role, county)
        finally:
            await conn.close()
        yield dsn


@contextlib.asynccontextmanager
async def running_dashboard(dsn: str, **options: Any) -> AsyncIterator[DashboardServer]:
    server = DashboardServer(DashboardConfig(dsn=dsn, port=0, interval_s=0.3, **options))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@dataclass
class Seeder:
    """Inserts projection rows the way the projector would leave them."""

    conn: Any
    offset: int = 0

    async def event(
        self,
        event_type: str,
        at: dt.datetime,
        *,
        source: str,
        person: str | None = None,
        topic: str = VALIDATED,
        cause: uuid.UUID | None = None,
        **payload: Any,
    ) -> uuid.UUID:
        event_id = uuid.uuid4()
        self.offset += 1
        body = {
            "event_type": event_type,
            "event_id": str(event_id),
            "signature": "x" * 8,
            **({"person_key": person} if person else {}),
            **payload,
        }
        await self.conn.execute(
            """INSERT INTO events (event_id, topic, partition, "offset", event_type,
                schema_version, occurred_at, recorded_at, source_county, publisher_id,
                correlation_id, causation_id, person_key, payload)
               VALUES ($1, $2, 0, $3, $4, 1, $5, $5, $6, $7, $1, $8, $9, $10::jsonb)""",
            event_id,
            topic,
            self.offset,
            event_type,
            at,
            source,
            f"{source}/node",
            cause,
            person,
            json.dumps(body),
        )
        return event_id

    async def obligation(
        self,
        oid: str,
        person: str,
        responsible: str,
        counterpart: str,
        state: str,
        due: dt.datetime,
        cause: uuid.UUID | None = None,
    ) -> None:
        opened = await self.event(
            "obligation_opened",
            due - 30 * DAY,
            source=REGION,
            person=person,
            topic=OBLIGATIONS,
            cause=cause,
            obligation_id=oid,
            responsible_county=responsible,
            counterpart_county=counterpart,
        )
        last = opened
        if state in ("breached", "escalated"):
            tick = await self.event("clock_ticked", due + DAY, source=REGION)
            last = await self.event(
                "obligation_breached",
                due + DAY,
                source=REGION,
                person=person,
                topic=OBLIGATIONS,
                cause=tick,
                obligation_id=oid,
            )
        await self.conn.execute(
            """INSERT INTO obligations (obligation_id, person_key, kind, responsible_county,
                counterpart_county, opened_at, due_at, remind_at, escalate_at, urgent, state,
                breached_at, escalated_at, last_event_id)
               VALUES ($1, $2, 'arrival_registration', $3, $4, $5, $6, $6, $6, false, $7, $8, $9,
                       $10)""",
            oid,
            person,
            responsible,
            counterpart,
            due - 30 * DAY,
            due,
            state,
            due + DAY if state in ("breached", "escalated") else None,
            due + 16 * DAY if state == "escalated" else None,
            last,
        )

    async def flow(self, person: str, origin: str, destination: str, at: dt.datetime) -> uuid.UUID:
        return await self.event(
            "outflow_registered",
            at,
            source=origin,
            person=person,
            origin_county=origin,
            destination_county=destination,
        )


async def seed(conn: Any) -> Seeder:
    """Two cases (P1 汉滨区→宝安区, P2 汉阴县→雁塔区), a campaign, coverage, scorecards,
    dead letters and projector positions."""
    s = Seeder(conn)
    out1 = await s.flow(P1, HANBIN, BAOAN, T0)
    await s.event(
        "inflow_registered",
        T0 + DAY,
        source=BAOAN,
        person=P1,
        origin_county=HANBIN,
        destination_county=BAOAN,
    )
    await s.obligation("ob-p1-arrival", P1, BAOAN, HANBIN, "opened", T0 + 30 * DAY, out1)
    await s.obligation("ob-p1-receipt", P1, HANBIN, BAOAN, "breached", T0 + 10 * DAY, out1)
    out2 = await s.flow(P2, HANYIN, YANTA, T0)
    await s.obligation("ob-p2-arrival", P2, YANTA, HANYIN, "escalated", T0 + 5 * DAY, out2)
    await s.event("clock_ticked", T0 + 20 * DAY, source=REGION)
    await conn.execute(
        """INSERT INTO persons VALUES ($1, $3, $3, $4, $3), ($2, $3, $3, $5, $3)""",
        P1,
        P2,
        T0,
        BAOAN,
        YANTA,
    )
    await conn.execute(
        """INSERT INTO campaigns VALUES ('qc-2026q1', $1, $2, $3, $3, '{unmatched_outflow}', $2,
           'open', NULL, NULL)""",
        [HANBIN, HANYIN],
        T0,
        T0 + 60 * DAY,
    )
    await conn.execute(
        """INSERT INTO campaign_tasks VALUES
           ('task-1', 'qc-2026q1', $1, 'unmatched_outflow', $3, $4, $5, 'present', NULL, NULL,
            $5, 'reported'),
           ('task-2', 'qc-2026q1', $2, 'unmatched_outflow', $6, $4, $5, NULL, NULL, NULL,
            NULL, 'assigned')""",
        P1,
        P2,
        HANBIN,
        T0 + 60 * DAY,
        T0 + DAY,
        HANYIN,
    )
    await conn.execute(
        """INSERT INTO coverage VALUES ('2026-02', 0, 'region', 10, 7, $1, $2),
           ('2026-02', 0, $3, 4, 4, $1, $2), ('2026-02', 0, $4, 6, 3, $1, $2)""",
        T0,
        uuid.uuid4(),
        HANBIN,
        HANYIN,
    )
    for county, score in ((HANBIN, 91.5), (HANYIN, 78.0), (BAOAN, 84.25)):
        for period, delta in (("2026-01", -5.0), ("2026-02", 0.0)):
            await conn.execute(
                """INSERT INTO scorecards VALUES ($1, $2, 1, 'period_closed', $3, $3, $3,
                   '{"indicators": []}', $4, $5)""",
                county,
                period,
                score + delta,
                T0,
                uuid.uuid4(),
            )
    for reason in ("bad_signature", "bad_signature", "malformed_json"):
        await conn.execute(
            """INSERT INTO dead_letters VALUES ($1, $2, 'why', '\\x00', 'liudong.county-events',
               0, 1, $3, 'gate')""",
            uuid.uuid4(),
            reason,
            T0,
        )
    await conn.execute(
        "INSERT INTO projection_offsets VALUES ($1, 0, 10), ($2, 0, 5)", VALIDATED, OBLIGATIONS
    )
    return s
