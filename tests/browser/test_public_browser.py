"""The public disclosure page in Debian's Chromium, without signing in, at 1440 and 390 px:
the league, the coverage against its target and the withheld small numbers are on the page,
it fits the phone's width, and the published bulletin opens from it. Saves
tests/artifacts/public-1440.png and public-390.png.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from disclosure.public.server import PublicServer
from tests.browser.test_dashboard_browser import FLAGS, chromium_path
from tests.integration import bulletin_log
from tests.integration.bulletin_log import QUARTER, SimulatedLog
from tests.integration.test_public_page import publish, start

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
VIEWPORTS = {1440: 1000, 390: 844}


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
async def public(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[PublicServer, SimulatedLog]]:
    simulated = await bulletin_log.simulated_log(
        kafka_bootstrap, tmp_path_factory.mktemp("bulletin")
    )
    folder = tmp_path_factory.mktemp("public-browser") / "bulletins"
    publish(simulated, folder)
    server = await start(simulated, folder)
    try:
        yield server, simulated
    finally:
        await server.stop()


@pytest.mark.parametrize("width", sorted(VIEWPORTS, reverse=True))
async def test_the_public_page_without_signing_in(
    browser: Browser, public: tuple[PublicServer, SimulatedLog], width: int
) -> None:
    server, _ = public
    ARTIFACTS.mkdir(exist_ok=True)
    page = await browser.new_page(viewport={"width": width, "height": VIEWPORTS[width]})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(server.url)

    # No sign-in anywhere: the figures are simply there.
    await expect(page.locator("input[type=password]")).to_have_count(0)
    await expect(page.locator("h1")).to_contain_text("流动人口双向考核结果公开")
    await expect(page.locator("#meta")).to_contain_text("2026年第1季度")

    league = page.locator("#league table.league tbody tr")
    assert await league.count() >= 2
    first = league.first.locator("td")
    await expect(first.nth(0)).to_have_text("1")
    await expect(page.locator("#league svg.chart")).to_be_visible()

    coverage = page.locator("#coverage")
    await expect(coverage.locator("table.coverage")).to_be_visible()
    await expect(coverage).to_contain_text("目标 80.0%")
    await expect(coverage.locator("table.coverage tbody tr").last).to_contain_text("全区")
    # Small county counts withheld: shown as "<5" or "*", never as the number.
    withheld = coverage.locator("table.coverage td", has_text="<5")
    starred = coverage.locator("table.coverage td", has_text="*/")
    assert await withheld.count() + await starred.count() > 0
    await expect(page.locator("p.note").first).to_contain_text("<5")

    await expect(page.locator("#rules")).to_contain_text("分母：")
    await expect(page.locator("#bulletins a")).to_have_count(2)

    # The page fits the screen; wide tables scroll inside themselves.
    scroll = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width + 1, f"the page is {scroll} px wide at {width} px"
    await page.screenshot(path=str(ARTIFACTS / f"public-{width}.png"), full_page=True)
    await page.screenshot(path=str(ARTIFACTS / f"public-{width}-top.png"))

    # English, and the published bulletin opens from the list.
    await page.click("nav.lang a")
    await expect(page.locator("h1")).to_contain_text("open to the public")
    await page.goto(server.url + f"bulletins/{QUARTER}.html")
    await expect(page.locator("h1.title")).to_contain_text("2026年第1季度")
    await expect(page.locator("p.edition")).to_contain_text("公开版")
    assert errors == []
