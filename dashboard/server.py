"""The dashboard's web server: aiohttp on loopback, one composition of db, sampler and routes.

``DashboardServer`` starts and stops it inside a running event loop (the demo uses it);
``serve`` runs it until a stop event (``liudong dashboard``). It binds loopback only: put a
reverse proxy with TLS in front of it to reach it from elsewhere.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

import structlog
from aiohttp import web

from dashboard import agreement_view, api, dead_letter_view, figures, http_basics
from dashboard.auth import DEFAULT_SESSION_TTL, Principal
from dashboard.db import Database, DatabaseUnavailable
from dashboard.lag import LagProbe
from dashboard.live import Live
from dashboard.metrics import HttpMetrics, ProjectionMetrics
from infra.metrics import metrics_route, new_registry

log = structlog.get_logger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
ECHARTS_FILE = "echarts.min.js"
ASSETS_ENV = "LIUDONG_DASHBOARD_ASSETS"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    dsn: str
    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port
    kafka_bootstrap: str | None = None
    interval_s: float = 1.0
    session_ttl: dt.timedelta = DEFAULT_SESSION_TTL
    region: str = "610900"  # the region whose own counties the league shows by default
    echarts: Path | None = None  # default: find_echarts()

    def __post_init__(self) -> None:
        if not ipaddress.ip_address(self.host).is_loopback:
            raise ValueError(f"the dashboard binds loopback only, not {self.host}")


def find_echarts() -> Path | None:
    """ECharts as ``npm ci`` installed it: $LIUDONG_DASHBOARD_ASSETS, else node_modules in
    the working directory or a parent of this package (the repository root)."""
    configured = os.environ.get(ASSETS_ENV)
    candidates = [Path(configured) / ECHARTS_FILE] if configured else []
    for base in (Path.cwd(), *Path(__file__).resolve().parents):
        candidates.append(base / "node_modules" / "echarts" / "dist" / ECHARTS_FILE)
    return next((c for c in candidates if c.is_file()), None)


@web.middleware
async def security_headers(
    request: web.Request, handler: http_basics.Handler
) -> web.StreamResponse:
    response = await handler(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def build_app(config: DashboardConfig) -> web.Application:
    registry = new_registry()
    http_metrics = HttpMetrics(registry)
    projection = ProjectionMetrics(registry)
    db = Database(config.dsn)
    live = Live(
        db, LagProbe(config.kafka_bootstrap), region=config.region, interval_s=config.interval_s
    )
    app = web.Application(middlewares=[http_metrics.middleware(), security_headers])
    app[http_basics.DB_KEY] = db
    app[http_basics.LIVE_KEY] = live
    app[http_basics.HTTP_METRICS_KEY] = http_metrics
    app[http_basics.SESSION_TTL_KEY] = config.session_ttl
    app[http_basics.REGION_KEY] = config.region
    app[http_basics.AGREEMENTS_KEY] = agreement_view.Agreements()

    async def refresh() -> None:
        try:
            async with db.connection() as conn:
                counts = await figures.obligation_counts(conn, _REGION, None)
                dead = await dead_letter_view.summary(conn)
                totals = await figures.totals(conn)
        except DatabaseUnavailable:
            projection.database_down()
            return
        lag = live.lag["by_topic"] if live.lag.get("available") else None
        projection.update(
            counts=counts["counts"],
            dead_letters=dead["by_reason"],
            events=int(totals["events"]),
            lag_by_topic=lag,
        )

    for route in api.ROUTES:
        app.router.add_route(route.method, route.path, http_basics.guard(route))
    app.router.add_get("/metrics", metrics_route(registry, refresh))
    echarts = config.echarts or find_echarts()
    if echarts is None:
        log.error("dashboard_echarts_missing", hint="run `npm ci` in the repository root")
    else:
        app.router.add_get("/vendor/echarts.min.js", _file(echarts, "text/javascript"))
    app.router.add_get("/", _file(STATIC_DIR / "index.html", "text/html"))
    app.router.add_static("/static/", STATIC_DIR, follow_symlinks=False)

    async def on_startup(_: web.Application) -> None:
        live.start()

    async def on_cleanup(_: web.Application) -> None:
        await live.stop()
        await db.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


def _file(path: Path, content_type: str) -> http_basics.Handler:
    async def handler(_: web.Request) -> web.StreamResponse:
        return web.FileResponse(
            path,
            headers={"Content-Type": f"{content_type}; charset=utf-8", "Cache-Control": "no-cache"},
        )

    return handler


class DashboardServer:
    """Start inside a running loop; ``url`` is known once started (port 0 picks one)."""

    def __init__(self, config: DashboardConfig) -> None:
        self.config = config
        self.app = build_app(config)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the dashboard is not started")
        return f"http://{self.config.host}:{self.port}/"

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        log.info("dashboard_started", url=self.url)
        return self.url

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


async def serve(config: DashboardConfig, stop: asyncio.Event, *, announce: bool = True) -> None:
    server = DashboardServer(config)
    url = await server.start()
    if announce:
        print(f"dashboard at {url}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()


_REGION = Principal(username="metrics", role="region", county=None)
