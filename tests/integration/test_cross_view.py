"""Every view tells the same truth: one seeded simulator data set through the real pipeline.

The demo's simulator (small: three of Ankang's counties, 200 persons, two months and the
answers after them) is published through signed county nodes; a real worker derives the
obligations and the projector writes PostgreSQL. At rest, the vocabulary's counts (open, due
soon, overdue, breached, fulfilled on time, fulfilled late, escalated, cancelled) are read
four ways and must be equal:

* ``liudong obligations --format json`` (the obligations topic, folded by the CLI);
* the dashboard's ``/api/summary`` and ``/api/obligations`` (the projection, through its API);
* ``liudong replay --verify --format json`` (the validated topic replayed by the cases
  agent's engine, verified equal to the live projection);
* the projection itself, counted by the SQL the vocabulary writes.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiokafka.errors import KafkaError

from audit.replay import live_state
from audit.replay.reader import committed_offsets, end_offsets
from dashboard.auth import add_user
from dashboard.server import DashboardConfig, DashboardServer
from infra.projection import reads
from infra.projection.projector import Projector
from simulation.publisher import run_simulation
from simulation.scenario import SimulationConfig
from streams.admin import ensure_topics
from streams.signing import public_key_b64
from tests.integration.databases import empty_database
from tests.integration.pipeline import REGION, SECRET, Pipeline

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]

PARTITIONS = 3
CONFIG = SimulationConfig(counties=3, persons=200, months=2, seed=2026, tail_days=40)
ASSERTED = ("open", "overdue", "breached", "fulfilled_late", "escalated")
PASSWORD = "cross view password"  # noqa: S105 (a test operator)


def cli(pipeline: Pipeline, dsn: str, *argv: str) -> dict[str, Any]:
    env = dict(
        os.environ,
        LIUDONG_HOME=str(pipeline.home),
        LIUDONG_KAFKA_BOOTSTRAP=pipeline.bootstrap,
        LIUDONG_TOPIC_PREFIX=pipeline.prefix,
        LIUDONG_PG_DSN=dsn,
        LIUDONG_REGION_CODE=REGION,
        LIUDONG_REGION_PUBLIC_KEY=public_key_b64(pipeline.region_key),
        LIUDONG_LOG_FORMAT="json",
    )
    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


async def dashboard_counts(dsn: str) -> tuple[dict[str, int], dict[str, int]]:
    """The summary's counts, and the length of the obligations list for each count."""
    conn = await asyncpg.connect(dsn)
    try:
        await add_user(conn, "region", PASSWORD, "region")
    finally:
        await conn.close()
    server = DashboardServer(DashboardConfig(dsn=dsn, port=0, region=REGION))
    await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            login = {"username": "region", "password": PASSWORD}
            async with session.post(f"{server.url}api/login", json=login) as r:
                assert r.status == 200
                token = (await r.json())["token"]
            headers = {"Authorization": f"Bearer {token}"}
            async with session.get(f"{server.url}api/summary", headers=headers) as r:
                assert r.status == 200
                summary = (await r.json())["obligations"]["counts"]
            listed = dict.fromkeys(summary, 0)
            for name in summary:
                while True:  # page through the list, 500 at a time
                    url = f"{server.url}api/obligations?state={name}&limit=500"
                    async with session.get(f"{url}&offset={listed[name]}", headers=headers) as r:
                        assert r.status == 200, name
                        page = len((await r.json())["items"])
                    listed[name] += page
                    if page < 500:
                        break
    finally:
        await server.stop()
    return summary, listed


async def _worker_caught_up(pipeline: Pipeline) -> None:
    """Until the worker has committed the whole validated topic (its group exists by then)."""
    validated = f"{pipeline.prefix}.validated"
    group = f"{pipeline.prefix}-workers"
    deadline = asyncio.get_running_loop().time() + 240
    while asyncio.get_running_loop().time() < deadline:
        ends = await end_offsets(pipeline.bootstrap, validated)
        try:
            committed = await committed_offsets(pipeline.bootstrap, group, list(ends))
        except KafkaError:
            committed = {}  # the group is not formed yet
        if ends and all(committed.get(tp, -1) >= end for tp, end in ends.items()):
            return
        await asyncio.sleep(1)
    raise AssertionError("the worker did not catch up with the validated topic")


async def projection_counts(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        span = await reads.log_span(conn)
        return await reads.obligation_counts(conn, span.clock)
    finally:
        await conn.close()


async def test_every_view_counts_the_same(
    kafka_bootstrap: str, pg_dsn: str, tmp_path: Path
) -> None:
    pipeline = Pipeline(kafka_bootstrap, f"x{uuid.uuid4().hex[:8]}", tmp_path, PARTITIONS)
    await ensure_topics(
        kafka_bootstrap, prefix=pipeline.prefix, partitions=PARTITIONS, replication_factor=1
    )
    pipeline.start_worker()
    try:
        report = await run_simulation(
            CONFIG,
            bootstrap_servers=kafka_bootstrap,
            topic_prefix=pipeline.prefix,
            keys_dir=tmp_path / "keys",
            region_key=pipeline.region_key,
            person_key_secret=SECRET,
        )
        await _worker_caught_up(pipeline)
        async with empty_database(pg_dsn, "cross") as dsn:
            projector = Projector(dsn, kafka_bootstrap, pipeline.prefix)
            stop = asyncio.Event()
            running = asyncio.create_task(projector.run(stop))
            try:
                await asyncio.wait_for(projector.wait_running(), 60)
                live = await live_state(kafka_bootstrap, pipeline.prefix, dsn, wait_s=240)
                await projector.catch_up(120)  # the ticks of the validated topic too
            finally:
                stop.set()
                await running
            assert live.rows, "the simulation derived obligations"

            topic = await asyncio.to_thread(cli, pipeline, dsn, "obligations", "--format", "json")
            replayed = await asyncio.to_thread(
                cli, pipeline, dsn, "replay", "--verify", "--format", "json"
            )
            api, listed = await dashboard_counts(dsn)
            projected = await projection_counts(dsn)
    finally:
        pipeline.stop_worker()

    assert replayed["verify"]["ok"] is True
    views = {
        "cli": topic["counts"],
        "dashboard": api,
        "dashboard list": listed,
        "replay": replayed["counts"],
        "projection": projected,
    }
    print(f"\n{report.events} events published; counts {projected}")
    for name, counts in views.items():
        assert counts == projected, f"{name} says {counts}, the projection {projected}"
    for name in ASSERTED:
        assert projected[name] > 0, f"the data set must exercise {name}"
    assert replayed["obligations"] == len(live.rows) == len(topic["obligations"])
    exclusive = ("open", "fulfilled_on_time", "fulfilled_late", "cancelled")
    assert sum(projected[n] for n in exclusive) == len(live.rows)
