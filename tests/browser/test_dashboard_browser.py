"""The dashboard in a real browser: Debian's chromium driven by Playwright (never
``playwright install``). Signs in, watches a figure change as rows land, opens a case
timeline, survives a server restart with a "reconnecting" banner, and checks that a county
operator cannot see another county's case. Saves tests/artifacts/dashboard*.png.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from dashboard.server import DashboardConfig, DashboardServer
from tests.integration.test_dashboard_fixtures import (
    DAY,
    HANBIN,
    P1,
    P2,
    P3,
    PASSWORD,
    T0,
    Seeder,
    fresh_database,
    running_dashboard,
    seed,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# More flows between counties: (origin, destination, persons).
MORE_FLOWS = (
    ("610902", "610113", 9),
    ("610902", "440306", 5),
    ("610921", "610113", 4),
    ("610922", "440307", 3),
    ("610924", "441900", 4),
    ("610981", "610112", 6),
    ("610925", "440306", 2),
    ("610926", "610113", 3),
)


def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None:
        reason = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return found


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=executable, args=FLAGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def dsn(pg_dsn: str) -> AsyncIterator[str]:
    async with fresh_database(pg_dsn) as database:
        conn = await asyncpg.connect(database)
        try:
            seeder = await seed(conn)
            seeder.offset = 500
            n = 0
            for origin, destination, persons in MORE_FLOWS:
                for _ in range(persons):
                    n += 1
                    await seeder.flow(f"{n:064x}", origin, destination, T0 + n * DAY / 10)
        finally:
            await conn.close()
        yield database


async def sign_in(page: Page, url: str, user: str) -> None:
    await page.goto(url)
    await page.fill("#username", user)
    await page.fill("#password", PASSWORD)
    await page.click("#login-submit")
    await expect(page.locator("#board")).to_be_visible()


async def test_region_operator_watches_live_figures_and_opens_a_case(
    browser: Browser, dsn: str
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    async with running_dashboard(dsn) as server:
        page = await browser.new_page(viewport={"width": 1500, "height": 1900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(f"{exc}\n{exc.stack}"))
        await sign_in(page, server.url, "region")
        breached = page.locator("#kpi-breached")  # ever breached: the escalated one too
        await expect(breached).to_have_text("2")
        await expect(page.locator("#clock")).to_contain_text("北京时间")  # Beijing time, named
        await expect(page.locator("#kpi-dead")).to_have_text("3")
        await expect(page.locator("#kpi-coverage")).to_have_text("70.0%")
        await expect(page.locator("#flow-bars li[data-origin]").first).to_be_visible()

        conn = await asyncpg.connect(dsn)
        try:
            await Seeder(conn, offset=2000).obligation(
                "ob-live", P3, HANBIN, "440306", "breached", T0 + 2 * DAY
            )
        finally:
            await conn.close()
        await expect(breached).to_have_text("3", timeout=10_000)  # pushed over SSE, no reload

        await page.select_option("#obligation-state", "breached")
        row = page.locator(f'#obligation-table tr[data-person="{P1}"]')
        await expect(row).to_have_count(1)
        await expect(row.locator("code")).to_have_text(P1)  # the full key, to copy
        await row.click()
        await expect(page.locator("#case")).to_be_visible()
        await expect(page.locator("#case-key")).to_have_text(P1)
        events = page.locator('#case-events li[data-event-type="outflow_registered"]')
        await expect(events).to_have_count(1)
        await expect(page.locator("#case-obligations")).to_contain_text("业务日切换")  # a tick
        await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

        await page.click("#lang")
        await expect(page.locator("h1")).to_have_text("Migrant population dashboard")
        await expect(page.locator("#case-obligations")).to_contain_text("caused by")
        await page.wait_for_timeout(500)
        await page.screenshot(path=str(ARTIFACTS / "dashboard-en.png"), full_page=True)

        # The server goes away and comes back on the same port: banner, then live again.
        port = server.port
        assert port is not None
        await server.stop()
        banner = page.locator("#banner")
        await expect(banner).to_be_visible(timeout=10_000)
        await expect(banner).to_contain_text("reconnecting")
        again = DashboardServer(DashboardConfig(dsn=dsn, port=port, interval_s=0.3))
        await again.start()
        try:
            await expect(banner).to_be_hidden(timeout=15_000)
            await expect(breached).to_have_text("3")
        finally:
            await again.stop()
        assert errors == []


async def test_county_operator_cannot_see_another_countys_case(browser: Browser, dsn: str) -> None:
    async with running_dashboard(dsn) as server:
        page = await browser.new_page(viewport={"width": 1400, "height": 1400})
        await sign_in(page, server.url, "hanbin")
        await expect(page.locator("#who")).to_contain_text("汉滨区")
        await expect(page.locator("#kpi-escalated")).to_have_text("0")
        await expect(page.locator("#kpi-dead")).to_have_text("–")
        await expect(page.locator("#dead-region-only")).to_be_visible()
        await expect(page.locator("#kpi-open")).to_have_text("2")  # its own open obligations
        for state in ("open", "overdue", "breached", "escalated"):
            await page.select_option("#obligation-state", state)
            await page.wait_for_timeout(300)
            await expect(page.locator(f'tr[data-person="{P2}"]')).to_have_count(0)
        assert P2[:10] not in await page.content()
        status = await page.evaluate("async (key) => (await fetch(`/api/cases/${key}`)).status", P2)
        assert status == 403
        own = await page.evaluate("async (key) => (await fetch(`/api/cases/${key}`)).status", P1)
        assert own == 200
        await page.screenshot(path=str(ARTIFACTS / "dashboard-county.png"), full_page=True)
