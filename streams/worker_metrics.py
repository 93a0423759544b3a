"""Prometheus metrics of a worker process, for a region that already runs Prometheus.

Counting and timing only: nothing here feeds a decision. Served on loopback at
``LIUDONG_METRICS_PORT`` (0: a free port, logged at start) under ``/metrics``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import mode
import structlog
from aiohttp import web
from prometheus_client import Counter, Gauge, Histogram

from agents.emit import Output
from streams.dashboard.metrics import PREFIX, new_registry, serve_metrics

log = structlog.get_logger(__name__)


class WorkerMetrics:
    def __init__(self) -> None:
        self.registry = new_registry()
        r = self.registry
        self.events_in = Counter(
            f"{PREFIX}_worker_events_in", "Messages consumed, by topic", ["topic"], registry=r
        )
        self.events_out = Counter(
            f"{PREFIX}_worker_events_out", "Messages produced, by topic", ["topic"], registry=r
        )
        self.dead_letters = Counter(
            f"{PREFIX}_worker_dead_letters", "Refused input, by reason", ["reason"], registry=r
        )
        self.duplicates = Counter(
            f"{PREFIX}_worker_duplicates",
            "Validated events dropped as repeats (same id, same content)",
            registry=r,
        )
        self.events_applied = Counter(
            f"{PREFIX}_worker_events_applied",
            "Validated events the cases agent applied (neither a repeat nor refused)",
            registry=r,
        )
        self.obligation_events = Counter(
            f"{PREFIX}_worker_obligation_events",
            "Obligation events derived, by type",
            ["event_type"],
            registry=r,
        )
        self.cases_due = Gauge(
            f"{PREFIX}_worker_cases_with_open_obligations",
            "Cases this worker holds with an obligation still to fire",
            registry=r,
        )
        self.lag = Gauge(
            f"{PREFIX}_worker_consumer_lag",
            "Messages behind the end of the partition",
            ["topic", "partition"],
            registry=r,
        )
        self.decision_seconds = Histogram(
            f"{PREFIX}_worker_decision_seconds",
            "Time from receiving a message to its outputs acknowledged and its state written",
            ["agent"],
            registry=r,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0),
        )

    def received(self, app: Any, message: Any) -> None:
        self.events_in.labels(message.topic).inc()
        try:
            highwater = app.consumer.highwater(message.tp)
        except (AttributeError, KeyError):
            return  # not known yet right after an assignment
        if highwater is not None:
            self.lag.labels(message.topic, str(message.partition)).set(
                max(highwater - message.offset - 1, 0)
            )

    def sent(self, outputs: Iterable[Output]) -> None:
        for out in outputs:
            self.events_out.labels(out.topic.get_topic_name()).inc()

    @contextmanager
    def timing(self, agent: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.decision_seconds.labels(agent).observe(time.perf_counter() - started)


class MetricsService(mode.Service):
    """Serves the worker's metrics for as long as the Faust app runs."""

    def __init__(self, metrics: WorkerMetrics, port: int) -> None:
        super().__init__()
        self.metrics = metrics
        self.port = port
        self._runner: web.AppRunner | None = None

    async def on_start(self) -> None:
        self._runner, port = await serve_metrics(self.metrics.registry, port=self.port)
        log.info("metrics_listening", url=f"http://127.0.0.1:{port}/metrics")

    async def on_stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
