"""Session fixtures of the browser tests: Debian's chromium (never a downloaded browser), and
the demo-scale and national-scale data sets (tests/browser/datasets.py), each built once,
with a dashboard serving it and the ``liudong`` CLI's figures for the same log."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from playwright.async_api import Browser, async_playwright

from dashboard.auth import add_user
from dashboard.server import DashboardConfig, DashboardServer
from tests.browser.datasets import DataSet, build_demo, build_national
from tests.integration.databases import empty_database
from tests.integration.pipeline import REGION

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "scale test password"  # noqa: S105 (a test operator)
COUNTY = "610902"  # the county operator's county (汉滨区)


def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None:
        reason = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return found


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    executable = chromium_path()
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=executable, args=FLAGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Site:
    """A data set, the dashboard serving it, and what the CLI says of it."""

    data: DataSet
    url: str
    cli: dict[str, Any]


def cli_json(data: DataSet, *argv: str) -> Any:
    done = data.cli(*argv, "--format", "json")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def cli_figures(data: DataSet) -> dict[str, Any]:
    """What ``liudong`` says of the data set: the figures the tiles must equal."""
    return {
        "obligations": cli_json(data, "obligations")["counts"],
        "county_obligations": cli_json(data, "obligations", "--county", COUNTY)["counts"],
        "replay": cli_json(data, "replay"),
        "campaigns": cli_json(data, "campaign", "status"),
    }


async def _site(
    name: str, build: Any, kafka_bootstrap: str, pg_dsn: str, home: Path
) -> AsyncIterator[Site]:
    async with empty_database(pg_dsn, name) as dsn:
        data = await build(kafka_bootstrap, dsn, home)
        conn = await asyncpg.connect(dsn)
        try:
            await add_user(conn, "region", PASSWORD, "region")
            await add_user(conn, f"county-{COUNTY}", PASSWORD, "county", COUNTY)
        finally:
            await conn.close()
        server = DashboardServer(
            DashboardConfig(dsn=dsn, port=0, kafka_bootstrap=kafka_bootstrap, region=REGION)
        )
        await server.start()
        try:
            # In a thread: the dashboard serves on this event loop meanwhile.
            yield Site(data, server.url, await asyncio.to_thread(cli_figures, data))
        finally:
            await server.stop()


@pytest.fixture(scope="session")
async def demo_site(
    kafka_bootstrap: str, pg_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Site]:
    home = tmp_path_factory.mktemp("demo-set")
    async for site in _site("demo", build_demo, kafka_bootstrap, pg_dsn, home):
        yield site


@pytest.fixture(scope="session")
async def national_site(
    kafka_bootstrap: str, pg_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Site]:
    home = tmp_path_factory.mktemp("national-set")
    async for site in _site("national", build_national, kafka_bootstrap, pg_dsn, home):
        yield site
