"""Prometheus metrics of the dashboard: its HTTP requests and the projection's figures, on
the registry helpers of :mod:`infra.metrics`."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from infra.metrics import PREFIX, Handler


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
