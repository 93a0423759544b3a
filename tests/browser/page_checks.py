"""What the browser tests check on a page, as functions: sign-in, errors, horizontal
overflow, overlapping or cut labels (chart text in the SVG the charts draw, and the HTML
bar lists and tiles), and a tile's number."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import ConsoleMessage, Error, Page, expect


@dataclass
class Problems:
    """Page errors and console errors, as they happen."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("pageerror", self._page_error)
        page.on("console", self._console)

    def _page_error(self, exc: Error) -> None:
        self.errors.append(f"page error: {exc}\n{exc.stack}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text} at {message.location}")


async def sign_in(page: Page, url: str, user: str, password: str, lang: str = "zh") -> None:
    await page.add_init_script(f"localStorage.setItem('liudong.lang', '{lang}')")
    await page.goto(url)
    await page.fill("#username", user)
    await page.fill("#password", password)
    await page.click("#login-submit")
    await expect(page.locator("#board")).to_be_visible()
    await expect(page.locator("#kpi-open")).not_to_have_text("–")
    await expect(page.locator("#flow-bars li").first).to_be_visible()
    await expect(page.locator("#obligation-total")).not_to_be_empty()
    await page.wait_for_load_state("networkidle")


async def tile(page: Page, tile_id: str) -> int:
    """A tile's number (digits only: the page groups thousands)."""
    text = await page.locator(f"#{tile_id}").inner_text()
    return int(text.replace(",", "").strip())


HERE = Path(__file__).parent
OVERFLOW = (HERE / "overflow.js").read_text("utf-8")  # elements past the right edge
OVERLAPS = (HERE / "overlaps.js").read_text("utf-8")  # labels overlapping or cut


async def horizontal_overflow(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = await page.evaluate(OVERFLOW)
    return result


async def overlapping_labels(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = await page.evaluate(OVERLAPS)
    return result
