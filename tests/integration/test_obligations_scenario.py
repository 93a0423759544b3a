"""The agreements engine on the real broker, against the rules table computed in the test.

One run publishes the scripted scenario uninterrupted and must derive exactly what the rules
table says (tests/integration/obligation_scenario.py); a second from scratch must derive
byte-identical events. A third kills the worker with SIGKILL midway and restarts it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import unions
from contracts.envelope import Envelope
from contracts.events.derived import AgreementCoveragePublished, AlertRaised
from contracts.events.registry import CountyRegistered
from streams import codec, obligation_view
from streams.admin import ensure_topics
from streams.identity import person_key
from streams.signing import public_key_b64
from streams.topic_reader import read_all
from tests.integration import obligation_scenario as script
from tests.integration.pipeline import REGION, SECRET, Pipeline

pytestmark = pytest.mark.integration

PARTITIONS = 3


async def run_scenario(pipeline: Pipeline, *, crash_after: int | None = None) -> list[Envelope]:
    """Publish the scenario through signed county nodes; optionally SIGKILL the worker midway."""
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
        pipeline.start_worker()
        for n, (county, cls, at, fields) in enumerate(scenario.ordered()):
            node = nodes[county]
            if "national_id" in fields:
                fields = dict(fields)
                fields["person_key"] = node.person_key(fields.pop("national_id"))
            await node.publish(node.build(cls, occurred_at=at, event_id=_event_id(n), **fields))
            if crash_after is not None and n == crash_after:
                await _wait_for_obligations(pipeline, minimum=50)
                pipeline.kill_worker()
                pipeline.start_worker()
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


async def _wait_for_obligations(pipeline: Pipeline, minimum: int) -> None:
    deadline = time.monotonic() + 180  # a loaded 2-core machine starts a worker slowly
    while time.monotonic() < deadline:
        if len(await _derived(pipeline)) >= minimum:
            return
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
    if row.state in ("fulfilled", "late"):
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


@pytest.fixture
def make_pipeline(kafka_bootstrap: str, tmp_path: Path) -> Any:
    made: list[Pipeline] = []

    def make(name: str) -> Pipeline:
        home = tmp_path / name
        home.mkdir()
        p = Pipeline(kafka_bootstrap, f"o{uuid.uuid4().hex[:8]}", home, PARTITIONS)
        made.append(p)
        return p

    yield make
    for p in made:
        p.stop_worker()


async def test_scenario_matches_the_rules_table(make_pipeline: Any) -> None:
    scenario = script.build()
    clean = make_pipeline("clean")
    events = await run_scenario(clean)
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

    # What an operator lists with `liudong obligations` is what the agents emitted.
    listed = _list_obligations(clean, county="440306", state="escalated")
    want = {
        r.obligation_id
        for r in rows.values()
        if r.state == "escalated" and "440306" in (r.responsible, r.counterpart)
    }
    assert want
    assert {o["obligation_id"] for o in listed} == want

    # The same scenario again from scratch: identical derived events.
    again = await run_scenario(make_pipeline("again"))
    assert digest(again) == digest(events)

    figures = Counter(e.transitions() for e in scenario.expected)
    print(
        f"\nscenario: {len(scenario.expected)} obligations, {len(events)} derived events, "
        f"digest {digest(events)[:16]}, state {state_digest(events)[:16]}; lifecycles: "
        + ", ".join(f"{'+'.join(sorted(k))}={v}" for k, v in sorted(figures.items(), key=str))
    )


@pytest.mark.timeout(600)
@pytest.mark.xfail(
    strict=False,
    reason="known bug (issue 3 stays open): in some runs, when the worker is SIGKILLed about "
    "2 s after it started, the obligations of ~20 events processed around the kill are lost; "
    "the cause is not found yet",
)
async def test_scenario_survives_a_worker_crash(make_pipeline: Any) -> None:
    """The worker SIGKILLed midway and restarted: still exactly what the rules table says."""
    scenario = script.build()
    crashed_pipeline = make_pipeline("crashed")
    crashed = await run_scenario(crashed_pipeline, crash_after=len(scenario.events) // 2)
    dead = await read_all(
        crashed_pipeline.bootstrap,
        f"{crashed_pipeline.prefix}.dead-letters",
        unions.DeadLetterEvent,
    )
    assert not dead, [(d.reason_code, d.reason) for d in dead[:3]]
    rows = obligation_view.fold(crashed)
    matched = _matched(rows, scenario)
    missing = len(scenario.expected) - len(matched)
    assert missing == 0, (
        f"{missing} of {len(scenario.expected)} obligations missing after the crash"
    )
    assert len(rows) == len(scenario.expected)
    for row, expected in matched.items():
        assert _transitions(row) == expected.transitions(), (expected, row)


def _list_obligations(pipeline: Pipeline, *, county: str, state: str) -> list[dict[str, Any]]:
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
            "streams.cli",
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
    listed: list[dict[str, Any]] = json.loads(done.stdout)
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
