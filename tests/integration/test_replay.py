"""Replay and audit on the real broker, a real worker process and a real PostgreSQL.

A smaller run of the scripted scenario (tests/integration/obligation_scenario.py, with fewer
persons and ticks) goes through the gate and the cases agent; the projector writes it to a
fresh database. Then: ``replay --verify`` finds every derived topic, the projection and (with
the assessment service run once) the scorecards equal to the replay's; one derived record
changed in a copy of the derived topics, or one corrupted projection row, makes it fail and
name that record; ``--verify --as-of`` proves the state at three instants, whose obligations
are the ones the rules table gives (computed here from the script, not from the agents'
code); one county's snapshot lists its obligations as the script says and is audited; two
replay processes find what one finds; the signed record checks out, is recomputed from the
log, and an edited one fails; ``audit person`` prints the timeline with causes and is itself
audited.
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
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from agents import assessment_config
from agents.assessment import AssessmentService
from audit.replay import cmd_replay, replay_and_verify, replay_log
from audit.replay.digest import ObligationRow, instant
from audit.replay.outcome import Outcome
from audit.replay.reader import end_offsets
from audit.replay.runner import Job, replay
from audit.replay.verify import Request, verify
from contracts.human_time import UTC
from contracts.identity import person_key
from entrypoints.audit_actions import cmd_audit_county, cmd_audit_log, cmd_audit_person
from infra.projection.projector import Projector
from infra.settings import Settings
from tests.integration import obligation_scenario as script
from tests.integration.databases import empty_database
from tests.integration.derived_copy import copy_derived
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
    keys = home / "keys"  # the region's key: it signs the audit record
    keys.mkdir()
    pem = pipeline.region_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    (keys / "region.pem").write_bytes(pem)
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
    summary = Outcome.of(replay).summary()
    assert summary.digest == result.live.digest
    assert len(result.live.rows) == len(live.scenario.expected)
    assert {row_shape(r) for r in replay.rows()} == {shape(e) for e in live.scenario.expected}
    assert summary.events == sum(result.live.validated.values())  # read exactly up to V
    assert summary.undecodable == 0
    assert summary.coverage["2026-03"] == (
        len(live.scenario.flows),
        sum(1 for *_, covered in live.scenario.flows if covered),
    )


def test_replay_command_verifies_every_derived_topic_and_reports_json(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cmd_replay(live.settings(), verify=True, fmt="json") == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    verify = report["verify"]
    assert verify["ok"] is True
    checks = verify["checks"]
    for name in ("obligations", "alerts"):
        assert checks[name]["status"] == "match", checks[name]
        assert checks[name]["replayed"] == checks[name]["live"]
        assert checks[name]["replayed_records"] == checks[name]["live_records"] > 0
    assert checks["projection"]["status"] == "match"
    assert checks["projection"]["live"] == report["digest"]
    assert verify["position"] == verify["log_end"]  # at rest: the whole log
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
        captured = capsys.readouterr()
        assert "verify: projection DIFFERENT (1 obligation(s)); first: " in captured.err
        assert f"obligation {victim}: state replayed='fulfilled' live='breached'" in captured.err
        assert "obligations      match" in captured.out  # the derived topics are untouched
    finally:
        asyncio.run(sql(live.dsn, update, victim, "fulfilled"))
    assert cmd_replay(live.settings(), verify=True) == 0


def test_a_changed_derived_record_is_found_and_named(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    """The derived topics copied under a throwaway prefix with one obligation's due instant
    changed: the verification names that record, where it is and what caused it."""
    position = asyncio.run(validated_end(live))
    copy = f"t{uuid.uuid4().hex[:8]}"
    tampered = asyncio.run(copy_derived(live.bootstrap, live.prefix, copy, PARTITIONS, position))
    assert cmd_replay(live.settings(), verify=True, derived_prefix=copy, wait_s=0) == 1
    err = capsys.readouterr().err
    assert (
        f"verify: obligations DIFFERENT; first: obligations: obligation_opened {tampered.event_id}"
        in err
    )
    assert (
        f"at {tampered.where} differs from the replay (due_at); caused by {tampered.cause} (" in err
    )
    assert "alerts DIFFERENT" not in err


async def validated_end(live: Live) -> dict[int, int]:
    ends = await end_offsets(live.bootstrap, f"{live.prefix}.validated")
    return {tp.partition: n for tp, n in ends.items()}


def test_two_replay_processes_find_what_one_finds(live: Live) -> None:
    position = asyncio.run(validated_end(live))
    job = Job(
        live.bootstrap,
        live.prefix,
        REGION,
        position,
        tuple(sorted(position)),
        digests=True,
        config=assessment_config.load(),
    )
    one, two = replay(job, 1), replay(job, 2)
    assert two.summary() == one.summary()
    assert two.digests == one.digests
    assert two.scorecards(job.config or assessment_config.load()) == one.scorecards(
        job.config or assessment_config.load()
    )
    assert one.summary().obligations == len(live.scenario.expected)


async def test_the_scorecards_replay_digest_equals_the_live_scorecards_topic(live: Live) -> None:
    """The assessment service folds the live topics once and publishes; the replay's
    scorecards (the same fold of what the replay derived) are the same."""
    config = assessment_config.load()
    service = AssessmentService(live.bootstrap, live.prefix, region=REGION, config=config)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    try:
        await asyncio.wait_for(service.caught_up.wait(), 60)
    finally:
        stop.set()
        await task
    assert service.sent > 0
    request = Request(live.bootstrap, live.prefix, REGION, config, wait_s=5)
    result = await asyncio.to_thread(verify, request)
    check = result.scorecard_check
    assert check.status == "match", check
    assert check.replayed == check.live
    assert check.cards == service.sent
    cards = {(c.county, c.period) for c in result.cards}
    assert {period for _, period in cards} == {"2026-03", "2026-Q1"}  # obligations opened in March


def test_the_signed_record_checks_out_and_is_recomputed_from_the_log(
    live: Live, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "audit.json"
    assert cmd_replay(live.settings(), verify=True, report=path) == 0
    assert f"signed record written to {path}" in capsys.readouterr().err
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["ok"] is True
    assert record["code_version"].startswith("git ")
    assert record["signed_by"] == f"{REGION}/region"
    assert record["topics"]["obligations"]["status"] == "match"
    assert cmd_replay(live.settings(), check_report=path, recompute=True) == 0
    out = capsys.readouterr().out
    assert "signature valid" in out
    assert "recomputed: the log gives the record's digests" in out

    record["topics"]["alerts"]["replayed"] = "0" * 64
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(record), encoding="utf-8")
    assert cmd_replay(live.settings(), check_report=edited) == 1
    assert "the record was changed after signing" in capsys.readouterr().err


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
    assert Outcome.of(replay).summary().cut == tuple(range(PARTITIONS))


@pytest.mark.parametrize("at", AS_OF, ids=["day10", "day35", "day62"])
def test_verify_as_of_proves_the_state_at_the_instant(
    live: Live, at: dt.datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cmd_replay(live.settings(), verify=True, as_of=at, fmt="json") == 0
    report = json.loads(capsys.readouterr().out)
    verify = report["verify"]
    assert verify["ok"] is True
    for name in ("obligations", "alerts"):
        check = verify["checks"][name]
        assert check["status"] == "match", check
    # Derived from what came after the instant: in the live topic, left out.
    assert verify["checks"]["obligations"]["live_records_past_position"] > 0
    assert verify["checks"]["projection"]["status"] == "not compared"
    assert all(verify["position"][p] < verify["log_end"][p] for p in verify["position"])
    assert report["obligations"] == sum(1 for e in live.scenario.expected if e.opened_at <= at)


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

    assert cmd_audit_person(live.settings(), raw_id) == 0
    out = capsys.readouterr().out
    assert key in out
    assert raw_id not in out
    for name in ("outflow_registered", "inquiry_sent", "service_recorded", "obligation_opened"):
        assert name in out
    assert "caused by outflow_registered" in out
    assert "caused by clock_ticked" in out  # a tick's decision (reminder or breach)

    assert cmd_audit_person(live.settings(), key, as_of=AS_OF[0], fmt="json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["timeline"]
    assert all(dt.datetime.fromisoformat(e["occurred_at"]) <= AS_OF[0] for e in report["timeline"])
    derived = [e for e in report["timeline"] if e["derived"]]
    assert all(e["causation_chain"] for e in derived)

    assert cmd_audit_county(live.settings(), script.DESTINATIONS[0], period="2026-Q1") == 0
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

    assert cmd_audit_log(live.settings(), limit=10) == 0
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
    assert cmd_audit_person(live.settings(), "110105194912310021") == 2  # bad check digit
    assert "neither a person key" in capsys.readouterr().err
    assert cmd_audit_person(live.settings(), "abc") == 2  # too short for a prefix
    assert "at least 8 hex characters" in capsys.readouterr().err
    assert cmd_audit_county(live.settings(), "440306", period="2026-13") == 2
    assert asyncio.run(sql(live.dsn, count))[0]["n"] == before  # refused: nothing read or logged


# --- keys for people and honest answers at the edges --------------------------------------------


def test_a_unique_key_prefix_finds_the_person_and_an_ambiguous_one_lists_the_keys(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    key = person_key(script.national_id(0, script.ORIGINS[0]), SECRET)
    assert cmd_audit_person(live.settings(), key[:8]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"person {key}")  # the full key, to copy
    assert "(UTC+8)" in out  # Beijing time, the zone named
    assert cmd_audit_person(live.settings(), key[:8].upper(), fmt="json", zone=UTC) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["person_key"] == key
    assert report["timeline"][0]["occurred_at"].endswith("+00:00")

    twins = ["abcdef01" + "0" * 56, "abcdef01" + "1" * 56]
    insert = "INSERT INTO persons (person_key, first_seen, last_seen) VALUES ($1, $2, $2)"
    for twin in twins:
        asyncio.run(sql(live.dsn, insert, twin, script.T0))
    try:
        assert cmd_audit_person(live.settings(), "abcdef01") == 1
        err = capsys.readouterr().err.strip()
        assert (
            err == f"error: abcdef01 is ambiguous: it starts 2 person keys: {twins[0]}, {twins[1]}"
        )
    finally:
        asyncio.run(sql(live.dsn, "DELETE FROM persons WHERE person_key = ANY($1)", twins))


def test_an_unknown_person_or_an_instant_before_them_is_an_error(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cmd_audit_person(live.settings(), "0" * 64) == 1
    assert capsys.readouterr().err.strip() == f"error: no person with key {'0' * 64} in the log"
    assert cmd_audit_person(live.settings(), "00000000") == 1
    assert "no person in the log has a key starting 00000000" in capsys.readouterr().err
    key = person_key(script.national_id(0, script.ORIGINS[0]), SECRET)
    before = script.T0 - 30 * DAY
    assert cmd_audit_person(live.settings(), key, as_of=before) == 1
    err = capsys.readouterr().err
    assert "has no events by 2026-01-30 08:00 UTC+8: the first is at" in err
    assert cmd_audit_person(live.settings(), key, as_of=FAR - DAY) == 0
    assert "is after the log's last event" in capsys.readouterr().err


def test_audit_county_beyond_the_log_or_unknown_is_an_error(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    county = script.DESTINATIONS[0]
    assert cmd_audit_county(live.settings(), county, period="2027") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: period 2027 begins after the log's clock (")
    assert cmd_audit_county(live.settings(), "110101", period="2026-Q1") == 1
    assert "county 110101 is party to no obligation in the log" in capsys.readouterr().err
    assert cmd_audit_county(live.settings(), county, period="2026-05") == 0
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


# --- one county's snapshot (its reads land in the audit log after the audit tests') -------


def test_a_countys_snapshot_as_of_an_instant_is_the_rules_tables_and_is_audited(
    live: Live, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIUDONG_OPERATOR", "auditor-9")
    county, at = script.DESTINATIONS[0], AS_OF[1]
    assert cmd_replay(live.settings(), county=county, as_of=at, fmt="json") == 0
    doc = json.loads(capsys.readouterr().out)
    mine = [
        e
        for e in live.scenario.expected
        if e.opened_at <= at and county in (e.responsible, e.counterpart)
    ]
    assert len(doc["obligations"]) == len(mine) > 0
    shown = {
        (o["kind"], o["person_key"], o["responsible"], o["counterpart"]): o
        for o in doc["obligations"]
    }
    for e in mine:
        key = person_key(script.national_id(e.person, e.origin), SECRET)
        o = shown[(e.kind, key, e.responsible, e.counterpart)]
        state, reminded, breached, escalated, late = expected_at(e, at)
        assert (o["state"], o["reminded"], o["breached"], o["escalated"], o["late"]) == (
            state,
            reminded,
            breached,
            escalated,
            late,
        )
        assert o["due_at"].endswith("+08:00")
    assert doc["as_of"] == at.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()
    assert doc["cases"]
    assert cmd_replay(live.settings(), county=county, as_of=at) == 0
    table = capsys.readouterr().out
    assert table.startswith(f"县 county {county} ")
    assert "义务 obligations" in table
    log = asyncio.run(sql(live.dsn, "SELECT * FROM audit_log WHERE operator = 'auditor-9'"))
    assert [(r["command"], r["subject"], r["as_of"]) for r in log] == [
        ("replay county", county, at),
        ("replay county", county, at),
    ]
    assert log[0]["rows_returned"] == len(doc["cases"]) + len(mine) + len(doc["scorecards"])
