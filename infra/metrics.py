"""Prometheus metrics: the registry helpers every process that serves metrics shares.

Use one ``CollectorRegistry`` per process (``new_registry``), create metrics on it with the
``liudong_`` prefix, and expose it with ``metrics_route`` (inside an aiohttp app) or
``serve_metrics`` (a process without a web server, e.g. a Faust worker's side port).
Figures read from elsewhere at scrape time (the projection) are refreshed by the
``refresh`` callback just before the registry is rendered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

PREFIX = "liudong"
Refresh = Callable[[], Awaitable[None]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def new_registry() -> CollectorRegistry:
    """A registry of its own (not the global default), so tests can build many apps."""
    return CollectorRegistry(auto_describe=True)


def render(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The registry in the Prometheus text format, and its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST


def metrics_route(registry: CollectorRegistry, refresh: Refresh | None = None) -> Handler:
    async def handler(_: web.Request) -> web.Response:
        if refresh is not None:
            await refresh()
        body, content_type = render(registry)
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    return handler


async def serve_metrics(
    registry: CollectorRegistry,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    refresh: Refresh | None = None,
) -> tuple[web.AppRunner, int]:
    """A tiny aiohttp server with only ``/metrics``; returns its runner and bound port."""
    app = web.Application()
    app.router.add_get("/metrics", metrics_route(registry, refresh))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, int(runner.addresses[0][1])
