"""The worker on the deployment's table store (RocksDB via rocksdict), across a SIGKILL.

The runtime writes each batch's state into its table with ``apply_changelog_batch`` (as
Faust's recovery does) and reads it back from each partition's own database: on RocksDB
each key must land in its partition's database, and a restarted worker must find it there
(or recover it from the changelog). A scaled-down scripted scenario, the worker killed
halfway and restarted on the same data directory: every obligation must still follow the
rules table, with nothing dead-lettered.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from audit import obligation_view
from contracts import unions
from streams.topic_reader import read_all
from streams.topics import WORKER_TABLES
from tests.integration import obligation_scenario as script
from tests.integration.pipeline import Pipeline
from tests.integration.test_obligations_scenario import _matched, _transitions, run_scenario

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

PARTITIONS = 3


async def test_state_on_rocksdb_survives_a_worker_kill(
    kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIUDONG_FAUST_STORE", "rocksdb://")
    monkeypatch.setattr(script, "PERSONS", 30)
    monkeypatch.setattr(script, "TICK_DAYS", 75)
    pipeline = Pipeline(kafka_bootstrap, f"r{uuid.uuid4().hex[:8]}", tmp_path, PARTITIONS)
    scenario = script.build()
    try:
        events = await run_scenario(pipeline, crash_at=(len(scenario.events) // 2,))
    finally:
        pipeline.stop_workers()

    dead_letters = f"{pipeline.prefix}.dead-letters"
    dead = await read_all(kafka_bootstrap, dead_letters, unions.DeadLetterEvent)
    assert not dead, [(d.reason_code, d.reason) for d in dead[:3]]
    rows = obligation_view.fold(events)
    matched = _matched(rows, scenario)
    assert len(matched) == len(scenario.expected) == len(rows)
    for row, expected in matched.items():
        assert _transitions(row) == expected.transitions(), (expected, row)

    # It ran on RocksDB: one database per table partition under the worker's data directory.
    databases = {p.name for p in (tmp_path / "faust").rglob("*.db") if (p / "CURRENT").exists()}
    for table in WORKER_TABLES.values():
        assert any(name.startswith(table) for name in databases), (table, sorted(databases))
    log = (tmp_path / "worker.log").read_text()
    assert log.count('"partition_loaded"') >= 2  # the cases agent loaded again after the kill
