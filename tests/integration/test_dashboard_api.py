"""The dashboard's JSON API, event stream and metrics on a real PostgreSQL (no Kafka)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest
from openapi_spec_validator import validate
from prometheus_client.parser import text_string_to_metric_families

from dashboard.api import ROUTES
from dashboard.server import DashboardServer
from infra.postgres import EmbeddedPostgres
from tests.integration.test_dashboard_fixtures import (
    BAOAN,
    DAY,
    HANBIN,
    HANYIN,
    P1,
    P2,
    P3,
    PASSWORD,
    T0,
    YANTA,
    Seeder,
    fresh_database,
    running_dashboard,
    seed,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


class Client:
    def __init__(self, session: aiohttp.ClientSession, server: DashboardServer) -> None:
        self.session = session
        self.base = server.url.rstrip("/")

    async def login(self, user: str, password: str = PASSWORD) -> tuple[int, dict[str, Any]]:
        async with self.session.post(
            f"{self.base}/api/login", json={"username": user, "password": password}
        ) as r:
            return r.status, await r.json()

    async def token(self, user: str) -> str:
        status, body = await self.login(user)
        assert status == 200, body
        return str(body["token"])

    async def get(self, path: str, token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.get(f"{self.base}{path}", headers=headers) as r:
            ctype = r.headers.get("Content-Type", "")
            body: Any = await r.json() if "json" in ctype else await r.text()
            return r.status, body


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
    async with (
        running_dashboard(dsn) as server,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session,
    ):
        yield Client(session, server)


def _concrete(path: str) -> str:
    return (
        path.replace("{person_key}", P1)
        .replace("{campaign_id}", "qc-2026q1")
        .replace("{event_id}", "00000000-0000-0000-0000-000000000000")
    )


async def test_every_protected_route_needs_a_session(client: Client) -> None:
    protected = [r for r in ROUTES if r.roles is not None]
    assert len(protected) >= 12
    for route in protected:
        async with client.session.request(route.method, client.base + _concrete(route.path)) as r:
            assert r.status == 401, route.path
        async with client.session.request(
            route.method,
            client.base + _concrete(route.path),
            headers={"Authorization": "Bearer not-a-token"},
        ) as r:
            assert r.status == 401, route.path


async def test_sign_in_by_password_cookie_and_bearer(client: Client) -> None:
    status, body = await client.login("region", "wrong password")
    assert (status, body["error"]) == (401, "bad_credentials")
    status, body = await client.login("nobody")
    assert status == 401
    async with client.session.post(f"{client.base}/api/login", data=b"{nope") as r:
        assert r.status == 400
    status, body = await client.login("hanbin")
    assert status == 200
    assert body["role"] == "county"
    assert body["county"] == HANBIN
    token = body["token"]
    # the cookie jar now holds the HttpOnly cookie: no header needed
    status, me = await client.get("/api/me")
    assert status == 200
    assert me["username"] == "hanbin"
    assert me["names"][HANBIN] == {"zh": "汉滨区", "en": "Hanbin District"}
    client.session.cookie_jar.clear()
    status, me = await client.get("/api/me", token)
    assert status == 200
    assert me["county"] == HANBIN
    async with client.session.post(
        f"{client.base}/api/logout", headers={"Authorization": f"Bearer {token}"}
    ) as r:
        assert r.status == 204
    assert (await client.get("/api/me", token))[0] == 401


async def test_region_sees_everything(client: Client) -> None:
    token = await client.token("region")
    status, s = await client.get("/api/summary", token)
    assert status == 200
    assert s["db"] == "ok"
    # In the vocabulary's words: P1's arrival is open; its receipt is overdue (breached);
    # P2's arrival is overdue, breached and escalated.
    assert s["obligations"]["counts"] == {
        "open": 3,
        "due_soon": 0,
        "overdue": 2,
        "breached": 2,
        "fulfilled_on_time": 0,
        "fulfilled_late": 0,
        "escalated": 1,
        "cancelled": 0,
    }
    assert s["vocabulary"]["breached"] == {"zh": "逾期", "en": "Breached"}
    status, pairs = await client.get("/api/flows?level=county", token)
    assert status == 200
    assert {(f["origin"], f["destination"]) for f in pairs["pairs"]} == {
        (HANBIN, BAOAN),
        (HANYIN, YANTA),
    }
    assert s["dead_letters"]["total"] == 3
    assert s["coverage"]["headline"]["scope"] == "region"
    assert s["coverage"]["headline"]["ratio"] == pytest.approx(0.7)
    assert s["coverage"]["meets_target"] is False
    # The region's own counties by default (宝安区 is Shenzhen's); every county on request.
    assert [r["county"] for r in s["scorecards"]["table"]] == [HANBIN, HANYIN]
    assert s["scorecards"]["scope"] == "region"
    status, everyone = await client.get("/api/scorecards?scope=all", token)
    assert status == 200
    assert [(r["rank"], r["county"]) for r in everyone["table"]] == [
        (1, HANBIN),
        (2, BAOAN),
        (3, HANYIN),
    ]
    assert (await client.get("/api/scorecards?scope=world", token))[0] == 400
    assert s["campaigns"][0]["progress"] == pytest.approx(0.5)
    assert s["campaigns"][0]["status"] == "open"  # its deadline is after the clock
    assert pairs["names"][BAOAN]["en"] == "Bao'an District"
    assert s["names"][HANYIN] == {"zh": "汉阴县", "en": "Hanyin County"}
    status, ob = await client.get("/api/obligations?state=breached", token)
    assert status == 200
    # Breached means ever breached: the escalated one too, due first.
    assert [o["obligation_id"] for o in ob["items"]] == ["ob-p2-arrival", "ob-p1-receipt"]
    assert [o["status"] for o in ob["items"]] == ["overdue", "overdue"]
    assert ob["counts"] == s["obligations"]
    for state, count in s["obligations"]["counts"].items():
        status, listed = await client.get(f"/api/obligations?state={state}", token)
        assert status == 200, state
        assert len(listed["items"]) == listed["total"] == count, state  # list and tile agree
    status, ob = await client.get("/api/obligations", token)
    assert (ob["state"], len(ob["items"])) == ("open", 3)
    for path in (
        "/api/flows",
        "/api/campaigns",
        "/api/scorecards",
        "/api/coverage",
        "/api/dead-letters",
        "/api/throughput",
    ):
        status, _ = await client.get(path, token)
        assert status == 200, path
    assert (await client.get("/api/obligations?state=nonsense", token))[0] == 400
    assert (await client.get("/api/obligations?state=due", token))[0] == 400  # not a count
    assert (await client.get("/api/obligations?limit=99999", token))[0] == 400


async def test_county_sees_only_what_it_is_party_to(client: Client, dsn: str) -> None:
    token = await client.token("hanbin")
    status, s = await client.get("/api/summary", token)
    assert status == 200
    assert s["dead_letters"] is None
    pairs = (await client.get("/api/flows", token))[1]
    assert pairs["level"] == "county"  # a county operator starts at counties
    assert [(f["origin"], f["destination"]) for f in pairs["pairs"]] == [(HANBIN, BAOAN)]
    assert s["obligations"]["counts"]["escalated"] == 0  # P2's is Hanyin's and Yanta's
    assert s["obligations"]["counts"]["breached"] == 1
    assert s["obligations"]["counts"]["open"] == 2
    coverage = (await client.get("/api/coverage?which=all", token))[1]
    assert [c["scope"] for c in coverage["page"]["items"]] == [HANBIN]
    # Every figure is the county's own: its coverage (4 of 4), never the region's 70%, and
    # the archived events it is party to, not the whole archive; no system-wide figures.
    assert s["coverage"]["headline"]["scope"] == HANBIN
    assert s["coverage"]["headline"]["ratio"] == pytest.approx(1.0)
    assert s["coverage"]["history"] == [
        {
            "period": "2026-02",
            "flows": 4,
            "covered": 4,
            "ratio": 1.0,
            "label": {"zh": "2026年2月", "en": "February 2026"},
        }
    ]
    region_token = await client.token("region")
    everything = (await client.get("/api/summary", region_token))[1]["totals"]["events"]
    assert 0 < s["totals"]["events"] < everything
    assert (s["throughput"], s["lag"]) == (None, None)
    status, ob = await client.get("/api/obligations?state=escalated", token)
    assert status == 200
    assert ob["items"] == []
    assert (await client.get("/api/dead-letters", token))[0] == 403

    status, case = await client.get(f"/api/cases/{P1}", token)
    assert status == 200
    types = [e["event_type"] for e in case["events"]]
    assert "outflow_registered" in types
    assert "obligation_breached" in types
    breached = next(o for o in case["obligations"] if o["obligation_id"] == "ob-p1-receipt")
    assert [h["event_type"] for h in breached["history"]] == [
        "obligation_opened",
        "obligation_breached",
    ]
    assert breached["history"][0]["cause"]["event_type"] == "outflow_registered"
    assert breached["history"][1]["cause"]["event_type"] == "clock_ticked"
    assert all("signature" not in e["payload"] for e in case["events"])

    status, denied = await client.get(f"/api/cases/{P2}", token)
    assert (status, denied["error"]) == (403, "forbidden")
    assert (await client.get(f"/api/cases/{P3}", token))[0] == 403  # unknown: no existence leak
    assert (await client.get("/api/cases/not-a-key", token))[0] == 400

    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT operator, command, subject_kind, subject, rows_returned FROM audit_log"
            " ORDER BY seq"
        )
    finally:
        await conn.close()
    assert [(r["command"], r["subject"]) for r in rows] == [
        ("dashboard case-timeline", P1),
        ("dashboard case-timeline denied", P2),
        ("dashboard case-timeline denied", P3),
    ]
    assert rows[0]["operator"] == f"dashboard/hanbin@{HANBIN}"
    assert rows[0]["rows_returned"] == len(case["events"])
    assert rows[1]["rows_returned"] == 0


async def test_region_unknown_case_is_404_and_audited(client: Client, dsn: str) -> None:
    token = await client.token("region")
    assert (await client.get(f"/api/cases/{P3}", token))[0] == 404
    status, case = await client.get(f"/api/cases/{P2}", token)
    assert status == 200
    assert case["person"]["current_county"] == YANTA
    conn = await asyncpg.connect(dsn)
    try:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM audit_log WHERE operator = $1", "dashboard/region"
            )
            == 2
        )
    finally:
        await conn.close()


async def test_openapi_document_is_valid_and_complete(client: Client) -> None:
    status, doc = await client.get("/api/openapi.json")
    assert status == 200
    validate(doc)
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == {(r.method, r.path) for r in ROUTES}


async def test_page_and_local_chart_library_are_served(client: Client) -> None:
    status, html = await client.get("/")
    assert status == 200
    assert "/vendor/echarts.min.js" in html
    assert "https://" not in html
    status, js = await client.get("/vendor/echarts.min.js")
    assert status == 200, "run `npm ci` in the repository root"
    assert "echarts" in js[:2000]
    status, app = await client.get("/static/app.js")
    assert status == 200
    assert "EventSource" in app
    async with client.session.get(client.base + "/") as r:
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]


async def _events(
    response: aiohttp.ClientResponse,
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    event = None
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event is not None:
            data: dict[str, Any] = json.loads(line[6:])
            yield event, data
            event = None


async def test_stream_pushes_an_update_after_an_insert(client: Client, dsn: str) -> None:
    token = await client.token("region")
    async with client.session.get(
        f"{client.base}/api/stream", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        stream = _events(response)
        event, first = await asyncio.wait_for(anext(stream), 10)
        assert event == "summary"
        assert first["obligations"]["counts"]["breached"] == 2
        conn = await asyncpg.connect(dsn)
        try:
            await Seeder(conn, offset=1000).obligation(
                "ob-new", P3, HANBIN, BAOAN, "breached", T0 + 3 * DAY
            )
        finally:
            await conn.close()

        async def changed() -> dict[str, Any]:
            async for ev, body in stream:
                if ev == "summary" and body["obligations"]["counts"]["breached"] == 3:
                    return body
            raise AssertionError("stream ended")

        updated = await asyncio.wait_for(changed(), 10)
        assert updated["totals"]["events"] > first["totals"]["events"]


async def test_metrics_scrape(client: Client) -> None:
    token = await client.token("region")
    await client.get("/api/summary", token)
    status, text = await client.get("/metrics")
    assert status == 200
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("liudong_obligations", (("count", "breached"),))] == 2
    assert samples[("liudong_obligations_open", ())] == 3
    assert (
        samples[("liudong_dead_letters", (("detected_by", "gate"), ("reason", "bad_signature")))]
        == 2
    )
    assert samples[("liudong_dashboard_database_up", ())] == 1
    assert samples[("liudong_events_archived", ())] >= 10
    key = (
        "liudong_dashboard_requests_total",
        (("method", "GET"), ("route", "/api/summary"), ("status", "200")),
    )
    assert samples[key] == 1


async def test_database_outage_is_reported_then_recovered(pg_server: EmbeddedPostgres) -> None:
    async with fresh_database(pg_server.dsn("postgres")) as database:
        conn = await asyncpg.connect(database)
        try:
            await seed(conn)
        finally:
            await conn.close()
        async with (
            running_dashboard(database) as server,
            aiohttp.ClientSession() as session,
        ):
            client = Client(session, server)
            token = await client.token("region")
            async with session.get(
                f"{client.base}/api/stream", headers={"Authorization": f"Bearer {token}"}
            ) as response:
                stream = _events(response)
                assert (await asyncio.wait_for(anext(stream), 10))[0] == "summary"
                await asyncio.to_thread(pg_server.stop_server)
                try:

                    async def status_event() -> dict[str, Any]:
                        async for ev, body in stream:
                            if ev == "status":
                                return body
                        raise AssertionError("stream ended")

                    down = await asyncio.wait_for(status_event(), 20)
                    assert down["db"] == "unavailable"
                    assert (await client.get("/api/summary", token))[0] == 503
                    status, text = await client.get("/metrics")
                    assert status == 200
                    assert "liudong_dashboard_database_up 0.0" in text
                finally:
                    await asyncio.to_thread(pg_server.start_server)

                async def summary_again() -> dict[str, Any]:
                    async for ev, body in stream:
                        if ev == "summary":
                            return body
                    raise AssertionError("stream ended")

                back = await asyncio.wait_for(summary_again(), 30)
                assert back["db"] == "ok"
