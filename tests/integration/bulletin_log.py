"""One simulated log for the bulletin and public-page tests: the demo's simulator (seeded,
small) published through signed county nodes and a real worker on the session's broker.

Built once per session and broker (the integration and browser tests share it); the worker
is stopped once it has committed the whole validated topic, so the log stands still.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from disclosure.bulletin.positions import TOPICS
from simulation.publisher import run_simulation
from simulation.scenario import SimulationConfig
from streams.admin import ensure_topics
from streams.topic_reader import find_partitions
from tests.integration.pipeline import REGION, SECRET, Pipeline
from tests.integration.test_cross_view import _worker_caught_up

PARTITIONS = 3
CONFIG = SimulationConfig(counties=3, persons=200, months=2, seed=2026, tail_days=40)
QUARTER = "2026-Q1"


@dataclass(frozen=True, slots=True)
class SimulatedLog:
    bootstrap: str
    prefix: str
    home: Path

    def env(self, prefix: str | None = None, **more: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIUDONG_")}
        env.update(
            LIUDONG_HOME=str(self.home),
            LIUDONG_KAFKA_BOOTSTRAP=self.bootstrap,
            LIUDONG_TOPIC_PREFIX=prefix or self.prefix,
            LIUDONG_REGION_CODE=REGION,
            LIUDONG_LOG_FORMAT="json",
            **more,
        )
        return env

    def cli(self, *argv: str, prefix: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "entrypoints.cli", *argv],
            env=self.env(prefix),
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )


_BUILT: dict[str, SimulatedLog] = {}


async def simulated_log(bootstrap: str, root: Path) -> SimulatedLog:
    """The shared log (built on the first call for this broker)."""
    if bootstrap in _BUILT:
        return _BUILT[bootstrap]
    pipeline = Pipeline(bootstrap, f"bul{uuid.uuid4().hex[:8]}", root, PARTITIONS)
    await ensure_topics(
        bootstrap, prefix=pipeline.prefix, partitions=PARTITIONS, replication_factor=1
    )
    pipeline.start_worker()
    try:
        await run_simulation(
            CONFIG,
            bootstrap_servers=bootstrap,
            topic_prefix=pipeline.prefix,
            keys_dir=root / "keys",
            region_key=pipeline.region_key,
            person_key_secret=SECRET,
        )
        await _worker_caught_up(pipeline)
    finally:
        pipeline.stop_worker()
    built = SimulatedLog(bootstrap, pipeline.prefix, root)
    _BUILT[bootstrap] = built
    return built


async def records(bootstrap: str, topic: str) -> dict[int, list[tuple[bytes | None, bytes | None]]]:
    """Every record of ``topic`` per partition, (key, value), in offset order."""
    tps = await find_partitions(bootstrap, [topic], wait_s=10.0)
    parts = [tp.partition for tp in tps]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: dict[int, list[tuple[bytes | None, bytes | None]]] = {p: [] for p in parts}
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            for tp, messages in (await consumer.getmany(*remaining, timeout_ms=1000)).items():
                out[tp.partition] += [(m.key, m.value) for m in messages if m.offset < ends[tp]]
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return out
    finally:
        await consumer.stop()


async def write(
    bootstrap: str, topic: str, by_partition: dict[int, list[tuple[bytes | None, bytes | None]]]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for partition, rows in sorted(by_partition.items()):
            for key, value in rows:  # one at a time: the order within a partition is the point
                await producer.send_and_wait(topic, value=value, key=key, partition=partition)
    finally:
        await producer.stop()


async def copy_log(bootstrap: str, source: str, target: str) -> None:
    """The three topics a bulletin reads, record for record, under another prefix."""
    await ensure_topics(bootstrap, prefix=target, partitions=PARTITIONS, replication_factor=1)
    for t in TOPICS:
        rows = await records(bootstrap, f"{source}.{t}")
        await write(bootstrap, f"{target}.{t}", rows)


async def recreate(bootstrap: str, prefix: str, topic: str) -> None:
    """Delete a topic and create it again, empty (a log replaced under the same name)."""
    name = f"{prefix}.{topic}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([name])
        for _ in range(120):
            if name not in await admin.list_topics():
                break
            await asyncio.sleep(0.5)  # the deletion is still under way
        else:
            raise AssertionError(f"{name} was not deleted")
    finally:
        await admin.close()
    await ensure_topics(bootstrap, prefix=prefix, partitions=PARTITIONS, replication_factor=1)
