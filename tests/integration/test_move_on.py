"""The move-on rule through the real pipeline: signed county nodes, the gate, a real worker.

A county system publishes: A's outflow to B; B's inflow from A; B moves the person on to C;
C registers the inflow from B. C's ``case_takeover`` must be fulfilled on time by that
inflow, nothing must be opened on B (its move was the notice), and the move, a flow with no
agreement in force, must raise the (B, C) ``agreement_missing`` alert and count for agreement
coverage as B's outflow and C's inflow. ``scorecard explain --indicator agreement_coverage``
then names the uncovered pair and the person.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import unions
from contracts.envelope import Envelope
from contracts.events.clock import ClockTicked
from contracts.events.derived import (
    AgreementCoveragePublished,
    AlertRaised,
    ObligationBreached,
    ObligationFulfilled,
    ObligationOpened,
)
from contracts.events.migration import InflowRegistered, MovedOn, OutflowRegistered
from contracts.events.registry import CountyRegistered
from contracts.identity import check_char
from streams.admin import ensure_topics
from streams.signing import public_key_b64
from streams.topic_reader import read_all
from tests.integration.pipeline import REGION, Pipeline

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

A, B, C = "610902", "440306", "610113"  # 汉滨区 -> 宝安区 -> 雁塔区
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
DAYS = 40  # past the takeover's 30 days: a breach would have shown
FIRST17 = "61090219900101123"
NATIONAL_ID = FIRST17 + check_char(FIRST17)


async def _derived(pipeline: Pipeline) -> list[Envelope]:
    obligations = await read_all(
        pipeline.bootstrap, f"{pipeline.prefix}.obligations", unions.ObligationEvent
    )
    alerts = await read_all(pipeline.bootstrap, f"{pipeline.prefix}.alerts", unions.AlertEvent)
    return [*obligations, *alerts]


@pytest.fixture(scope="module")
async def moved(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("move-on")
    pipeline = Pipeline(kafka_bootstrap, f"m{uuid.uuid4().hex[:8]}", home, partitions=2)
    await ensure_topics(kafka_bootstrap, prefix=pipeline.prefix, partitions=2, replication_factor=1)
    keys = {code: Ed25519PrivateKey.generate() for code in (A, B, C)}
    region = pipeline.node(REGION, pipeline.region_key, f"{REGION}/region")
    nodes = {code: pipeline.node(code, key) for code, key in keys.items()}
    steps: dict[int, list[tuple[str, type[Any], dict[str, Any]]]] = {
        0: [(A, OutflowRegistered, {"origin_county": A, "destination_county": B})],
        1: [(B, InflowRegistered, {"origin_county": A, "destination_county": B})],
        5: [(B, MovedOn, {"from_county": B, "to_county": C})],
        8: [(C, InflowRegistered, {"origin_county": B, "destination_county": C})],
    }
    published: dict[str, Envelope] = {}
    for node in (*nodes.values(), region):
        await node.start()
    try:
        await region.publish_many(
            region.build(
                CountyRegistered,
                occurred_at=T0 - DAY,
                county=code,
                name=code,
                public_key=public_key_b64(key),
            )
            for code, key in keys.items()
        )
        pipeline.start_worker()
        for day in range(DAYS + 1):
            at = T0 + day * DAY
            await region.publish(region.build(ClockTicked, occurred_at=at))
            for county, cls, fields in steps.get(day, []):
                node = nodes[county]
                event = node.build(
                    cls,
                    occurred_at=at + dt.timedelta(hours=10),
                    person_key=node.person_key(NATIONAL_ID),
                    **fields,
                )
                await node.publish(event)
                published[cls.__name__ if cls is not InflowRegistered else f"inflow@{county}"] = (
                    event
                )
        events = await _settle(pipeline)
    finally:
        for node in (*nodes.values(), region):
            await node.stop()
    yield pipeline, published, events
    pipeline.stop_worker()


async def _settle(pipeline: Pipeline) -> list[Envelope]:
    """The derived events once the last tick's coverage figures are out and nothing moves."""
    deadline = time.monotonic() + 180
    last = -1
    while time.monotonic() < deadline:
        events = await _derived(pipeline)
        ticks = {e.occurred_at for e in events if isinstance(e, AgreementCoveragePublished)}
        if len(events) == last and ticks:
            return events
        last = len(events)
        await asyncio.sleep(2)
    raise AssertionError("the worker did not settle")


async def test_cs_inflow_fulfils_its_takeover_and_nothing_opens_on_b(moved: Any) -> None:
    _, published, events = moved
    opened = [e for e in events if isinstance(e, ObligationOpened)]
    assert [(o.kind, o.responsible_county, o.counterpart_county) for o in opened] == [
        ("arrival_registration", B, A),
        ("case_takeover", C, B),
    ]
    takeover = opened[1]
    assert takeover.causation_id == published["MovedOn"].event_id
    fulfilled = {e.obligation_id: e for e in events if isinstance(e, ObligationFulfilled)}
    assert set(fulfilled) == {o.obligation_id for o in opened}
    done = fulfilled[takeover.obligation_id]
    assert (done.late, done.causation_id) == (False, published[f"inflow@{C}"].event_id)
    assert done.fulfilled_by_publisher == f"{C}/node"
    assert not [e for e in events if isinstance(e, ObligationBreached)]


async def test_the_move_raises_the_missing_agreement_alert_and_counts_as_a_flow(
    moved: Any,
) -> None:
    _, published, events = moved
    alerts = {e.alert_id: e for e in events if isinstance(e, AlertRaised)}
    move = alerts[f"agreement_missing:{B}-{C}:2026-03"]
    assert move.causation_id == published["MovedOn"].event_id
    assert move.counties == (B, C)
    assert set(alerts) == {
        f"agreement_missing:{A}-{B}:2026-03",
        f"agreement_missing:{B}-{C}:2026-03",
    }
    newest: dict[int, AgreementCoveragePublished] = {}
    for e in events:
        if not isinstance(e, AgreementCoveragePublished) or e.period != "2026-03":
            continue
        if e.partition not in newest or e.occurred_at >= newest[e.partition].occurred_at:
            newest[e.partition] = e
    # Each partition's newest figures, summed (the person's are all on one partition).
    fields = ("flows", "covered", "outflows", "inflows", "inflows_covered")
    figures: dict[str, dict[str, int]] = {}
    for e in newest.values():
        for f in e.figures:
            mine = figures.setdefault(f.scope, dict.fromkeys(fields, 0))
            for name in fields:
                mine[name] += getattr(f, name) or 0
    # Two flows: A -> B (the outflow, which B's inflow matched) and the move B -> C (which
    # C's inflow matched); both uncovered.
    assert (figures["region"]["flows"], figures["region"]["covered"]) == (2, 0)
    assert (figures[B]["outflows"], figures[B]["inflows"]) == (1, 1)
    assert (figures[C]["outflows"], figures[C]["inflows"], figures[C]["inflows_covered"]) == (
        0,
        1,
        0,
    )


def test_explain_names_the_uncovered_move_and_its_person(
    moved: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline, published, _ = moved
    monkeypatch.setenv("LIUDONG_KAFKA_BOOTSTRAP", pipeline.bootstrap)
    monkeypatch.setenv("LIUDONG_TOPIC_PREFIX", pipeline.prefix)
    monkeypatch.setenv("LIUDONG_HOME", str(Path(pipeline.home)))
    monkeypatch.setenv("LIUDONG_REGION_CODE", REGION)
    from entrypoints.cli import main

    person = published["MovedOn"].person_key
    argv = ["scorecard", "explain", "--county", B, "--period", "2026-03"]
    assert main([*argv, "--indicator", "agreement_coverage", "--side", "origin"]) == 0
    text = capsys.readouterr().out
    assert f"{B} 2026-03 origin agreement_coverage: 0 / 1" in text
    assert f"{B} 宝安区 -> {C} 雁塔区: 1 person(s) with no agreement in force" in text
    assert person in text
    assert main([*argv, "--indicator", "agreement_coverage", "--format", "json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert [d["side"] for d in docs] == ["origin", "destination"]
    assert docs[0]["flows"]["uncovered"] == [{"origin": B, "destination": C, "persons": [person]}]
    assert docs[1]["flows"]["uncovered"] == [{"origin": A, "destination": B, "persons": [person]}]


def test_edges_of_the_cli_are_one_line_and_exit_1(
    moved: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline, published, _ = moved
    monkeypatch.setenv("LIUDONG_KAFKA_BOOTSTRAP", pipeline.bootstrap)
    monkeypatch.setenv("LIUDONG_TOPIC_PREFIX", pipeline.prefix)
    monkeypatch.setenv("LIUDONG_HOME", str(Path(pipeline.home)))
    from entrypoints.cli import main

    def one_line_error(argv: list[str], expected: str) -> None:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: "), err
        assert expected in err, err
        assert len(err.splitlines()) == 1

    one_line_error(["obligations", "--county", "110101"], "party to no obligation in the log")
    one_line_error(["campaign", "status", "--id", "nope"], "no campaign 'nope' in the log")
    one_line_error(
        ["scorecard", "--period", "2026-04"],
        "no scorecards for 2026-04 yet: it closes at 2026-05-02 08:00 UTC+8 "
        "(the log's clock is at 2026-04-10 08:00 UTC+8)",
    )
    one_line_error(["scorecard", "--period", "2026-Q3"], "it begins after the log's clock")
    one_line_error(["scorecard", "--period", "2026-03"], "none was published, though it closed")

    # The obligations of C, in the vocabulary's words, Beijing time or UTC, full keys.
    assert main(["obligations", "--county", C]) == 0
    out = capsys.readouterr().out
    person = published["MovedOn"].person_key
    assert person in out
    assert "due (UTC+8)" in out
    assert "fulfilled_on_time" in out
    assert main(["obligations", "--county", C, "--format", "json", "--utc"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (takeover,) = doc["obligations"]
    assert takeover["status"] == "fulfilled_on_time"
    assert takeover["fulfilled_at"] == "2026-03-09T10:00:00+00:00"
    assert takeover["opened_at"] == "2026-03-06T10:00:00+00:00"
    assert doc["counts"]["fulfilled_on_time"] == 1
    assert doc["clock"] == "2026-04-10T00:00:00+00:00"
