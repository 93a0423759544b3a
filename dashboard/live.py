"""What the page shows live: one background sampler per server and a per-scope cache.

The sampler polls the archive's size once a period (throughput = events archived per
second, from the last samples) and the projector lag every few periods. Summaries are
cached per scope (the region, or one county) for just under a period, so many open pages
cost one set of queries per scope per second.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import structlog

from dashboard import figures
from dashboard.auth import Principal
from dashboard.db import Database, DatabaseUnavailable
from dashboard.lag import LagProbe, unavailable
from dashboard.names import names

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class Throughput:
    """Samples of (monotonic seconds, events archived); rates between consecutive samples."""

    window: int = 120
    samples: deque[tuple[float, int]] = field(default_factory=deque)

    def record(self, at: float, events: int) -> None:
        self.samples.append((at, events))
        while len(self.samples) > self.window:
            self.samples.popleft()

    def series(self) -> list[float]:
        pairs = list(self.samples)
        return [
            max(n1 - n0, 0) / (t1 - t0) if t1 > t0 else 0.0
            for (t0, n0), (t1, n1) in itertools.pairwise(pairs)
        ]

    def rate(self, over: int = 5) -> float:
        recent = list(self.samples)[-(over + 1) :]
        if len(recent) < 2 or recent[-1][0] <= recent[0][0]:
            return 0.0
        return max(recent[-1][1] - recent[0][1], 0) / (recent[-1][0] - recent[0][0])


class Live:
    def __init__(
        self,
        db: Database,
        lag: LagProbe,
        *,
        region: str,
        interval_s: float = 1.0,
        lag_every: int = 5,
    ) -> None:
        self.db = db
        self.region = region
        self.lag_probe = lag
        self.interval = interval_s
        self.lag_every = lag_every
        self.throughput = Throughput()
        self.totals: dict[str, Any] = {"events": None, "latest_event_at": None, "clock": None}
        self.lag: dict[str, Any] = unavailable("not measured yet")
        self.db_error: str | None = None
        self._cache: dict[str | None, tuple[float, dict[str, Any]]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="dashboard-sampler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        tick = 0
        while True:
            await self.sample(probe_lag=tick % self.lag_every == 0)
            tick += 1
            await asyncio.sleep(self.interval)

    async def sample(self, *, probe_lag: bool = False) -> None:
        try:
            async with self.db.connection() as conn:
                self.totals = await figures.totals(conn)
                stored = await figures.offsets(conn) if probe_lag else None
        except DatabaseUnavailable as exc:
            self.db_error = str(exc)
            return
        self.db_error = None
        self.throughput.record(time.monotonic(), int(self.totals["events"]))
        if stored is not None:
            self.lag = await self.lag_probe.probe(stored)

    def live_figures(self) -> dict[str, Any]:
        return {
            "totals": self.totals,
            "throughput": {
                "per_second": round(self.throughput.rate(), 3),
                "series": [round(x, 3) for x in self.throughput.series()[-60:]],
            },
            "lag": self.lag,
        }

    async def summary(self, p: Principal) -> dict[str, Any]:
        """Every view's figures for this principal; raises DatabaseUnavailable.

        The archive's throughput and the projector's lag are the whole system's: a county
        operator gets its own county's archived events instead, and no throughput or lag.
        """
        key = None if p.sees_all else p.county
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is None or now - cached[0] >= self.interval * 0.9:
            async with self.db.connection() as conn:
                body = await figures.summary(conn, p, region=self.region)
            body["names"] = names(_codes(body, p))
            self._cache[key] = (now, body)
            cached = self._cache[key]
        if p.sees_all:
            return {**cached[1], **self.live_figures(), "db": "ok"}
        return {**cached[1], "throughput": None, "lag": None, "db": "ok"}


def _codes(body: dict[str, Any], p: Principal) -> set[str]:
    codes: set[str] = set()
    for row in body["scorecards"]["table"]:
        codes.add(row["county"])
    for c in body["campaigns"]:
        codes.update(c.get("counties") or [])
    if p.county:
        codes.add(p.county)
    return codes
