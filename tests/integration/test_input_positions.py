"""Agents apply their input from the positions their state records, not from the group's
committed offsets.

Before the worker ever runs, the workers' consumer group is given committed offsets past
the start of every input partition, as a commit of inputs never applied would leave them.
The runtime must start each partition where its state says (the start, here: it has none)
and the agents derive exactly what the rules table says for the whole (smaller) scripted
scenario.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from audit import obligation_view
from streams.admin import ensure_topics
from tests.integration import obligation_scenario as script
from tests.integration.pipeline import Pipeline
from tests.integration.test_obligations_scenario import _matched, _transitions, run_scenario

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

PARTITIONS = 3
AHEAD = 5  # committed offset per partition, before anything was applied


async def commit_ahead(pipeline: Pipeline) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=pipeline.bootstrap,
        group_id=f"{pipeline.prefix}-workers",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        tps = [
            TopicPartition(f"{pipeline.prefix}.{name}", p)
            for name in ("county-events", "validated")
            for p in range(PARTITIONS)
        ]
        consumer.assign(tps)
        await consumer.commit({tp: OffsetAndMetadata(AHEAD, "") for tp in tps})
    finally:
        await consumer.stop()


async def test_a_commit_ahead_of_the_applied_input_loses_nothing(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    pipeline = Pipeline(kafka_bootstrap, f"i{uuid.uuid4().hex[:8]}", tmp_path, PARTITIONS)
    await ensure_topics(
        kafka_bootstrap, prefix=pipeline.prefix, partitions=PARTITIONS, replication_factor=1
    )
    await commit_ahead(pipeline)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(script, "PERSONS", 40)
        patch.setattr(script, "TICK_DAYS", 75)
        try:
            events = await run_scenario(pipeline)
            scenario = script.build()
        finally:
            pipeline.stop_workers()
    rows = obligation_view.fold(events)
    matched = _matched(rows, scenario)
    assert len(matched) == len(scenario.expected) == len(rows)
    for row, expected in matched.items():
        assert _transitions(row) == expected.transitions(), (expected, row)
    lines = (tmp_path / "worker.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    started = {
        (r["runtime"], r["partition"]): r["position"]
        for r in records
        if r.get("event") == "partition_assigned"
    }
    for runtime in ("gate", "cases"):
        for p in range(PARTITIONS):
            assert started[runtime, p] == 0, (runtime, p)  # not the group's AHEAD
