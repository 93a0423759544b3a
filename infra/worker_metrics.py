"""Prometheus metrics of a worker process, for a region that already runs Prometheus.

Counting and timing only: nothing here feeds a decision. Served on loopback at
``LIUDONG_METRICS_PORT`` (0: a free port, logged at start) under ``/metrics``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import mode
import structlog
from aiohttp import web
from prometheus_client import Counter as CounterMetric
from prometheus_client import Gauge, Histogram

from infra.metrics import PREFIX, new_registry, serve_metrics
from streams.runtime.runtime import BatchDone

log = structlog.get_logger(__name__)


class WorkerMetrics:
    def __init__(self) -> None:
        self._children: dict[tuple[int, str], Any] = {}
        self.registry = new_registry()
        r = self.registry
        self.events_in = CounterMetric(
            f"{PREFIX}_worker_events_in", "Messages consumed, by topic", ["topic"], registry=r
        )
        self.events_out = CounterMetric(
            f"{PREFIX}_worker_events_out", "Messages produced, by topic", ["topic"], registry=r
        )
        self.dead_letters = CounterMetric(
            f"{PREFIX}_worker_dead_letters", "Refused input, by reason", ["reason"], registry=r
        )
        self.duplicates = CounterMetric(
            f"{PREFIX}_worker_duplicates",
            "Validated events dropped as repeats (same id, same content)",
            registry=r,
        )
        self.events_applied = CounterMetric(
            f"{PREFIX}_worker_events_applied",
            "Validated events the cases agent applied (neither a repeat nor refused)",
            registry=r,
        )
        self.obligation_events = CounterMetric(
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
            "Time from taking a batch of messages to its outputs acknowledged and its state "
            "written",
            ["agent"],
            registry=r,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0),
        )

    def dead_lettered(self, reason: str) -> None:
        self._child(self.dead_letters, reason).inc()

    def derived(self, event_type: str) -> None:
        """An obligation event derived (counted as the cases agent decides)."""
        self._child(self.obligation_events, event_type).inc()

    def _child(self, metric: CounterMetric, label: str) -> Any:
        # prometheus_client looks a label up on every call; a decision counts thousands a
        # second, so each labelled child is kept once made.
        key = (id(metric), label)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(label)
        return child

    def batch_done(
        self, agent: str, topic: str, done: BatchDone, highwater: int | None = None
    ) -> None:
        """One batch of ``agent``'s input ``topic`` durable: its records in, its outputs out,
        the partition's lag (``highwater``: the partition's end offset, if known) and the
        batch's time from taking its records to their state written."""
        self.events_in.labels(topic).inc(done.records)
        for out_topic, count in Counter(out.topic for out in done.sent).items():
            self.events_out.labels(out_topic).inc(count)
        if highwater is not None:
            self.lag.labels(topic, str(done.partition)).set(
                max(highwater - done.last_offset - 1, 0)
            )
        self.decision_seconds.labels(agent).observe(done.seconds)


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
