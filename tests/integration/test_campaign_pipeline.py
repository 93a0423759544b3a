"""A clean-up campaign on the real broker, a real worker and a real PostgreSQL.

The seeded scenario (tests/unit/campaign_fixtures.py: a known number of anomalies of every
kind) is published signed through county nodes, with daily ticks; the campaign opens on
day 200. The tasks the worker assigns must be exactly the seeded ones; the assignees then
answer (a merge, its split, a presence, a lost contact); the projection and a replay of
the log from scratch must agree (same digest).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.replay import replay_and_verify
from audit.replay.engine import PartitionReplay
from audit.replay.outcome import Outcome
from contracts import unions
from contracts.envelope import Envelope
from contracts.events.campaigns import (
    RecordsSplit,
    VerificationResultReported,
    VerificationTaskAssigned,
)
from contracts.events.clock import ClockTicked
from contracts.events.derived import CampaignProgressPublished
from contracts.events.registry import CountyRegistered
from infra.projection.projector import Projector
from streams.admin import ensure_topics
from streams.county_node import CountyNode
from streams.signing import public_key_b64
from streams.topic_reader import read_all
from tests.integration.databases import empty_database
from tests.integration.pipeline import REGION, Pipeline
from tests.unit import campaign_fixtures as cf
from tests.unit.case_fixtures import BAOAN, HANBIN, HANYIN, YANTA, day

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

PARTITIONS = 3
COUNTIES = (HANBIN, HANYIN, BAOAN, YANTA, cf.FUTIAN)
ENVELOPE = {
    "event_id",
    "event_type",
    "schema_version",
    "occurred_at",
    "recorded_at",
    "source_county",
    "publisher_id",
    "correlation_id",
    "causation_id",
    "signature",
}


@dataclass
class Run:
    pipeline: Pipeline
    nodes: dict[str, CountyNode]
    scenario: cf.Scenario
    tasks: list[VerificationTaskAssigned]


def resigned(node: CountyNode, event: Envelope) -> Envelope:
    """The fixture's event as this county node publishes it: same id, time and fields."""
    fields = event.model_dump(exclude=ENVELOPE)
    return node.build(type(event), occurred_at=event.occurred_at, event_id=event.event_id, **fields)


async def publish(run: Run, events: list[Envelope]) -> None:
    for event in events:
        await run.nodes[event.source_county].publish(
            resigned(run.nodes[event.source_county], event)
        )


async def derived(pipeline: Pipeline) -> list[Envelope]:
    prefix = pipeline.prefix
    return [
        *await read_all(pipeline.bootstrap, f"{prefix}.obligations", unions.ObligationEvent),
        *await read_all(pipeline.bootstrap, f"{prefix}.alerts", unions.AlertEvent),
    ]


async def wait_for(pipeline: Pipeline, done: Any, what: str) -> list[Envelope]:
    for _ in range(240):
        events = await derived(pipeline)
        if done(events):
            return events
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def tasks_in(events: list[Envelope]) -> list[VerificationTaskAssigned]:
    unique = {e.event_id: e for e in events if isinstance(e, VerificationTaskAssigned)}
    return list(unique.values())


@pytest.fixture(scope="module")
async def run(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Run]:
    pipeline = Pipeline(
        kafka_bootstrap, f"c{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp("campaign"), PARTITIONS
    )
    await ensure_topics(
        kafka_bootstrap, prefix=pipeline.prefix, partitions=PARTITIONS, replication_factor=1
    )
    keys = {code: Ed25519PrivateKey.generate() for code in COUNTIES}
    region = pipeline.node(REGION, pipeline.region_key, f"{REGION}/region")
    nodes = {code: pipeline.node(code, key) for code, key in keys.items()} | {REGION: region}
    for node in nodes.values():
        await node.start()
    scenario = cf.build()
    try:
        await region.publish_many(
            region.build(
                CountyRegistered,
                occurred_at=day(0),
                county=code,
                name=code,
                public_key=public_key_b64(key),
            )
            for code, key in keys.items()
        )
        pipeline.start_worker()
        run = Run(pipeline, nodes, scenario, [])
        # Daily ticks among the events: the gate refuses events far ahead of the clock.
        ticks = [
            region.build(ClockTicked, occurred_at=day(d), event_id=uuid.uuid4())
            for d in range(0, 203)
        ]
        timeline = sorted(
            [(e.occurred_at, 1, e) for e in scenario.events if not isinstance(e, ClockTicked)]
            + [(t.occurred_at, 0, t) for t in ticks],
            key=lambda x: (x[0], x[1]),
        )
        for _, _, event in timeline:
            if isinstance(event, ClockTicked):
                await region.publish(event)
            else:
                await publish(run, [event])
        events = await wait_for(
            pipeline, lambda es: len(tasks_in(es)) >= len(scenario.expected), "the tasks"
        )
        run.tasks = tasks_in(events)
        yield run
    finally:
        for node in nodes.values():
            await node.stop()
        pipeline.stop_workers()


async def test_the_worker_assigns_exactly_one_task_per_seeded_anomaly(run: Run) -> None:
    await asyncio.sleep(2)  # anything beyond the expected would show up now
    tasks = tasks_in(await derived(run.pipeline))
    got = sorted((t.person_key, t.check, t.assignee_county) for t in tasks)
    want = sorted((x.person_key, x.check, x.assignee) for x in run.scenario.expected)
    assert got == want


async def test_answers_apply_and_the_replay_agrees_with_the_projection(
    run: Run, pg_dsn: str
) -> None:
    dup = next(t for t in run.tasks if t.check == "duplicate")
    lost = next(t for t in run.tasks if t.check == "lost_contact")
    stale = next(t for t in run.tasks if t.check == "stale")
    region = run.nodes[REGION]

    def answer(task: VerificationTaskAssigned, result: str, **kw: Any) -> Envelope:
        node = run.nodes[task.assignee_county]
        return node.build(
            VerificationResultReported,
            occurred_at=day(204),
            person_key=task.person_key,
            task_id=task.task_id,
            result=result,
            **kw,
        )

    # The record to keep is the first registration: the inflow in 宝安 (its event id).
    keep = next(
        e
        for e in run.scenario.events
        if getattr(e, "person_key", None) == dup.person_key
        and e.event_type == "inflow_registered"
        and getattr(e, "destination_county", None) == BAOAN
    )
    await region.publish(region.build(ClockTicked, occurred_at=day(204), event_id=uuid.uuid4()))
    for event in (
        answer(dup, "duplicate", duplicate_of=str(keep.event_id)),
        answer(lost, "present"),
        answer(stale, "not_found"),
    ):
        await run.nodes[event.source_county].publish(event)
    split = run.nodes[cf.FUTIAN].build(
        RecordsSplit,
        occurred_at=day(205),
        person_key=dup.person_key,
        merged_into=str(keep.event_id),
        task_id=dup.task_id,
    )
    await run.nodes[cf.FUTIAN].publish(split)
    for d in range(205, 240):  # past the deadline: the rest breach and are counted overdue
        await region.publish(region.build(ClockTicked, occurred_at=day(d), event_id=uuid.uuid4()))

    def settled(events: list[Envelope]) -> bool:
        progress = [e for e in events if isinstance(e, CampaignProgressPublished)]
        newest = {p.partition: p for p in sorted(progress, key=lambda p: p.occurred_at)}
        return sum(f.overdue for p in newest.values() for f in p.figures) == len(run.tasks) - 3

    events = await wait_for(run.pipeline, settled, "the overdue tasks")
    progress = [e for e in events if isinstance(e, CampaignProgressPublished)]
    newest = {p.partition: p for p in sorted(progress, key=lambda p: p.occurred_at)}
    answered = sum(f.answered for p in newest.values() for f in p.figures)
    assigned = sum(f.assigned for p in newest.values() for f in p.figures)
    assert (assigned, answered) == (len(run.scenario.expected), 3)
    # What an operator sees with `liudong campaign status` is the same sum.
    shown = _campaign_status(run.pipeline)[cf.CAMPAIGN]["figures"]
    assert sum(f["assigned"] for f in shown) == len(run.scenario.expected)
    assert sum(f["answered"] for f in shown) == 3
    assert sum(f["overdue"] for f in shown) == len(run.scenario.expected) - 3

    async with empty_database(pg_dsn, "campaign") as dsn:
        await Projector(dsn, run.pipeline.bootstrap, run.pipeline.prefix).catch_up(30)
        replay, result = await replay_and_verify(
            run.pipeline.bootstrap, run.pipeline.prefix, dsn, region=REGION, wait_s=60
        )
    assert result.ok, result.difference.describe() if result.difference else ""
    assert Outcome.of(replay).summary().digest == result.live.digest
    cases = {c.person_key: c for c in replay.cases()}
    assert cases[dup.person_key].registrations == _registrations_before_merge(run, dup)
    assert cases[stale.person_key].status == "lost_contact"
    assert cases[lost.person_key].pending_outflow is None
    tasks = {t.task_id: t for c in cases.values() for t in c.tasks}
    assert tasks[dup.task_id].result == "duplicate"
    assert len(tasks) == len(run.scenario.expected)
    verification = [r for r in result.live.rows if r.kind == "verification_result"]
    assert len(verification) == len(run.scenario.expected)


def _campaign_status(pipeline: Pipeline) -> Any:
    env = dict(
        os.environ,
        LIUDONG_KAFKA_BOOTSTRAP=pipeline.bootstrap,
        LIUDONG_TOPIC_PREFIX=pipeline.prefix,
        LIUDONG_HOME=str(pipeline.home),
    )
    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "campaign", "status", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _registrations_before_merge(run: Run, task: VerificationTaskAssigned) -> Any:
    """The person's records as the seeded events left them (before any answer)."""
    engine = PartitionReplay(0, REGION)
    for event in run.scenario.events:
        if getattr(event, "person_key", task.person_key) == task.person_key:
            engine.apply(event)
    return engine.cases[task.person_key].registrations
