"""The dashboard's worklists on a real PostgreSQL: obligations by state, county, kind and days
overdue with totals, pages and CSV; flows by level and within a division; refused messages
and their raw bytes; a campaign's unanswered tasks per county; the league by period; and
every bad parameter answered 400 in one line."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.integration.test_dashboard_api import Client
from tests.integration.test_dashboard_fixtures import (
    BAOAN,
    HANBIN,
    HANYIN,
    P2,
    YANTA,
    fresh_database,
    running_dashboard,
    seed,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
async def dsn(pg_dsn: str) -> AsyncIterator[str]:
    async with fresh_database(pg_dsn) as database:
        conn = await asyncpg.connect(database)
        try:
            await seed(conn)
        finally:
            await conn.close()
        yield database


@pytest.fixture
async def client(dsn: str) -> AsyncIterator[Client]:
    async with running_dashboard(dsn) as server, aiohttp.ClientSession() as session:
        yield Client(session, server)


async def test_the_worklist_filters_counts_and_pages(client: Client) -> None:
    token = await client.token("region")
    status, breached = await client.get("/api/obligations?state=breached", token)
    assert status == 200
    assert breached["total"] == 2
    # Days overdue, to the logical clock (20 days after T0): P2's arrival 15, P1's receipt 10.
    assert [(o["obligation_id"], o["days_overdue"]) for o in breached["items"]] == [
        ("ob-p2-arrival", 15),
        ("ob-p1-receipt", 10),
    ]
    late = (await client.get("/api/obligations?state=breached&min_days_overdue=12", token))[1]
    assert [o["obligation_id"] for o in late["items"]] == ["ob-p2-arrival"]
    assert late["total"] == 1
    assert late["filter"]["min_days_overdue"] == 12
    by_county = (await client.get(f"/api/obligations?state=open&county={HANBIN}", token))[1]
    assert [o["obligation_id"] for o in by_county["items"]] == ["ob-p1-receipt"]
    assert by_county["names"][HANBIN]["zh"] == "汉滨区"
    of_kind = (await client.get("/api/obligations?state=open&kind=arrival_registration", token))[1]
    assert of_kind["total"] == 3
    none = (await client.get("/api/obligations?state=open&kind=inquiry_answer", token))[1]
    assert (none["total"], none["items"]) == (0, [])
    # Pages: one at a time, the total stays.
    first = (await client.get("/api/obligations?state=open&limit=1", token))[1]
    second = (await client.get("/api/obligations?state=open&limit=1&offset=1", token))[1]
    assert (first["total"], second["total"]) == (3, 3)
    assert first["items"][0]["obligation_id"] != second["items"][0]["obligation_id"]
    past = (await client.get("/api/obligations?state=open&limit=1&offset=3", token))[1]
    assert (past["total"], past["items"]) == (3, [])


async def test_the_worklist_as_csv_for_a_spreadsheet(client: Client) -> None:
    token = await client.token("region")
    headers = {"Authorization": f"Bearer {token}"}
    async with client.session.get(
        f"{client.base}/api/obligations.csv?state=breached", headers=headers
    ) as r:
        assert r.status == 200
        assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert 'filename="obligations-breached-' in r.headers["Content-Disposition"]
        body = await r.read()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "事项编号"
    assert [r[0] for r in rows[1:]] == ["ob-p2-arrival", "ob-p1-receipt"]
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["责任县区"] == "雁塔区"
    assert record["事项类型"] == "流入登记（接收）"
    assert record["办理期限（北京时间）"] == "2026-02-06 16:00"  # 08:00 UTC
    assert (record["已上报督办"], record["逾期天数"]) == ("是", "15")
    async with client.session.get(
        f"{client.base}/api/obligations.csv?state=open&county={HANYIN}&lang=en", headers=headers
    ) as r:
        english = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig"))))
    assert english[0][3] == "Responsible county code"
    assert len(english) == 1  # nothing open is Hanyin's: the header alone
    async with client.session.get(f"{client.base}/api/obligations.csv") as r:
        assert r.status == 401


async def test_flows_by_level_and_within_a_division(client: Client) -> None:
    token = await client.token("region")
    provinces = (await client.get("/api/flows?level=province", token))[1]
    assert {(p["origin"], p["destination"], p["persons"]) for p in provinces["pairs"]} == {
        ("610000", "440000", 1),
        ("610000", "610000", 1),
    }
    assert provinces["finer"] == "prefecture"
    assert provinces["names"]["440000"] == {"zh": "广东省", "en": "Guangdong"}
    inside = await client.get("/api/flows?level=county&origin=610000&destination=610100", token)
    assert [(p["origin"], p["destination"]) for p in inside[1]["pairs"]] == [(HANYIN, YANTA)]
    assert inside[1]["persons"] == 1
    top = (await client.get("/api/flows?level=county&top=1", token))[1]
    assert len(top["pairs"]) == 1
    assert (top["others"], top["total_pairs"], top["persons"]) == (
        {"pairs": 1, "persons": 1},
        2,
        2,
    )
    county = await client.token("hanbin")
    own = (await client.get("/api/flows?level=province", county))[1]
    assert [(p["origin"], p["destination"]) for p in own["pairs"]] == [("610000", "440000")]


async def test_refused_messages_listed_and_opened(client: Client, dsn: str) -> None:
    raw = b'{"event_type": "outflow_registered", "source_county": "610921", "signature": "x"}'
    conn = await asyncpg.connect(dsn)
    try:
        event_id = uuid.uuid4()
        await conn.execute(
            """INSERT INTO dead_letters VALUES ($1, 'bad_signature', 'does not verify',
               $2, 'liudong.county-events', 2, 41, now(), 'gate')""",
            event_id,
            raw,
        )
        # The gate's event of it, archived under its id: the message as received was longer.
        await conn.execute(
            """INSERT INTO events (event_id, topic, partition, "offset", event_type,
                schema_version, occurred_at, recorded_at, source_county, publisher_id,
                correlation_id, payload)
               VALUES ($1, 'liudong.dead-letters', 0, 7, 'dead_lettered', 1, now(), now(),
                       '610900', '610900/agents', $1, $2::jsonb)""",
            event_id,
            json.dumps({"raw_length": 70000, "raw_sha256": "ab" * 32, "ids_masked": 0}),
        )
    finally:
        await conn.close()
    token = await client.token("region")
    status, body = await client.get("/api/dead-letters", token)
    assert status == 200
    assert (body["total"], body["page"]["total"]) == (4, 4)
    assert body["page"]["items"][0]["event_id"] == str(event_id)  # the newest first
    assert body["page"]["items"][0]["claimed"]["county"] == HANYIN
    assert body["names"][HANYIN]["zh"] == "汉阴县"
    forged = (await client.get("/api/dead-letters?reason=bad_signature", token))[1]
    assert forged["page"]["total"] == 3
    assert {i["reason_code"] for i in forged["page"]["items"]} == {"bad_signature"}
    status, record = await client.get(f"/api/dead-letters/{event_id}", token)
    assert status == 200
    assert record["text"] == raw.decode()
    assert record["kept_length"] == len(raw)
    assert record["hex"].startswith("7b 22 65 76")
    assert record["source_partition"] == 2
    assert record["source_offset"] == 41
    assert record["reason"] == "does not verify"
    assert (record["raw_length"], record["raw_sha256"]) == (70000, "ab" * 32)
    assert (await client.get(f"/api/dead-letters/{uuid.uuid4()}", token))[0] == 404
    assert (await client.get("/api/dead-letters/not-an-id", token))[0] == 400
    assert (await client.get("/api/dead-letters?reason=Bad%20One", token))[0] == 400
    county = await client.token("hanbin")
    assert (await client.get(f"/api/dead-letters/{event_id}", county))[0] == 403


async def test_a_campaigns_unanswered_tasks_by_county(client: Client) -> None:
    token = await client.token("region")
    status, body = await client.get("/api/campaigns/qc-2026q1/tasks", token)
    assert status == 200
    assert body["campaign"]["period_start"] is not None
    assert body["campaign"]["status"] == "open"
    assert body["counties"] == [
        {"county": HANYIN, "assigned": 1, "answered": 0, "unanswered": 1, "overdue": 0},
        {"county": HANBIN, "assigned": 1, "answered": 1, "unanswered": 0, "overdue": 0},
    ]
    assert [(t["task_id"], t["person_key"]) for t in body["items"]] == [("task-2", P2)]
    assert body["total"] == 1
    only = (await client.get(f"/api/campaigns/qc-2026q1/tasks?county={HANBIN}", token))[1]
    assert (only["total"], only["items"]) == (0, [])
    county = await client.token("hanbin")
    own = (await client.get("/api/campaigns/qc-2026q1/tasks", county))[1]
    assert [c["county"] for c in own["counties"]] == [HANBIN]  # its own tasks only
    assert (await client.get("/api/campaigns/nope/tasks", token))[0] == 404
    assert (await client.get("/api/campaigns/qc-2026q1/tasks?county=6109", token))[0] == 400


async def test_the_league_by_period_and_page(client: Client) -> None:
    token = await client.token("region")
    january = (await client.get("/api/scorecards?period=2026-01&scope=all", token))[1]
    assert january["period"] == "2026-01"
    assert january["period_label"] == {"zh": "2026年1月", "en": "January 2026"}
    assert [(r["rank"], r["county"]) for r in january["table"]] == [
        (1, HANBIN),
        (2, BAOAN),
        (3, HANYIN),
    ]
    assert [a["period"] for a in january["available"]] == ["2026-02", "2026-01"]
    page = (await client.get("/api/scorecards?scope=all&limit=1&offset=1", token))[1]
    assert [(r["rank"], r["county"]) for r in page["table"]] == [(2, BAOAN)]
    assert page["total"] == 3
    assert (await client.get("/api/scorecards?period=2026-13", token))[0] == 400


@pytest.mark.parametrize(
    "path",
    [
        "/api/obligations?state=late",
        "/api/obligations?county=61090X",
        "/api/obligations?kind=register",
        "/api/obligations?min_days_overdue=-3",
        "/api/obligations.csv?state=late",
        "/api/flows?level=village",
        "/api/flows?origin=61",
        "/api/flows?top=0",
        "/api/coverage?which=world",
        "/api/coverage?sort=best",
        "/api/coverage?limit=100000",
        "/api/scorecards?period=Q1",
    ],
)
async def test_a_bad_parameter_is_one_line_and_400(client: Client, path: str) -> None:
    token = await client.token("region")
    status, body = await client.get(path, token)
    assert status == 400, path
    assert body["error"] == "bad_request"
    assert body["message"]
    assert "\n" not in body["message"]


async def test_the_page_asks_whether_it_is_signed_in(client: Client) -> None:
    status, body = await client.get("/api/session")
    assert (status, body) == (200, {"signed_in": False})
    token = await client.token("hanbin")
    status, body = await client.get("/api/session", token)
    assert status == 200
    assert (body["signed_in"], body["county"]) == (True, HANBIN)
    words: dict[str, Any] = (await client.get("/api/words", token))[1]
    assert words["reasons"]["bad_signature"]["zh"] == "签名验证失败（疑似伪造）"
    assert words["counts"]["escalated"] == {"zh": "已上报督办", "en": "Escalated"}


async def test_agreements_pending_a_signature_say_what_they_wait_for(
    client: Client, dsn: str
) -> None:
    from tests.unit.dashboard.test_dashboard_agreements import signed

    events = [
        signed(HANBIN, "agr-1", HANBIN, BAOAN),
        signed(HANYIN, "agr-2", HANYIN, YANTA),
        signed(YANTA, "agr-2", HANYIN, YANTA),
    ]
    conn = await asyncpg.connect(dsn)
    try:
        for offset, e in enumerate(events, start=900):
            await conn.execute(
                """INSERT INTO events (event_id, topic, partition, "offset", event_type,
                    schema_version, occurred_at, recorded_at, source_county, publisher_id,
                    correlation_id, payload)
                   VALUES ($1, 'liudong.validated', 0, $2, 'agreement_signed', 1, $3, $3, $4,
                           $5, $1, $6::jsonb)""",
                e.event_id,
                offset,
                e.occurred_at,
                e.source_county,
                e.publisher_id,
                e.model_dump_json(),
            )
    finally:
        await conn.close()
    token = await client.token("region")
    status, body = await client.get("/api/agreements?state=pending", token)
    assert status == 200
    assert body["counts"]["pending"] == 1
    assert body["counts"]["in_force"] == 1
    (pending,) = body["items"]
    assert (pending["agreement_id"], pending["signed_by"], pending["awaiting"]) == (
        "agr-1",
        [HANBIN],
        [BAOAN],
    )
    assert body["names"][BAOAN]["zh"] == "宝安区"
    county = await client.token("hanyin")
    own = (await client.get("/api/agreements", county))[1]
    assert [i["agreement_id"] for i in own["items"]] == ["agr-2"]
    assert (await client.get("/api/agreements?state=signed", token))[0] == 400
