"""The agreements engine on the real broker, against the rules table computed in the test.

One run publishes the scripted scenario uninterrupted and must derive exactly what the rules
table says (tests/integration/obligation_scenario.py); a second from scratch must derive
byte-identical events. Others SIGKILL the worker at random points and restart it, or run
two workers and kill one for good: each must end in the uninterrupted run's final state.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import obligation_view
from contracts import unions
from contracts.envelope import Envelope
from contracts.events.derived import AgreementCoveragePublished, AlertRaised
from contracts.events.registry import CountyRegistered
from contracts.identity import person_key
from streams import codec
from streams.admin import ensure_topics
from streams.signing import public_key_b64
from streams.topic_reader import read_all
from tests.integration import obligation_scenario as script
from tests.integration.pipeline import REGION, SECRET, Pipeline

pytestmark = pytest.mark.integration

PARTITIONS = 3


async def run_scenario(
    pipeline: Pipeline,
    *,
    crash_at: tuple[int, ...] = (),
    workers: int = 1,
    kill_for_good: bool = False,
) -> list[Envelope]:
    """Publish the scenario through signed county nodes.

    At each position in ``crash_at`` (event numbers) the test waits until the worker shows
    progress, then SIGKILLs it and starts it again; with ``kill_for_good`` (and two workers)
    the killed one stays dead and the survivor must take over its partitions.
    """
    await ensure_topics(
        pipeline.bootstrap, prefix=pipeline.prefix, partitions=PARTITIONS, replication_factor=1
    )
    keys = {code: Ed25519PrivateKey.generate() for code in script.COUNTIES}
    region = pipeline.node(REGION, pipeline.region_key, f"{REGION}/region")
    nodes = {code: pipeline.node(code, key) for code, key in keys.items()} | {REGION: region}
    scenario = script.build()
    for node in nodes.values():
        await node.start()
    try:
        await region.publish_many(
            region.build(
                CountyRegistered,
                occurred_at=script.T0,
                county=code,
                name=code,
                public_key=public_key_b64(key),
            )
            for code, key in keys.items()
        )
        for index in range(workers):
            pipeline.start_worker(index)
        derived_at_kill = 0
        for n, (county, cls, at, fields) in enumerate(scenario.ordered()):
            node = nodes[county]
            if "national_id" in fields:
                fields = dict(fields)
                fields["person_key"] = node.person_key(fields.pop("national_id"))
            await node.publish(node.build(cls, occurred_at=at, event_id=_event_id(n), **fields))
            if n in crash_at:
                # Kill while it works: once it derived something since it (re)started.
                derived_at_kill = await _wait_for_obligations(pipeline, minimum=derived_at_kill + 1)
                pipeline.kill_worker(0)
                if not kill_for_good:
                    pipeline.start_worker(0)
    finally:
        for node in nodes.values():
            await node.stop()
    return await _settled(pipeline, lambda events: _complete(events, scenario))


def _event_id(n: int) -> uuid.UUID:
    # Fixed ids, so the two runs publish the same events and derive the same ones.
    return uuid.uuid5(uuid.UUID("8d1f7e0a-3c2b-4a59-9e6d-1b2c3d4e5f60"), str(n))


async def _derived(pipeline: Pipeline) -> list[Envelope]:
    obligations = await read_all(
        pipeline.bootstrap, f"{pipeline.prefix}.obligations", unions.ObligationEvent
    )
    alerts = await read_all(pipeline.bootstrap, f"{pipeline.prefix}.alerts", unions.AlertEvent)
    return [*obligations, *alerts]


async def _wait_for_obligations(pipeline: Pipeline, minimum: int) -> int:
    """Wait until the output topics hold ``minimum`` records (repeats count); return how many."""
    deadline = time.monotonic() + 180  # a loaded 2-core machine starts a worker slowly
    while time.monotonic() < deadline:
        count = len(await _derived(pipeline))
        if count >= minimum:
            return count
        await asyncio.sleep(0.5)
    raise AssertionError("the worker derived nothing before the planned crash")


def _complete(events: list[Envelope], scenario: script.Scenario) -> bool:
    rows = obligation_view.fold(events)
    return len(rows) >= len(scenario.expected) and all(
        _transitions(r) == e.transitions() for r, e in _matched(rows, scenario).items()
    )


async def _settled(pipeline: Pipeline, done: Callable[[list[Envelope]], bool]) -> list[Envelope]:
    deadline = time.monotonic() + 240
    events: list[Envelope] = []
    while time.monotonic() < deadline:
        events = await _derived(pipeline)
        if done(events):
            await asyncio.sleep(2)  # anything beyond the expected would show up now
            return await _derived(pipeline)
        await asyncio.sleep(1)
    return events


def _transitions(row: obligation_view.ObligationRow) -> frozenset[str]:
    seen = {"opened"}
    seen |= {
        name
        for name, flag in (
            ("reminded", row.reminded),
            ("breached", row.breached),
            ("escalated", row.escalated),
        )
        if flag
    }
    if row.state == "fulfilled":
        seen.add("fulfilled_late" if row.late else "fulfilled")
    return frozenset(seen)


def _matched(
    rows: dict[str, obligation_view.ObligationRow], scenario: script.Scenario
) -> dict[obligation_view.ObligationRow, script.Expected]:
    """Each expected obligation with the emitted one for the same person, kind and instants."""
    by_shape = {
        (
            e.kind,
            person_key(script.national_id(e.person, e.origin), SECRET),
            e.responsible,
            e.counterpart,
            e.opened_at,
            e.due_at,
        ): e
        for e in scenario.expected
    }
    matched = {}
    for row in rows.values():
        shape = (
            row.kind,
            row.person_key,
            row.responsible,
            row.counterpart,
            row.opened_at,
            row.due_at,
        )
        if shape in by_shape:
            matched[row] = by_shape[shape]
    return matched


def digest(events: list[Envelope]) -> str:
    unique = {str(e.event_id): codec.encode(e) for e in events}
    return hashlib.sha256(b"\n".join(unique[k] for k in sorted(unique))).hexdigest()


@pytest.fixture(scope="module")
def make_pipeline(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    made: list[Pipeline] = []

    def make(name: str) -> Pipeline:
        home = tmp_path_factory.mktemp(name)
        p = Pipeline(kafka_bootstrap, f"o{uuid.uuid4().hex[:8]}", home, PARTITIONS)
        made.append(p)
        return p

    yield make
    for p in made:
        p.stop_workers()


@pytest.fixture(scope="module")
async def clean_run(make_pipeline: Any) -> tuple[Pipeline, list[Envelope]]:
    """The scenario once, uninterrupted: what every faulty run must end up equal to."""
    pipeline = make_pipeline("clean")
    return pipeline, await run_scenario(pipeline)


async def test_scenario_matches_the_rules_table(
    make_pipeline: Any, clean_run: tuple[Pipeline, list[Envelope]]
) -> None:
    scenario = script.build()
    clean, events = clean_run
    rows = obligation_view.fold(events)

    # Exactly the expected obligations: none missing, none extra, each with its lifecycle.
    matched = _matched(rows, scenario)
    assert len(rows) == len(scenario.expected), (
        f"{len(rows)} obligations, expected {len(scenario.expected)}"
    )
    assert len(matched) == len(scenario.expected)
    for row, expected in matched.items():
        assert _transitions(row) == expected.transitions(), (expected, row)
        assert row.kind == expected.kind
    urgent = {r.obligation_id for r in rows.values() if _opened(events, r.obligation_id).urgent}
    assert urgent == {r.obligation_id for r, e in matched.items() if e.urgent}

    # Agreement coverage: the newest figure of each partition, summed, for the region.
    coverage = _coverage(events)
    # Every flow of the script happens in March 2026 (days 1-20).
    total = (len(scenario.flows), sum(1 for _, _, covered in scenario.flows if covered))
    assert coverage[("2026-03", "region")] == total
    for county in script.COUNTIES:
        mine = [f for f in scenario.flows if county in f[:2]]
        assert coverage[("2026-03", county)] == (len(mine), sum(1 for f in mine if f[2]))

    # agreement_missing: once per uncovered pair and month (partitions may repeat an alert id).
    alerts = {e.alert_id for e in events if isinstance(e, AlertRaised)}
    uncovered = {(o, d) for o, d, covered in scenario.flows if not covered}
    assert alerts == {f"agreement_missing:{o}-{d}:2026-03" for o, d in uncovered}

    # What an operator lists with `liudong obligations` is what the agents emitted: every
    # obligation ever escalated (answered since or not), in the vocabulary's words.
    listed = _list_obligations(clean, county="440306", state="escalated")
    want = {
        r.obligation_id
        for r in rows.values()
        if r.escalated and "440306" in (r.responsible, r.counterpart)
    }
    assert want
    assert {o["obligation_id"] for o in listed["obligations"]} == want
    assert listed["counts"]["escalated"] == len(want)
    assert all(o["escalated_at"] for o in listed["obligations"])

    # The same scenario again from scratch: identical derived events.
    again = await run_scenario(make_pipeline("again"))
    assert digest(again) == digest(events)

    figures = Counter(e.transitions() for e in scenario.expected)
    print(
        f"\nscenario: {len(scenario.expected)} obligations, {len(events)} derived events, "
        f"digest {digest(events)[:16]}, state {state_digest(events)[:16]}; lifecycles: "
        + ", ".join(f"{'+'.join(sorted(k))}={v}" for k, v in sorted(figures.items(), key=str))
    )


CRASHES = 3  # SIGKILLs per faulty run, at random points


@pytest.mark.timeout(600)
async def test_scenario_survives_worker_crashes_at_random_points(
    make_pipeline: Any, clean_run: tuple[Pipeline, list[Envelope]]
) -> None:
    """The worker SIGKILLed at random points and restarted: the uninterrupted run's state."""
    scenario = script.build()
    seed = random.randrange(1_000_000)
    # At least 30 events apart, so that each restarted worker has input to show progress on.
    slots = random.Random(seed).sample(range((len(scenario.events) - 100) // 30), CRASHES)
    points = tuple(sorted(50 + 30 * slot for slot in slots))
    pipeline = make_pipeline("crashed")
    print(f"\nprefix {pipeline.prefix}: SIGKILL after events {points} (seed {seed})")
    crashed = await run_scenario(pipeline, crash_at=points)
    await _assert_same_final_state(pipeline, crashed, clean_run[1], scenario)
    print(f"worker SIGKILLed {CRASHES} times: final state as uninterrupted")


@pytest.mark.timeout(600)
async def test_a_second_worker_takes_over_when_one_is_killed(
    make_pipeline: Any, clean_run: tuple[Pipeline, list[Envelope]]
) -> None:
    """Two workers, one SIGKILLed for good midway: the survivor finishes its partitions."""
    scenario = script.build()
    pipeline = make_pipeline("takeover")
    crashed = await run_scenario(
        pipeline, crash_at=(len(scenario.events) // 2,), workers=2, kill_for_good=True
    )
    await _assert_same_final_state(pipeline, crashed, clean_run[1], scenario)


async def _assert_same_final_state(
    pipeline: Pipeline, events: list[Envelope], clean: list[Envelope], scenario: script.Scenario
) -> None:
    dead = await read_all(
        pipeline.bootstrap, f"{pipeline.prefix}.dead-letters", unions.DeadLetterEvent
    )
    assert not dead, [(d.reason_code, d.reason) for d in dead[:3]]
    rows = obligation_view.fold(events)
    matched = _matched(rows, scenario)
    missing = len(scenario.expected) - len(matched)
    assert missing == 0, f"{missing} of {len(scenario.expected)} obligations missing"
    assert len(rows) == len(scenario.expected)
    for row, expected in matched.items():
        assert _transitions(row) == expected.transitions(), (expected, row)
    assert state_digest(events) == state_digest(clean)


def _list_obligations(pipeline: Pipeline, *, county: str, state: str) -> dict[str, Any]:
    env = dict(
        os.environ,
        LIUDONG_KAFKA_BOOTSTRAP=pipeline.bootstrap,
        LIUDONG_TOPIC_PREFIX=pipeline.prefix,
        LIUDONG_HOME=str(pipeline.home),
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "entrypoints.cli",
            "obligations",
            "--county",
            county,
            "--state",
            state,
            "--format",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    listed: dict[str, Any] = json.loads(done.stdout)
    return listed


def state_digest(events: list[Envelope]) -> str:
    """The final state: obligations with their lifecycles, coverage totals, alerts raised."""
    rows = sorted(
        (
            r.obligation_id,
            r.kind,
            r.person_key,
            r.responsible,
            r.counterpart,
            r.opened_at.isoformat(),
            r.due_at.isoformat(),
            r.state,
            r.reminded,
            r.breached,
            r.escalated,
            r.late,
            tuple(sorted(r.causes)),
        )
        for r in obligation_view.fold(events).values()
    )
    coverage = sorted(_coverage(events).items())
    alerts = sorted({e.alert_id for e in events if isinstance(e, AlertRaised)})
    return hashlib.sha256(repr((rows, coverage, alerts)).encode()).hexdigest()


def _opened(events: list[Envelope], obligation_id: str) -> Any:
    return next(
        e
        for e in events
        if getattr(e, "obligation_id", None) == obligation_id
        and e.event_type == "obligation_opened"
    )


def _coverage(events: list[Envelope]) -> dict[tuple[str, str], tuple[int, int]]:
    newest: dict[tuple[str, int], AgreementCoveragePublished] = {}
    for e in events:
        if isinstance(e, AgreementCoveragePublished):
            key = (e.period, e.partition)
            if key not in newest or e.occurred_at >= newest[key].occurred_at:
                newest[key] = e
    totals: dict[tuple[str, str], tuple[int, int]] = defaultdict(lambda: (0, 0))
    for (period, _), e in newest.items():
        for f in e.figures:
            flows, covered = totals[(period, f.scope)]
            totals[(period, f.scope)] = (flows + f.flows, covered + f.covered)
    return dict(totals)
