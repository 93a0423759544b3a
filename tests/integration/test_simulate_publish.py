"""The simulator publishing to the real broker: what it reports is what is on the topics."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from simulation.publisher import SimulationProgress, run_simulation
from simulation.scenario import SimulationConfig, generate, involved_counties
from streams.admin import ensure_topics

pytestmark = pytest.mark.integration

PARTITIONS = 2


async def read_back(bootstrap: str, topic: str, want: int, wait_s: float = 60.0) -> list[bytes]:
    """Every message on ``topic``: until ``want`` arrived, then one more poll for extras."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    got: list[bytes] = []
    try:
        deadline = time.monotonic() + wait_s
        while len(got) < want and time.monotonic() < deadline:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                got.extend(m.value for m in messages if m.value is not None)
        for messages in (await consumer.getmany(timeout_ms=1_000)).values():
            got.extend(m.value for m in messages if m.value is not None)
    finally:
        await consumer.stop()
    return got


async def test_run_simulation_publishes_exactly_what_it_reports(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    prefix = f"sim{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, prefix=prefix, partitions=PARTITIONS, replication_factor=1)
    config = SimulationConfig(counties=5, persons=50, months=2)
    progress: list[SimulationProgress] = []
    report = await run_simulation(
        config,
        bootstrap_servers=kafka_bootstrap,
        topic_prefix=prefix,
        keys_dir=tmp_path / "keys",
        region_key=Ed25519PrivateKey.generate(),
        person_key_secret=b"simulation-test-secret",
        rate=None,
        progress=progress.append,
        progress_every=200,
        batch_size=64,
    )

    scenario = list(generate(config))
    expected = Counter(str(e.kind.model_fields["event_type"].default) for e in scenario)
    assert report.events_by_type == dict(expected)
    broadcast_types = ("clock_ticked", "agreement_signed", "campaign_opened")
    broadcast = sum(expected[t] for t in broadcast_types)
    assert expected["campaign_opened"] == 1  # when activity ends, the region's clean-up
    assert report.county_event_messages == report.events + broadcast * (PARTITIONS - 1)
    assert report.counties == report.registry_messages == len(involved_counties(config))
    assert (tmp_path / "keys" / "610902.pem").exists()
    assert progress[-1].events == report.events
    assert [p.events for p in progress] == sorted(p.events for p in progress)

    events = await read_back(
        kafka_bootstrap, f"{prefix}.county-events", report.county_event_messages
    )
    registry = await read_back(kafka_bootstrap, f"{prefix}.registry", report.registry_messages)
    assert len(events) == report.county_event_messages
    assert len(registry) == report.registry_messages
    decoded = [json.loads(value) for value in events]
    assert Counter(e["event_type"] for e in decoded) == Counter(
        {t: n * (PARTITIONS if t in broadcast_types else 1) for t, n in expected.items()}
    )
    assert all(e["signature"] for e in decoded)
    national_ids = {str(e.fields["national_id"]) for e in scenario if "national_id" in e.fields}
    assert national_ids
    assert not any(number.encode() in value for value in events for number in national_ids)
    assert all("national_id" not in e for e in decoded)


async def test_run_simulation_keeps_to_the_rate(kafka_bootstrap: str, tmp_path: Path) -> None:
    prefix = f"sim{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, prefix=prefix, partitions=PARTITIONS, replication_factor=1)
    config = SimulationConfig(counties=1, persons=10, months=1, tail_days=5)
    rate = 100.0
    began = time.monotonic()
    report = await asyncio.wait_for(
        run_simulation(
            config,
            bootstrap_servers=kafka_bootstrap,
            topic_prefix=prefix,
            keys_dir=tmp_path / "keys",
            region_key=Ed25519PrivateKey.generate(),
            person_key_secret=b"simulation-test-secret",
            rate=rate,
            progress=None,
        ),
        timeout=60,
    )
    assert report.events > 40
    assert time.monotonic() - began >= 0.8 * (report.events - rate / 10) / rate
