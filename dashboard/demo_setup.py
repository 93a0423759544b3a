"""The dashboard inside ``liudong demo``: migrate, create demo operators, start on loopback."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import asyncpg

from dashboard.auth import add_user
from dashboard.server import DashboardConfig, DashboardServer
from infra.projection.migrate import migrate


@dataclass(frozen=True, slots=True)
class DemoDashboard:
    server: DashboardServer
    passwords: dict[str, str]  # user name: password, generated for this run

    def lines(self) -> list[str]:
        out = [f"dashboard at {self.server.url}"]
        out += [f"  sign in as {user} / {password}" for user, password in self.passwords.items()]
        return out


async def start_demo_dashboard(
    dsn: str,
    kafka_bootstrap: str | None,
    *,
    port: int = 0,
    county: str = "610902",
    region: str = "610900",
) -> DemoDashboard:
    """A started dashboard over ``dsn`` with the demo's operators (:func:`start_with_operators`)."""
    config = DashboardConfig(dsn=dsn, port=port, kafka_bootstrap=kafka_bootstrap, region=region)
    return await start_with_operators(config, county=county)


async def start_with_operators(config: DashboardConfig, *, county: str = "610902") -> DemoDashboard:
    """A started dashboard with a region operator ``region`` and a county operator
    ``county-<code>``, each with a fresh random password; stop it with ``server.stop()``."""
    conn = await asyncpg.connect(config.dsn)
    passwords = {"region": secrets.token_urlsafe(9), f"county-{county}": secrets.token_urlsafe(9)}
    try:
        await migrate(conn)
        await add_user(conn, "region", passwords["region"], "region")
        await add_user(conn, f"county-{county}", passwords[f"county-{county}"], "county", county)
    finally:
        await conn.close()
    server = DashboardServer(config)
    await server.start()
    return DemoDashboard(server, passwords)
