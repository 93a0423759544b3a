"""Replay and audit on the real broker, a real worker process and a real PostgreSQL.

A smaller run of the scripted scenario (tests/integration/obligation_scenario.py, with fewer
persons and ticks) goes through the gate and the cases agent; the projector writes it to a
fresh database. Then: ``replay --verify`` finds the replayed digest equal to the live one;
a corrupted obligations row makes it fail and name that obligation; replays as of three
instants give the states the rules table says (computed here from the script, not from the
agents' code); ``audit person`` prints the timeline with causes and is itself audited.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from infra.projection.projector import Projector
from infra.settings import Settings
from streams import audit
from streams.human_time import UTC
from streams.identity import person_key
from streams.replay import cmd_replay, replay_and_verify, replay_log
from streams.replay.digest import ObligationRow, instant
from tests.integration import obligation_scenario as script
from tests.integration.databases import empty_database
from tests.integration.pipeline import REGION, SECRET, Pipeline
from tests.integration.test_obligations_scenario import run_scenario

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PARTITIONS = 3
PERSONS = 40
TICK_DAYS = 75  # past the latest scripted answer (a later one is refused as clock skew)
DAY = dt.timedelta(days=1)
AS_OF = (
    script.T0 + 10 * DAY + dt.timedelta(hours=12),  # opened and reminded
    script.T0 + 35 * DAY + dt.timedelta(hours=12),  # breaches, late answers
    script.T0 + 62 * DAY + dt.timedelta(hours=12),  # escalations, very late answers
)
FAR = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Live:
    bootstrap: str
    prefix: str
    dsn: str
    scenario: script.Scenario
    home: Path

    def settings(self) -> Settings:
        return Settings(
            home=self.home,
            kafka_bootstrap=self.bootstrap,
            pg_dsn=self.dsn,
            topic_prefix=self.prefix,
            region_code=REGION,
            person_key_secret=SECRET.decode(),
            log_format="console",
        )


@pytest.fixture(scope="module")
async def live(
    kafka_bootstrap: str, pg_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Live]:
    """The small scenario through a real worker, projected into a fresh database."""
    home = tmp_path_factory.mktemp("replay")
    pipeline = Pipeline(kafka_bootstrap, f"r{uuid.uuid4().hex[:8]}", home, PARTITIONS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(script, "PERSONS", PERSONS)
        patch.setattr(script, "TICK_DAYS", TICK_DAYS)
        try:
            await run_scenario(pipeline)
            scenario = script.build()
            async with empty_database(pg_dsn, "replay") as dsn:
                await Projector(dsn, kafka_bootstrap, pipeline.prefix).catch_up(30)
                yield Live(kafka_bootstrap, pipeline.prefix, dsn, scenario, home)
        finally:
            pipeline.stop_worker()


async def sql(dsn: str, query: str, *args: Any) -> list[Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


def shape(e: script.Expected) -> tuple[Any, ...]:
    key = person_key(script.national_id(e.person, e.origin), SECRET)
    return (e.kind, key, e.responsible, e.counterpart, instant(e.opened_at), instant(e.due_at))


def row_shape(r: ObligationRow) -> tuple[Any, ...]:
    return (r.kind, r.person_key, r.responsible, r.counterpart, r.opened_at, r.due_at)


def expected_at(e: script.Expected, at: dt.datetime) -> tuple[str, bool, bool, bool, bool]:
    """(state, reminded, breached, escalated, late) the rules table gives at ``at``."""
    ticks = [script.T0 + d * DAY for d in range(TICK_DAYS + 1) if script.T0 + d * DAY <= at]
    answered_at = e.answered_at
    answered = answered_at is not None and answered_at <= at
    until = answered_at if answered and answered_at is not None else FAR
    remind_at = e.opened_at + (e.due_at - e.opened_at) * script.REMIND_FRACTION
    escalate_at = e.due_at + dt.timedelta(days=script.ESCALATE_AFTER)
    reminded = any(remind_at <= t <= e.due_at and t < until for t in ticks)
    late = answered and until > e.due_at
    breached = late or any(e.due_at < t < until for t in ticks)
    escalated = any(escalate_at < t < until for t in ticks)
    state = (
        "fulfilled"
        if answered
        else "escalated"
        if escalated
        else "breached"
        if breached
        else "reminded"
        if reminded
        else "opened"
    )
    return state, reminded, breached, escalated, late


# --- replay --verify ------------------------------------------------------------------------------


async def test_replay_digest_equals_the_live_projection(live: Live) -> None:
    replay, result = await replay_and_verify(
        live.bootstrap, live.prefix, live.dsn, region=REGION, wait_s=30
    )
    assert result.ok, result.difference.describe() if result.difference else ""
    summary = replay.summary()
    assert summary.digest == result.live.digest
    assert len(result.live.rows) == len(live.scenario.expected)
    assert {row_shape(r) for r in replay.rows()} == {shape(e) for e in live.scenario.expected}
    assert summary.events == sum(result.live.validated.values())  # read exactly up to V
    assert summary.undecodable == 0
    assert summary.coverage["2026-03"] == (
        len(live.scenario.flows),
        sum(1 for *_, covered in live.scenario.flows if covered),
    )


def test_replay_command_verifies_and_reports_json(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cmd_replay(live.settings(), verify=True, fmt="json") == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["verify"]["ok"] is True
    assert report["verify"]["live_digest"] == report["digest"]
    assert report["obligations"] == len(live.scenario.expected)
    counts = report["counts"]
    # The vocabulary's exclusive counts add up to every obligation.
    assert counts["open"] + counts["fulfilled_on_time"] + counts["fulfilled_late"] + counts[
        "cancelled"
    ] == len(live.scenario.expected)
    answered_late = sum(1 for e in live.scenario.expected if e.answer in ("late", "very_late"))
    assert counts["fulfilled_late"] == answered_late
    assert counts["breached"] == sum(1 for e in live.scenario.expected if e.answer != "on_time")
    assert "messages/s" in captured.err  # the progress line
    print(f"\nreplay: {report['events']} events at {report['events_per_second']} events/s")


def test_a_corrupted_projection_row_fails_verify_and_is_named(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = asyncio.run(
        sql(live.dsn, "SELECT obligation_id FROM obligations WHERE state = 'fulfilled' LIMIT 1")
    )
    victim = rows[0]["obligation_id"]
    update = "UPDATE obligations SET state = $2 WHERE obligation_id = $1"
    asyncio.run(sql(live.dsn, update, victim, "breached"))
    try:
        assert cmd_replay(live.settings(), verify=True) == 1
        err = capsys.readouterr().err
        assert f"obligation {victim}: state replayed='fulfilled' live='breached'" in err
        assert "DIFFERENT (1 obligation(s))" in err
    finally:
        asyncio.run(sql(live.dsn, update, victim, "fulfilled"))
    assert cmd_replay(live.settings(), verify=True) == 0
    assert cmd_replay(live.settings(), verify=True, as_of=AS_OF[0]) == 2  # refused


# --- replay --as-of ---------------------------------------------------------------------------


@pytest.mark.parametrize("at", AS_OF, ids=["day10", "day35", "day62"])
async def test_replay_as_of_matches_the_rules_table(live: Live, at: dt.datetime) -> None:
    replay = await replay_log(live.bootstrap, live.prefix, region=REGION, as_of=at)
    rows = {row_shape(r): r for r in replay.rows()}
    expected = {shape(e): e for e in live.scenario.expected if e.opened_at <= at}
    assert set(rows) == set(expected)
    for key, e in expected.items():
        r = rows[key]
        got = (r.state, r.reminded, r.breached, r.escalated, r.late)
        assert got == expected_at(e, at), (e, r)
    states = {r.state for r in rows.values()}
    assert len(states) >= 2  # each instant sees obligations in several states
    assert replay.summary().cut == tuple(range(PARTITIONS))


# --- audit ------------------------------------------------------------------------------------


def test_audit_person_prints_the_timeline_with_causes_and_is_audited(
    live: Live, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIUDONG_OPERATOR", "auditor-7")
    raw_id = script.national_id(0, script.ORIGINS[0])  # person 0: outflow, inquiry, service
    key = person_key(raw_id, SECRET)
    archived = asyncio.run(
        sql(live.dsn, "SELECT count(*) AS n FROM events WHERE person_key = $1", key)
    )

    assert audit.cmd_audit_person(live.settings(), raw_id) == 0
    out = capsys.readouterr().out
    assert key in out
    assert raw_id not in out
    for name in ("outflow_registered", "inquiry_sent", "service_recorded", "obligation_opened"):
        assert name in out
    assert "caused by outflow_registered" in out
    assert "caused by clock_ticked" in out  # a tick's decision (reminder or breach)

    assert audit.cmd_audit_person(live.settings(), key, as_of=AS_OF[0], fmt="json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["timeline"]
    assert all(dt.datetime.fromisoformat(e["occurred_at"]) <= AS_OF[0] for e in report["timeline"])
    derived = [e for e in report["timeline"] if e["derived"]]
    assert all(e["causation_chain"] for e in derived)

    assert audit.cmd_audit_county(live.settings(), script.DESTINATIONS[0], period="2026-Q1") == 0
    assert "arrival_registration" in capsys.readouterr().out

    log = asyncio.run(sql(live.dsn, "SELECT * FROM audit_log ORDER BY seq"))
    assert [(r["operator"], r["subject_kind"], r["subject"]) for r in log] == [
        ("auditor-7", "person", key),
        ("auditor-7", "person", key),
        ("auditor-7", "county", script.DESTINATIONS[0]),
    ]
    assert log[0]["rows_returned"] == archived[0]["n"]
    assert log[1]["as_of"] == AS_OF[0]
    assert log[1]["rows_returned"] == len(report["timeline"])
    assert log[2]["period"] == "2026-Q1"

    assert audit.cmd_audit_log(live.settings(), limit=10) == 0
    shown = capsys.readouterr().out.splitlines()
    assert len(shown) == 1 + 3
    assert all("auditor-7" in line for line in shown[1:])
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        asyncio.run(sql(live.dsn, "DELETE FROM audit_log"))


def test_audit_refuses_what_is_neither_a_key_nor_an_id(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    count = "SELECT count(*) AS n FROM audit_log"
    before = asyncio.run(sql(live.dsn, count))[0]["n"]
    assert audit.cmd_audit_person(live.settings(), "110105194912310021") == 2  # bad check digit
    assert "neither a person key" in capsys.readouterr().err
    assert audit.cmd_audit_person(live.settings(), "abc") == 2  # too short for a prefix
    assert "at least 8 hex characters" in capsys.readouterr().err
    assert audit.cmd_audit_county(live.settings(), "440306", period="2026-13") == 2
    assert asyncio.run(sql(live.dsn, count))[0]["n"] == before  # refused: nothing read or logged


# --- keys for people and honest answers at the edges --------------------------------------------


def test_a_unique_key_prefix_finds_the_person_and_an_ambiguous_one_lists_the_keys(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    key = person_key(script.national_id(0, script.ORIGINS[0]), SECRET)
    assert audit.cmd_audit_person(live.settings(), key[:8]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"person {key}")  # the full key, to copy
    assert "(UTC+8)" in out  # Beijing time, the zone named
    assert audit.cmd_audit_person(live.settings(), key[:8].upper(), fmt="json", zone=UTC) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["person_key"] == key
    assert report["timeline"][0]["occurred_at"].endswith("+00:00")

    twins = ["abcdef01" + "0" * 56, "abcdef01" + "1" * 56]
    insert = "INSERT INTO persons (person_key, first_seen, last_seen) VALUES ($1, $2, $2)"
    for twin in twins:
        asyncio.run(sql(live.dsn, insert, twin, script.T0))
    try:
        assert audit.cmd_audit_person(live.settings(), "abcdef01") == 1
        err = capsys.readouterr().err.strip()
        assert (
            err == f"error: abcdef01 is ambiguous: it starts 2 person keys: {twins[0]}, {twins[1]}"
        )
    finally:
        asyncio.run(sql(live.dsn, "DELETE FROM persons WHERE person_key = ANY($1)", twins))


def test_an_unknown_person_or_an_instant_before_them_is_an_error(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    assert audit.cmd_audit_person(live.settings(), "0" * 64) == 1
    assert capsys.readouterr().err.strip() == f"error: no person with key {'0' * 64} in the log"
    assert audit.cmd_audit_person(live.settings(), "00000000") == 1
    assert "no person in the log has a key starting 00000000" in capsys.readouterr().err
    key = person_key(script.national_id(0, script.ORIGINS[0]), SECRET)
    before = script.T0 - 30 * DAY
    assert audit.cmd_audit_person(live.settings(), key, as_of=before) == 1
    err = capsys.readouterr().err
    assert "has no events by 2026-01-30 08:00 UTC+8: the first is at" in err
    assert audit.cmd_audit_person(live.settings(), key, as_of=FAR - DAY) == 0
    assert "is after the log's last event" in capsys.readouterr().err


def test_audit_county_beyond_the_log_or_unknown_is_an_error(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    county = script.DESTINATIONS[0]
    assert audit.cmd_audit_county(live.settings(), county, period="2027") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: period 2027 begins after the log's clock (")
    assert audit.cmd_audit_county(live.settings(), "110101", period="2026-Q1") == 1
    assert "county 110101 is party to no obligation in the log" in capsys.readouterr().err
    assert audit.cmd_audit_county(live.settings(), county, period="2026-05") == 0
    captured = capsys.readouterr()
    assert "note: period 2026-05 is not over: the log's clock is at" in captured.err
    assert f"county {county}  period 2026-05" in captured.out


def test_replay_as_of_outside_the_log_says_so(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    far = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert cmd_replay(live.settings(), as_of=far) == 0
    captured = capsys.readouterr()
    assert "note: 2030-01-01 08:00 UTC+8 is after the log's last event (" in captured.err
    assert "this is the state at the log's end" in captured.err
    assert cmd_replay(live.settings(), as_of=script.T0 - 30 * DAY) == 1
    err = capsys.readouterr().err
    assert "error: the log has no event by 2026-01-30 08:00 UTC+8 (its first is at" in err
