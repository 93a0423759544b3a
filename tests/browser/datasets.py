"""The data sets the dashboard is tried on, built once per session on the real broker and
database the session fixtures start.

* **demo**: the demo's own scenario (the seeded simulator, Ankang's ten counties, 1,000
  persons, 169 counties in all) published through signed county nodes to a real worker,
  with the demo's forged and malformed messages; the assessment service scores it and the
  projector writes PostgreSQL. Everything the demo runs, at the demo's size.
* **national**: the simulator with 2,100 origin counties (2,201 counties in the projection).
  Running that through a worker would take most of a CI run, so its records are derived
  from the simulator's signed events by the cases agent's own engine (the replay's
  :class:`audit.replay.engine.Replay`, which the live agent shares) and written to the
  topics where the worker writes them: the events to the validated topic on the partition
  the gate gives them, the derived events to the obligations and alerts topics, keyed as the
  cases agent keys them. The assessment service and the projector then run on those topics
  as they run in production, so the rows are what the projector writes from such a log.

Each data set keeps its topics (own prefix) and database, so the ``liudong`` CLI can be
asked the same questions the dashboard answers.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agents.assessment import AssessmentService
from agents.assessment_config import load as load_assessment_config
from audit.replay.engine import Replay
from audit.replay.reader import committed_offsets, end_offsets
from contracts.events.derived import (
    AgreementCoveragePublished,
    AlertRaised,
    CampaignProgressPublished,
)
from contracts.events.migration import PersonEvent
from infra.projection.projector import Projector
from simulation.forgeries import publish_bad_examples
from simulation.publisher import (
    CountySigners,
    EventIds,
    county_key,
    county_registrations,
    run_simulation,
)
from simulation.scenario import SimulationConfig, generate, involved_counties
from streams import codec, routing, topics
from streams.admin import ensure_topics
from streams.signing import public_key_b64
from tests.integration.pipeline import REGION, SECRET, Pipeline

PARTITIONS = 3
DEMO = SimulationConfig(counties=10, persons=1000, months=3, seed=2026, region=REGION, tail_days=60)
NATIONAL = SimulationConfig(
    counties=2100, persons=4200, months=1, seed=2026, region=REGION, tail_days=45
)


# A record cut off mid-JSON, as a crashed writer could leave one.
BROKEN_RECORD = b'{"event_type": "agreement_coverage_published", "period": "2026-01", "fig'


@dataclass
class DataSet:
    name: str
    bootstrap: str
    prefix: str
    dsn: str
    home: Path
    region_key: Ed25519PrivateKey
    published: dict[str, int] = field(default_factory=dict)  # what went in, by kind

    def env(self) -> dict[str, str]:
        """The environment a ``liudong`` command reads this data set with."""
        return dict(
            os.environ,
            LIUDONG_HOME=str(self.home),
            LIUDONG_KAFKA_BOOTSTRAP=self.bootstrap,
            LIUDONG_TOPIC_PREFIX=self.prefix,
            LIUDONG_PG_DSN=self.dsn,
            LIUDONG_REGION_CODE=REGION,
            LIUDONG_REGION_PUBLIC_KEY=public_key_b64(self.region_key),
            LIUDONG_LOG_FORMAT="json",
        )

    def cli(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "entrypoints.cli", *argv],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


# --- demo: the real pipeline ---------------------------------------------------------------------


async def build_demo(bootstrap: str, dsn: str, home: Path) -> DataSet:
    prefix = f"demo{uuid.uuid4().hex[:8]}"
    pipeline = Pipeline(bootstrap, prefix, home, PARTITIONS)
    await ensure_topics(bootstrap, prefix=prefix, partitions=PARTITIONS, replication_factor=1)
    data = DataSet("demo", bootstrap, prefix, dsn, home, pipeline.region_key)
    pipeline.start_worker()
    try:
        report = await run_simulation(
            DEMO,
            bootstrap_servers=bootstrap,
            topic_prefix=prefix,
            keys_dir=home / "keys",
            region_key=pipeline.region_key,
            person_key_secret=SECRET,
        )
        await publish_bad_examples(bootstrap, home / "keys", home / "forger.pem", prefix)
        data.published = {"events": report.events, "messages": report.county_event_messages}
        await _worker_caught_up(pipeline)
    finally:
        pipeline.stop_worker()
    await _assess_and_project(data)
    return data


async def _worker_caught_up(pipeline: Pipeline, wait_s: float = 420) -> None:
    """Until the worker has committed every input topic it reads, to the end."""
    group = f"{pipeline.prefix}-workers"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    names = [f"{pipeline.prefix}.{t}" for t in ("county-events", "validated")]
    while loop.time() < deadline:
        caught_up = True
        for name in names:
            ends = await end_offsets(pipeline.bootstrap, name)
            try:
                committed = await committed_offsets(pipeline.bootstrap, group, list(ends))
            except KafkaError:
                committed = {}
            caught_up &= bool(ends) and all(committed.get(tp, -1) >= e for tp, e in ends.items())
        if caught_up:
            return
        await asyncio.sleep(1)
    raise AssertionError("the worker did not catch up with its input topics")


# --- national: the engine's records on the topics -------------------------------------------------


async def build_national(bootstrap: str, dsn: str, home: Path) -> DataSet:
    prefix = f"nat{uuid.uuid4().hex[:8]}"
    region_key = Ed25519PrivateKey.generate()
    await ensure_topics(bootstrap, prefix=prefix, partitions=PARTITIONS, replication_factor=1)
    data = DataSet("national", bootstrap, prefix, dsn, home, region_key)
    config = NATIONAL
    ids = EventIds(config, region_key, SECRET)
    keys = {code: county_key(home / "keys", code) for code in involved_counties(config)}
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        from streams.county_node import CountyNode

        region = CountyNode(
            county=config.region,
            publisher_id=f"{config.region}/region",
            private_key=region_key,
            person_key_secret=SECRET,
            bootstrap_servers=bootstrap,
            topic_prefix=prefix,
        )
        signers = CountySigners(keys, region, SECRET, bootstrap, prefix)
        registry = topics.REGISTRY.full_name(prefix)
        sent = [
            await producer.send(registry, value=codec.encode(e), key=e.county.encode())
            for e in county_registrations(config, region, keys, ids)
        ]
        # Each partition's messages as the gate forwards them: a person's events on the
        # partition its key names, a broadcast event on every partition, keyed by it.
        validated: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
        events = 0
        for sim_event in generate(config):
            event = signers.build(sim_event, ids.next())
            events += 1
            value = codec.encode(event)
            if isinstance(event, PersonEvent):
                p = routing.person_partition(event.person_key, PARTITIONS)
                validated[p].append((event.person_key.encode(), value))
            else:
                for p in range(PARTITIONS):
                    validated[p].append((routing.broadcast_key(p), value))
        name = topics.VALIDATED.full_name(prefix)
        replay = Replay(region=config.region, keep_outputs=True)
        for p, messages in sorted(validated.items()):
            for key, value in messages:
                sent.append(await producer.send(name, value=value, key=key, partition=p))
            replay.feed(p, enumerate(value for _, value in messages))
        outputs: list[Any] = replay.outputs or []
        for output in outputs:
            topic, key = _derived_destination(output, prefix)
            sent.append(await producer.send(topic, value=codec.encode(output), key=key))
        # A record the projector cannot read: it keeps it as a dead letter of its own.
        alerts = topics.ALERTS.full_name(prefix)
        sent.append(await producer.send(alerts, value=BROKEN_RECORD, key=b"broken"))
        await asyncio.gather(*sent)
        data.published = {
            "events": events,
            "messages": sum(len(v) for v in validated.values()),
            "derived": len(outputs),
        }
    finally:
        await producer.stop()
    await _assess_and_project(data)
    return data


def _derived_destination(output: Any, prefix: str) -> tuple[str, bytes]:
    """Where the cases agent sends a derived event, and its key (agents/cases.py)."""
    alerts = topics.ALERTS.full_name(prefix)
    if isinstance(output, AlertRaised):
        return alerts, "-".join(output.counties).encode()
    if isinstance(output, AgreementCoveragePublished):
        return alerts, output.period.encode()
    if isinstance(output, CampaignProgressPublished):
        return alerts, output.campaign_id.encode()
    return topics.OBLIGATIONS.full_name(prefix), output.person_key.encode()


# --- shared: scorecards, then the projection -----------------------------------------------------


async def _assess_and_project(data: DataSet) -> None:
    service = AssessmentService(
        data.bootstrap, data.prefix, region=REGION, config=load_assessment_config()
    )
    stop = asyncio.Event()
    running = asyncio.create_task(service.run(stop))
    try:
        await asyncio.wait_for(service.caught_up.wait(), 300)
    finally:
        stop.set()
        await running
    projector = Projector(data.dsn, data.bootstrap, data.prefix)
    await projector.catch_up(600)
