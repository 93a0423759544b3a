"""PostgreSQL stopped for 30 seconds under a running projector: it backs off, catches up,
and the database ends identical to one projected without an outage.

Real components throughout: the simulator publishes signed counties' events at a steady
rate through a real ``liudong worker``, and a real ``liudong project`` process keeps the
read models. Mid-stream the server is stopped (fast shutdown, connections dropped) while
events keep arriving; 30 s later it is started again. Once the worker has settled and the
projector has reached every end offset, each table is dumped (``COPY``, rows sorted) and
compared with a second database that one uninterrupted projector built from the same log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from benchmarks.measure import GroupWatch
from infra.postgres import EmbeddedPostgres
from infra.projection.projector import PROJECTED, Projector
from simulation.publisher import SimulationProgress, run_simulation
from simulation.scenario import SimulationConfig
from streams.admin import ensure_topics
from tests.integration.pipeline import SECRET, Pipeline
from tests.reliability.support import end_offsets

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]

PARTITIONS = 3
OUTAGE_S = 30.0
CONFIG = SimulationConfig(persons=300, months=4, tail_days=15)  # about 1,100 events
RATE = 25.0  # events per second: the stream lasts well past the outage
Dump = dict[str, list[str]]


@pytest.fixture
def pipeline(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Pipeline]:
    p = Pipeline(kafka_bootstrap, f"db{uuid.uuid4().hex[:8]}", tmp_path, PARTITIONS)
    try:
        yield p
    finally:
        p.stop_worker()


class ProjectorProcess:
    """``liudong project`` in its own process group, logging JSON lines to a file."""

    def __init__(self, pipeline: Pipeline, dsn: str) -> None:
        self.log = pipeline.home / "projector.log"
        home = pipeline.home / "projector"
        home.mkdir()
        env = dict(
            os.environ,
            LIUDONG_HOME=str(home),
            LIUDONG_KAFKA_BOOTSTRAP=pipeline.bootstrap,
            LIUDONG_TOPIC_PREFIX=pipeline.prefix,
            LIUDONG_PG_DSN=dsn,
            LIUDONG_LOG_FORMAT="json",
        )
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "entrypoints.cli", "project"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                return self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        return self.proc.wait()

    def events(self, name: str) -> list[dict[str, object]]:
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            if f'"{name}"' in line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue
        return out


async def test_postgres_outage_during_projection_ends_identical(
    pipeline: Pipeline, pg_server: EmbeddedPostgres
) -> None:
    bootstrap, prefix = pipeline.bootstrap, pipeline.prefix
    await ensure_topics(bootstrap, prefix=prefix, partitions=PARTITIONS, replication_factor=1)
    dsn = pg_server.dsn()
    pipeline.start_worker()
    projector = ProjectorProcess(pipeline, dsn)
    progress: list[SimulationProgress] = []
    began = time.monotonic()
    simulation = asyncio.create_task(
        run_simulation(
            CONFIG,
            bootstrap_servers=bootstrap,
            topic_prefix=prefix,
            keys_dir=pipeline.home / "keys",
            region_key=pipeline.region_key,
            person_key_secret=SECRET,
            rate=RATE,
            progress=progress.append,
            progress_every=50,
        )
    )
    try:
        # Registrations come first (169 counties): wait for county events as well.
        before = await _wait_archived(dsn, 400, projector, 180)
        await asyncio.to_thread(pg_server.stop_server)
        stopped_at = time.monotonic()
        sent_at_stop = progress[-1].events if progress else 0
        await _send_garbage(bootstrap, prefix)  # dead letters too, written mid-outage
        try:
            while time.monotonic() - stopped_at < OUTAGE_S:
                assert projector.alive(), f"the projector exited: see {projector.log}"
                await asyncio.sleep(0.5)
        finally:
            await asyncio.to_thread(pg_server.start_server)
        restarted_at = time.monotonic()
        restarted_wall = dt.datetime.now(dt.UTC)
        sent_during = (progress[-1].events if progress else 0) - sent_at_stop
        report = await simulation
    finally:
        if not simulation.done():
            simulation.cancel()

    topics = [spec.full_name(prefix) for spec in PROJECTED]
    ends = await _settled(bootstrap, topics, pipeline)
    pipeline.stop_worker()  # the log is final now
    caught_up_s = await _wait_offsets(dsn, ends, projector, 180) - restarted_at
    assert projector.alive(), f"the projector exited: see {projector.log}"
    assert projector.stop() == 0

    pg_server.create_database("outage_reference")
    reference_dsn = pg_server.dsn("outage_reference")
    await Projector(reference_dsn, bootstrap, prefix).catch_up(180)
    outage, reference = await dump(dsn), await dump(reference_dsn)

    retries = projector.events("projection_db_unavailable")
    lost = projector.events("projection_batch_lost_connection")
    waits = [float(str(r["retry_in_s"])) for r in retries]
    rows = {table: len(lines) for table, lines in outage.items()}
    back = projector.events("projection_db_reconnected")
    reconnected_s = (
        (dt.datetime.fromisoformat(str(back[-1]["timestamp"])) - restarted_wall).total_seconds()
        if back
        else float("nan")
    )
    print(
        f"\ndatabase outage: {report.events} events published at {RATE:.0f}/s "
        f"({sum(ends.values())} messages on the projected topics); PostgreSQL stopped "
        f"{OUTAGE_S:.0f} s with {before} events archived, {sent_during} events published "
        f"meanwhile; projector: {len(lost)} batch(es) lost their connection, "
        f"{len(retries)} reconnect attempts backing off "
        f"{min(waits, default=0):.2f}..{max(waits, default=0):.2f} s, reconnected "
        f"{reconnected_s:.1f} s after the restart and reached the end of the log "
        f"{caught_up_s:.1f} s after it; {time.monotonic() - began:.0f} s in all\n"
        f"rows: {rows}\n"
        f"identical to the uninterrupted run: {outage == reference}"
    )
    assert retries, "the projector never saw the outage"
    assert max(waits) > min(waits), "no backoff between reconnect attempts"
    assert back, "the projector never reconnected"
    assert rows["events"] > before
    assert rows["dead_letters"] == len(GARBAGE)
    assert sent_during > 0, "nothing was published during the outage"
    for table in outage:
        assert outage[table] == reference[table], f"table {table} differs"


GARBAGE = (b"{not json", b"\xff\xfe", b'{"event_type": "teleported"}', b"[]")


async def _send_garbage(bootstrap: str, prefix: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for i, value in enumerate(GARBAGE):
            await producer.send_and_wait(f"{prefix}.county-events", value, key=str(i).encode())
    finally:
        await producer.stop()


async def dump(dsn: str) -> Dump:
    """Every table of the public schema as sorted CSV lines (COPY quotes the identifier)."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        out: Dump = {}
        for table in tables:
            chunks: list[bytes] = []

            async def sink(data: bytes, into: list[bytes] = chunks) -> None:
                into.append(data)

            # schema_migrations.applied_at is the wall clock of each run: left out.
            columns = ["version", "name", "checksum"] if table == "schema_migrations" else None
            await conn.copy_from_table(table, output=sink, columns=columns, format="csv")
            out[table] = sorted(b"".join(chunks).decode().splitlines())
        return out
    finally:
        await conn.close()


async def _archived(dsn: str) -> int:
    try:
        conn = await asyncpg.connect(dsn, timeout=5)
    except (OSError, asyncpg.PostgresError):
        return 0
    try:
        return int(await conn.fetchval("SELECT count(*) FROM events"))
    except asyncpg.UndefinedTableError:
        return 0  # not migrated yet
    finally:
        await conn.close()


async def _wait_archived(dsn: str, want: int, projector: ProjectorProcess, wait_s: float) -> int:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        assert projector.alive(), f"the projector exited: see {projector.log}"
        count = await _archived(dsn)
        if count >= want:
            return count
        await asyncio.sleep(0.5)
    raise AssertionError(f"the projector archived fewer than {want} events in {wait_s:.0f} s")


async def _settled(bootstrap: str, topics: list[str], pipeline: Pipeline) -> dict[str, int]:
    """End offsets ("topic/partition" -> offset) once the worker's group has committed to
    the end of both its inputs and nothing moved for 5 s."""
    watch = GroupWatch(
        bootstrap,
        f"{pipeline.prefix}-workers",
        f"{pipeline.prefix}.validated",
        upstream=f"{pipeline.prefix}.county-events",
    )
    assert await watch.run(180, stable_s=5), "the worker did not settle"
    return {f"{t}/{p}": o for t in topics for p, o in (await end_offsets(bootstrap, t)).items()}


async def _wait_offsets(
    dsn: str, ends: dict[str, int], projector: ProjectorProcess, wait_s: float
) -> float:
    """Until PostgreSQL's stored offsets reach ``ends``; returns when that was."""
    want = {k: v for k, v in ends.items() if v > 0}
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        assert projector.alive(), f"the projector exited: see {projector.log}"
        try:
            conn = await asyncpg.connect(dsn, timeout=5)
            try:
                stored = {
                    f"{r['topic']}/{r['partition']}": r["next_offset"]
                    for r in await conn.fetch(
                        "SELECT topic, partition, next_offset FROM projection_offsets"
                    )
                }
            finally:
                await conn.close()
        except (OSError, asyncpg.PostgresError):
            stored = {}
        if all(stored.get(k, 0) >= v for k, v in want.items()):
            return time.monotonic()
        await asyncio.sleep(0.5)
    raise AssertionError(f"the projector did not reach {want} in {wait_s:.0f} s")
