"""The dashboard at real scale, in Debian's chromium: the demo's own data (169 counties) and a
national sample (2,201 counties in the projection), at 1440 and 390 px, in Chinese and
English.

Every view is checked for horizontal overflow, overlapping or cut labels, and page or
console errors; every tile against the ``liudong`` command that answers the same question;
the worklist's filters, paging and CSV; the flows' drill-down; coverage paging; the league
by period and scope against ``liudong scorecard``; a campaign's unanswered tasks per county
against ``liudong campaign status``; the raw message of a refused one. Screenshots of each
width and language go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import COUNTY, PASSWORD, Site, cli_json
from tests.browser.datasets import BROKEN_RECORD
from tests.browser.page_checks import (
    Problems,
    horizontal_overflow,
    overlapping_labels,
    sign_in,
    tile,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
WIDTHS = (1440, 390)
LANGS = ("zh", "en")
MALFORMED = '{"event_type": "outflow_registered", "person_'  # what the demo sends cut off


@pytest.fixture(params=["demo", "national"])
def site(request: pytest.FixtureRequest) -> Site:
    found: Site = request.getfixturevalue(f"{request.param}_site")
    return found


async def open_page(
    chromium: Browser, site: Site, width: int, lang: str = "zh", user: str = "region"
) -> tuple[Page, Problems]:
    page = await chromium.new_page(viewport={"width": width, "height": 900})
    problems = Problems()
    problems.watch(page)
    await sign_in(page, site.url, user, PASSWORD, lang)
    return page, problems


async def assert_legible(page: Page, problems: Problems, name: str) -> None:
    overflow = await horizontal_overflow(page)
    assert overflow["scrollWidth"] <= overflow["width"], overflow
    assert overflow["out"] == [], overflow
    labels = await overlapping_labels(page)
    assert labels["labels"] > 50, labels  # the check saw the charts' and lists' labels
    assert labels["problems"] == [], labels["problems"]
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert problems.errors == []


def latest_coverage(replay: dict[str, Any]) -> str:
    figures = replay["coverage"][max(replay["coverage"])]
    return f"{100 * figures['ratio']:.1f}%"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGS)
async def test_every_view_is_legible_and_every_tile_is_the_cli_figure(
    chromium: Browser, site: Site, width: int, lang: str
) -> None:
    page, problems = await open_page(chromium, site, width, lang)
    try:
        counts = site.cli["obligations"]
        for name in ("open", "overdue", "breached", "escalated"):
            assert await tile(page, f"kpi-{name}") == counts[name], name
        assert await tile(page, "kpi-county-events") == site.cli["replay"]["county_events"]
        assert site.cli["replay"]["county_events"] == site.data.published["events"]
        await expect(page.locator("#kpi-coverage")).to_have_text(
            latest_coverage(site.cli["replay"])
        )
        # The caps are said on screen: the flows shown of how many, the counties of how many.
        caption = await page.locator("#flow-cap").inner_text()
        assert re.search(r"15", caption), caption
        await expect(page.locator("#flow-bars li[data-others]")).to_have_count(1)
        await expect(page.locator("#coverage-cap")).not_to_be_empty()
        await expect(page.locator("#clock")).to_contain_text(
            "北京时间" if lang == "zh" else "UTC+8"
        )
        # Rows show the vocabulary's and the words table's words, not codes.
        first = page.locator("#obligation-table tbody tr").first
        assert not re.search(r"[a-z]+_[a-z]+", await first.inner_text())
        await assert_legible(page, problems, f"{site.data.name}-{width}-{lang}")
    finally:
        await page.close()


async def test_the_worklist_filters_pages_and_exports(chromium: Browser, site: Site) -> None:
    page, problems = await open_page(chromium, site, 1440)
    try:
        counts = site.cli["obligations"]
        await page.click('.kpi[data-state="overdue"]')  # a tile opens its list
        total = page.locator("#obligation-total")
        await expect(total).to_contain_text(f"共 {counts['overdue']:,} 件")
        rows = page.locator("#obligation-table tbody tr")
        await expect(rows).to_have_count(min(50, counts["overdue"]))
        first = await rows.first.get_attribute("data-obligation")
        await page.locator("#obligation-pager button").nth(1).click()  # the next page
        await expect(total).to_contain_text("当前第 51–")
        assert await rows.first.get_attribute("data-obligation") != first
        await page.locator("#obligation-pager button").nth(0).click()
        await expect(rows.first).to_have_attribute("data-obligation", str(first))

        # By county: the responsible county of the first row, every row that county's.
        code, name = await first_responsible(page)
        await page.fill("#obligation-county", code)
        await changed(page, "#obligation-county", f"county={code}")
        cells = page.locator("#obligation-table tbody tr td:nth-child(3)")
        assert set(await cells.all_inner_texts()) == {name}
        asked = ("obligations", "--county", code, "--state", "overdue")
        by_county = await asyncio.to_thread(cli_json, site.data, *asked)
        responsible = [o for o in by_county["obligations"] if o["responsible"] == code]
        await expect(total).to_contain_text(f"共 {len(responsible):,} 件")
        await page.fill("#obligation-county", "")
        await page.fill("#obligation-days", "30")
        await changed(page, "#obligation-days", "min_days_overdue=30")
        assert "county=" not in (await page.locator("#obligation-csv").get_attribute("href") or "")
        days = await page.locator("#obligation-table tbody tr td:nth-child(6)").all_inner_texts()
        assert days
        assert all(int(d) >= 30 for d in days), days

        # By kind, and a state with nothing in it: the empty state says so.
        await page.select_option("#obligation-kind", "verification_result")
        await page.select_option("#obligation-state", "fulfilled_on_time")
        await expect(page.locator("#obligation-empty")).to_be_visible()
        await expect(rows).to_have_count(0)
        await expect(total).to_have_text("共 0 件")

        # The CSV of a list: UTF-8 with a byte-order mark, a row per obligation, Chinese
        # headers, Beijing time.
        await page.fill("#obligation-days", "")
        await page.select_option("#obligation-kind", "")
        await page.select_option("#obligation-state", "escalated")
        await page.locator("#obligation-days").dispatch_event("change")
        href = await page.locator("#obligation-csv").get_attribute("href")
        assert href is not None
        assert "state=escalated" in href
        exported: dict[str, Any] = await page.evaluate(
            """async (href) => { const r = await fetch(href);
              const bytes = new Uint8Array(await r.arrayBuffer());
              return { type: r.headers.get('content-type'), bom: Array.from(bytes.slice(0, 3)),
                       text: new TextDecoder().decode(bytes) }; }""",
            href,
        )
        assert exported["type"].startswith("text/csv")
        assert exported["bom"] == [0xEF, 0xBB, 0xBF]
        table = list(csv.reader(io.StringIO(exported["text"].lstrip("\ufeff"))))
        assert table[0][8] == "办理期限（北京时间）"
        assert len(table) - 1 == counts["escalated"]
        assert {row[9] for row in table[1:]} <= {"逾期未办", "逾期办结", "按时办结", "已取消"}
        assert problems.errors == []
    finally:
        await page.close()


async def changed(page: Page, field: str, asked: str) -> None:
    """Change a filter and wait until the list shows the answer to the request it made."""
    async with page.expect_response(
        lambda r: "/api/obligations?" in r.url and asked in r.url
    ) as answer:
        await page.locator(field).dispatch_event("change")
    await (await answer.value).finished()
    await page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")


async def first_responsible(page: Page) -> tuple[str, str]:
    """The first overdue obligation's responsible county: its code and Chinese name."""
    body: dict[str, Any] = await page.evaluate(
        "async () => (await (await fetch('/api/obligations?state=overdue&limit=1')).json())"
    )
    code: str = body["items"][0]["responsible_county"]
    return code, str(body["names"][code]["zh"])


async def test_flows_coverage_and_the_league_open_up(chromium: Browser, site: Site) -> None:
    page, problems = await open_page(chromium, site, 1440)
    try:
        # Flows: a pair opens into the next level down; back returns.
        await expect(page.locator("#flow-level")).to_have_value("prefecture")
        pair = page.locator("#flow-bars li[data-open]").first
        origin = await pair.get_attribute("data-origin")
        await pair.click()
        await expect(page.locator("#flow-level")).to_have_value("county")
        await expect(page.locator("#flow-back")).to_be_visible()
        assert origin is not None
        for code in await page.locator("#flow-bars li[data-origin]").evaluate_all(
            "(rows) => rows.map((r) => r.dataset.origin)"
        ):
            assert code[:4] == origin[:4]  # the counties of the prefecture opened
        await page.click("#flow-back")
        await expect(page.locator("#flow-level")).to_have_value("prefecture")
        await page.select_option("#flow-level", "province")
        await expect(page.locator("#flow-path")).to_contain_text("省份")

        # Coverage: every county dealt with, worst first, paged.
        await page.select_option("#coverage-which", "all")
        await expect(page.locator("#coverage-cap")).to_contain_text("第 1–15 个")
        first = await page.locator("#coverage-bars li").first.get_attribute("data-county")
        await page.locator("#coverage-pager button").nth(1).click()
        await expect(page.locator("#coverage-cap")).to_contain_text("第 16–30 个")
        assert await page.locator("#coverage-bars li").first.get_attribute("data-county") != first

        # The league: every county dealt with, its period's ranks as liudong scorecard has them.
        async with page.expect_response(lambda r: "/api/scorecards?scope=all" in r.url) as answer:
            await page.select_option("#league-scope", "all")
        await (await answer.value).finished()
        await page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")
        period = await page.locator("#league-period").input_value()
        asked = ("scorecard", "--period", period, "--scope", "all")
        expected = await asyncio.to_thread(cli_json, site.data, *asked)
        shown = await page.locator("#league tbody tr[data-county]").evaluate_all(
            "(rows) => rows.map((r) => [r.dataset.county, r.cells[0].textContent])"
        )
        ranks = [(c["county"], str(c["rank"] or "–")) for c in expected["scorecards"]]
        assert [tuple(row) for row in shown] == ranks[:20]
        assert expected["ranked"]
        other = await page.locator("#league-period option").nth(1).get_attribute("value")
        if other is not None:
            await page.select_option("#league-period", other)
            await expect(page.locator("#league-caption")).to_contain_text(
                await page.locator("#league-period option:checked").inner_text()
            )
        await page.screenshot(
            path=str(ARTIFACTS / f"{site.data.name}-drilled-1440-zh.png"), full_page=True
        )
        assert problems.errors == []
    finally:
        await page.close()


async def test_campaign_tasks_by_county_and_refused_messages(chromium: Browser, site: Site) -> None:
    page, problems = await open_page(chromium, site, 390)
    try:
        (campaign_id, status), *_ = site.cli["campaigns"].items()
        card = page.locator(f'.card[data-campaign="{campaign_id}"]')
        await expect(card.locator(".badge")).to_have_attribute("data-status", status["state"])
        if status["state"] == "overdue_open":
            await expect(card.locator(".badge")).to_have_text("已过截止日仍未结束")
        await expect(card.locator(".campaign-overdue")).to_have_text(
            f"已逾期 {status['overdue']:,}"
        )
        await card.locator("button").click()
        counties = page.locator("#campaign-counties tbody tr[data-county]")
        await expect(counties.first).to_be_visible()
        by_county: dict[str, int] = {}
        for figure in status["figures"]:
            by_county[figure["county"]] = (
                by_county.get(figure["county"], 0) + figure["assigned"] - figure["answered"]
            )
        shown = await counties.evaluate_all(
            "(rows) => rows.map((r) => [r.dataset.county, r.cells[3].textContent])"
        )
        assert {c: int(n.replace(",", "")) for c, n in shown} == by_county
        unanswered = shown[0][1]
        await counties.first.click()
        tasks = page.locator("#campaign-tasks tbody tr")
        await expect(tasks).to_have_count(min(20, int(unanswered.replace(",", ""))))
        names = await tasks.evaluate_all("(rows) => rows.map((r) => r.cells[1].textContent)")
        assert len(set(names)) == 1  # every task is that county's

        # A refused message opens to the bytes it kept.
        dead = page.locator("#dead-table tbody tr")
        await expect(dead.first).to_be_visible()
        await expect(page.locator("#kpi-dead")).to_have_text(str(await dead.count()))
        wanted = MALFORMED if site.data.name == "demo" else BROKEN_RECORD.decode()
        reason = "格式错误（不是合法 JSON）"
        await dead.filter(has_text=reason).first.click()
        await expect(page.locator("#dead-detail")).to_be_visible()
        await expect(page.locator("#dead-raw")).to_have_text(wanted)
        await expect(page.locator("#dead-facts")).to_contain_text("malformed_json")
        await expect(page.locator("#dead-facts")).to_contain_text(f"{len(wanted.encode())}")
        if site.data.name == "demo":  # the forged one claims the county whose key it lacks
            await page.click("#dead-close")
            await dead.filter(has_text="签名验证失败").first.click()
            await expect(page.locator("#dead-facts")).to_contain_text("汉阴县 (610921)")
            await expect(page.locator("#dead-raw")).to_contain_text('"source_county":"610921"')
            await expect(page.locator("#dead-facts")).to_contain_text("原始内容 SHA-256")
        overflow = await horizontal_overflow(page)
        assert overflow["out"] == [], overflow
        await page.screenshot(
            path=str(ARTIFACTS / f"{site.data.name}-campaign-dead-390-zh.png"), full_page=True
        )
        assert problems.errors == []
    finally:
        await page.close()


async def test_a_county_operator_on_a_phone_sees_its_own_county(
    chromium: Browser, demo_site: Site
) -> None:
    page, problems = await open_page(chromium, demo_site, 390, "zh", f"county-{COUNTY}")
    try:
        own = demo_site.cli["county_obligations"]
        for name in ("open", "overdue", "breached", "escalated"):
            assert await tile(page, f"kpi-{name}") == own[name], name
        await expect(page.locator("#who")).to_contain_text("汉滨区")
        await expect(page.locator("#kpi-dead")).to_have_text("–")
        await expect(page.locator("#dead-region-only")).to_be_visible()
        await expect(page.locator("#throughput-region-only")).to_be_visible()
        for code in await page.locator("#flow-bars li[data-origin]").evaluate_all(
            "(rows) => rows.map((r) => [r.dataset.origin, r.dataset.destination])"
        ):
            assert COUNTY in code
        await assert_legible(page, problems, "demo-county-390-zh")
    finally:
        await page.close()


async def test_charts_resize_without_errors(chromium: Browser, demo_site: Site) -> None:
    """Widths change under the charts (a phone turned, a window resized, a full-page capture
    resizing the viewport): every chart follows, and nothing throws."""
    page, problems = await open_page(chromium, demo_site, 1440)
    try:
        for width, height in ((390, 800), (1440, 900), (820, 1180), (390, 640), (1440, 900)):
            await page.set_viewport_size({"width": width, "height": height})
            await page.wait_for_timeout(150)
            await page.screenshot(path=str(ARTIFACTS / "resize.png"), full_page=True)
        await page.click("#lang")
        await page.set_viewport_size({"width": 390, "height": 800})
        await page.screenshot(path=str(ARTIFACTS / "resize.png"), full_page=True)
        widths = await page.locator(".chart svg").evaluate_all(
            "(svgs) => svgs.map((s) => s.getBoundingClientRect().width)"
        )
        assert widths
        assert all(0 < w <= 390 for w in widths), widths
        assert problems.errors == []
    finally:
        await page.close()
