"""Prometheus metrics: registry helpers shared by the dashboard and the workers.

Use one ``CollectorRegistry`` per process (``new_registry``), create metrics on it with the
``liudong_`` prefix, and expose it with ``metrics_route`` (inside an aiohttp app) or
``serve_metrics`` (a process without a web server, e.g. a Faust worker's side port).
Figures read from elsewhere at scrape time (the projection) are refreshed by the
``refresh`` callback just before the registry is rendered.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
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


class HttpMetrics:
    """Requests served by the dashboard, by route template (not raw path: bounded labels)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            f"{PREFIX}_dashboard_requests",
            "Dashboard HTTP requests",
            ("method", "route", "status"),
            registry=registry,
        )
        self.latency = Histogram(
            f"{PREFIX}_dashboard_request_seconds",
            "Dashboard request latency",
            ("route",),
            registry=registry,
        )
        self.sse_clients = Gauge(
            f"{PREFIX}_dashboard_sse_clients",
            "Open server-sent event streams",
            registry=registry,
        )

    def middleware(self) -> Any:
        @web.middleware
        async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else "unmatched"
            started = time.perf_counter()
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            finally:
                self.requests.labels(request.method, route, str(status)).inc()
                if route != "/api/stream":
                    self.latency.labels(route).observe(time.perf_counter() - started)

        return count


class ProjectionMetrics:
    """The projection's headline figures as gauges, set from a snapshot at scrape time."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.obligations = Gauge(
            f"{PREFIX}_obligations",
            "Obligations by count of the vocabulary (open, overdue, breached, ...)",
            ("count",),
            registry=registry,
        )
        self.obligations_open = Gauge(
            f"{PREFIX}_obligations_open",
            "Obligations neither fulfilled nor cancelled",
            registry=registry,
        )
        self.dead_letters = Gauge(
            f"{PREFIX}_dead_letters",
            "Dead letters by reason code",
            ("reason", "detected_by"),
            registry=registry,
        )
        self.events = Gauge(
            f"{PREFIX}_events_archived", "Events in the projection's archive", registry=registry
        )
        self.lag = Gauge(
            f"{PREFIX}_projector_lag_messages",
            "Kafka end offset minus projected offset",
            ("topic",),
            registry=registry,
        )
        self.db_up = Gauge(
            f"{PREFIX}_dashboard_database_up",
            "1 if the last scrape reached PostgreSQL",
            registry=registry,
        )

    def update(
        self,
        *,
        counts: Mapping[str, int],
        dead_letters: list[Mapping[str, Any]],
        events: int,
        lag_by_topic: Mapping[str, int] | None,
    ) -> None:
        self.db_up.set(1)
        for name, n in counts.items():
            self.obligations.labels(name).set(n)
        self.obligations_open.set(counts.get("open", 0))
        self.dead_letters.clear()
        for row in dead_letters:
            self.dead_letters.labels(row["reason_code"], row["detected_by"]).set(row["n"])
        self.events.set(events)
        self.lag.clear()
        for topic, lag in (lag_by_topic or {}).items():
            self.lag.labels(topic).set(lag)

    def database_down(self) -> None:
        self.db_up.set(0)
