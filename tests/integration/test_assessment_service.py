"""The assessment service on the real broker.

A small scripted scenario (tests/unit/agents/test_assessment_rules.py) is produced to fresh topics
as the cases agent would have derived it, up to early April 2026; the service starts, folds
it and publishes the scorecards of every closed period (January to March, Q1), whose
figures must equal the test's own computation from the script. A late February obligation
then revises exactly the February and Q1 scorecards of the two counties it concerns, with
the reason naming a late event. A second service on the same log and the same disk resumes
from the first one's snapshot, reads only the log's tail and publishes nothing new, its fold
the same as one from the beginning; ``liudong scorecard`` prints the league, ``explain`` the
lineage, and ``whatif`` the ranks under another weight file without publishing anything.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from agents import assessment_config as cfg
from agents import assessment_figures
from agents import assessment_rules as rules
from agents.assessment import AssessmentService
from contracts import unions
from contracts.envelope import Envelope
from contracts.events.cooperation import InquirySent
from contracts.events.derived import (
    AgreementCoveragePublished,
    ObligationReminded,
    ScorecardPublished,
)
from contracts.events.migration import ArrivalNotFound
from infra.settings import Settings
from streams import topics
from streams.admin import ensure_topics
from streams.codec import encode
from streams.topic_reader import read_all
from tests.unit.agents import test_assessment_rules as script

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

PARTITIONS = 2
NOW = dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC)  # event time: January to March (Q1) closed
CLOSED = ("2026-01", "2026-02", "2026-03", "2026-Q1")
LATE = script.Rec(
    5000,
    "inquiry_answer",
    "99" * 32,
    script.HANYIN,
    script.BAOAN,
    dt.datetime(2026, 2, 10, tzinfo=dt.UTC),
    "on_time",
    script.HANYIN,
    inquiry="certificate",
)
CONFIG = cfg.load()

Cards = dict[tuple[str, str], ScorecardPublished]


@dataclass(frozen=True)
class Live:
    bootstrap: str
    prefix: str
    recs: list[script.Rec]
    home: Path

    def settings(self) -> Settings:
        return Settings(
            home=self.home,
            kafka_bootstrap=self.bootstrap,
            topic_prefix=self.prefix,
            region_code=script.REGION,
            log_format="console",
        )


def before_now(recs: list[script.Rec]) -> list[script.Rec]:
    """The records whose whole story happened before NOW (the log as of NOW)."""
    return [r for r in recs if all(e.occurred_at < NOW for e in script.events_for(r))]


def base_events(recs: list[script.Rec]) -> list[Envelope]:
    events = script.log(recs)
    clock = script.derived(
        ObligationReminded,
        NOW,
        "clock",
        person_key="00" * 32,
        obligation_id="x:clock",
        responsible_county=script.HANBIN,
        due_at=NOW + 30 * script.DAY,
    )
    return [*events, clock]


async def produce(bootstrap: str, prefix: str, events: list[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for event in events:
            if isinstance(event, AgreementCoveragePublished):
                spec, key = topics.ALERTS, event.period
            elif isinstance(event, InquirySent | ArrivalNotFound):
                spec, key = topics.VALIDATED, event.person_key
            else:
                spec, key = topics.OBLIGATIONS, getattr(event, "person_key", "")
            await producer.send_and_wait(spec.full_name(prefix), encode(event), key=key.encode())
    finally:
        await producer.stop()


async def cards_on_topic(live: Live) -> list[ScorecardPublished]:
    name = topics.SCORECARDS.full_name(live.prefix)
    return list(await read_all(live.bootstrap, name, unions.ScorecardEvent))


async def wait_for(live: Live, done: Callable[[Cards], bool], timeout: float = 40) -> Cards:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while True:
            newest = rules.newest(await cards_on_topic(live))
            if done(newest):
                return newest
            await asyncio.sleep(0.5)


def expected_counts(
    recs: list[script.Rec], period: str
) -> dict[str, dict[tuple[str, str], tuple[int, int]]]:
    """county -> (side, indicator) -> (numerator, denominator), from the script alone."""
    out: dict[str, dict[tuple[str, str], tuple[int, int]]] = {}
    for (county, side, name), value in script.as_counts(
        script.expected(recs, period), period
    ).items():
        out.setdefault(county, {})[(side, name)] = value
    return out


def figures(card: ScorecardPublished) -> dict[tuple[str, str], tuple[int, int]]:
    return {k: v for k, v in assessment_figures.as_figures(card.indicators).items() if v != (0, 0)}


def matches(newest: Cards, recs: list[script.Rec]) -> bool:
    for period in CLOSED:
        for county, counts in expected_counts(recs, period).items():
            card = newest.get((county, period))
            if card is None or figures(card) != counts:
                return False
    return True


async def run_service(live: Live) -> tuple[AssessmentService, asyncio.Event, asyncio.Task[None]]:
    service = AssessmentService(
        live.bootstrap,
        live.prefix,
        region=script.REGION,
        config=CONFIG,
        poll_timeout_ms=200,
        snapshot=live.home / "assessment.snapshot",
    )
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    async with asyncio.timeout(30):
        await service.caught_up.wait()
    return service, stop, task


@pytest.fixture(scope="module")
async def live(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Live:
    prefix = f"as{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, prefix=prefix, partitions=PARTITIONS, replication_factor=1)
    recs = before_now(script.scenario(seed=17, persons=30))
    await produce(kafka_bootstrap, prefix, base_events(recs))
    return Live(kafka_bootstrap, prefix, recs, tmp_path_factory.mktemp("assess"))


async def test_scorecards_then_a_late_revision_then_nothing_on_restart(live: Live) -> None:
    service, stop, task = await run_service(live)
    try:
        first = await wait_for(live, lambda newest: matches(newest, live.recs))
        # Every closed period, both sides of every county, revision 1; nothing for April.
        assert {p for _, p in first} == set(CLOSED)
        for period in CLOSED:
            counties = set(expected_counts(live.recs, period))
            assert {c for c, p in first if p == period} == counties
        for county in script.COUNTIES:
            sides = {side for side, _ in figures(first[(county, "2026-Q1")])}
            assert sides == {"origin", "destination"}, county
        assert {(c.revision, c.reason) for c in first.values()} == {(1, "first publication")}
        for card in first.values():
            s = cfg.scores(assessment_figures.as_figures(card.indicators), CONFIG)
            # A side not assessed (fewer than 5 settled obligations of its own) is null.
            published = (card.origin_score, card.destination_score, card.combined_score)
            assert published == (s.origin, s.destination, s.combined)
            for side, score in (
                ("origin", card.origin_score),
                ("destination", card.destination_score),
            ):
                settled = assessment_figures.as_figures(card.indicators)[(side, "feedback_rate")][1]
                assert (score is None) == (settled < CONFIG.min_settled_obligations)
            assert card.occurred_at == NOW
            assert card.publisher_id == f"{script.REGION}/assessment"

        # A late February obligation: HANYIN answers BAOAN's certificate inquiry on time.
        await produce(live.bootstrap, live.prefix, script.events_for(LATE))
        with_late = [*live.recs, LATE]
        revised = await wait_for(live, lambda newest: matches(newest, with_late))
        keys = {(c, p) for c in (script.HANYIN, script.BAOAN) for p in ("2026-02", "2026-Q1")}
        changed = {k for k in revised if k not in first or revised[k] != first[k]}
        assert changed == keys
        for key in keys:
            # One revision, or two if the inquiry's kind was read after its answer.
            card = revised[key]
            assert card.revision in (first[key].revision + 1, first[key].revision + 2)
            assert card.reason.startswith("late event ")
            assert f" for {key[1]}" in card.reason
        hanyin = revised[(script.HANYIN, "2026-02")]
        n, d = figures(first[(script.HANYIN, "2026-02")]).get(
            ("origin", "certificate_answers_on_time"), (0, 0)
        )
        assert figures(hanyin)[("origin", "certificate_answers_on_time")] == (n + 1, d + 1)
        every = await cards_on_topic(live)
        history = sorted(
            (c.revision, c.reason)
            for c in every
            if (c.county, c.period) == (script.HANYIN, "2026-02")
        )
        assert history[0] == (1, "first publication")
        late_ids = {str(e.event_id) for e in script.events_for(LATE)}
        for _, reason in history[1:]:
            assert reason.startswith("late event ")
            assert reason.split()[3] in late_ids  # "late event <type> <id> for <period>"
        assert service.state.clock == NOW  # late events do not move event time
    finally:
        stop.set()
        await task

    folded_from_the_start = service.folded
    assert not service.resumed

    # Same log, same disk, a fresh service: it resumes from the snapshot the first one left,
    # reads the tail after it and has nothing to add.
    before = await cards_on_topic(live)
    service, stop, task = await run_service(live)
    try:
        await asyncio.sleep(1.0)
        assert service.sent == 0
    finally:
        stop.set()
        await task
    assert len(await cards_on_topic(live)) == len(before)
    assert service.resumed
    print(f"\nrestart folded {service.folded} events; from the start: {folded_from_the_start}")
    assert service.folded < folded_from_the_start / 10
    scratch = AssessmentService(live.bootstrap, live.prefix, region=script.REGION, config=CONFIG)
    assert (await scratch.load()).digest() == service.state.digest()
    assert service.published == scratch.published


# --- the CLI over the same topics (sync: each command runs its own event loop) ----------------


def test_scorecard_table_and_json(
    live: Live, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIUDONG_KAFKA_BOOTSTRAP", live.bootstrap)
    monkeypatch.setenv("LIUDONG_TOPIC_PREFIX", live.prefix)
    from entrypoints.cli import main

    assert main(["scorecard", "--period", "2026-Q1", "--scope", "all", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = doc["scorecards"]
    assert {r["county"] for r in rows} == set(script.COUNTIES)
    ranked = [r for r in rows if r["rank"] is not None]
    assert ranked, "the scenario assesses someone in Q1"
    assert rows[: len(ranked)] == ranked  # the unranked come last
    combined = [r["scores"]["combined"] for r in ranked]
    assert combined == sorted(combined, reverse=True)
    assert all(r["scores"]["combined"] is None for r in rows[len(ranked) :])
    for r in rows:
        for side in ("origin", "destination"):
            settled = r["settled_obligations"][side]
            assert (r["scores"][side] is None) == (settled < CONFIG.min_settled_obligations)
            assert r["assessed"][side] == (r["scores"][side] is not None)
    average = sum(combined) / len(combined)
    assert doc["region_average"]["combined"] == pytest.approx(average, abs=0.01)
    revised = {r["county"]: r for r in rows if r["revision"] > 1}
    assert set(revised) == {script.HANYIN, script.BAOAN}
    assert all(r["reason"].startswith("late event ") for r in revised.values())

    # By default the region's own counties (Ankang's), not Shenzhen's 宝安区.
    assert main(["scorecard", "--period", "2026-Q1", "--format", "json"]) == 0
    region = json.loads(capsys.readouterr().out)
    assert {r["county"] for r in region["scorecards"]} == {
        script.HANBIN,
        script.XUNYANG,
        script.HANYIN,
    }
    assert main(["scorecard", "--period", "2026-Q1", "--county", script.BAOAN]) == 1
    assert "(try --scope all)" in capsys.readouterr().err

    assert main(["scorecard", "--period", "2026-Q1", "--county", script.HANYIN]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "rank",
        "county",
        "origin",
        "destination",
        "combined",
        "revision",
        "name",
    ]
    row = next(line for line in out if f" {script.HANYIN} " in f" {line} " and "汉阴县" in line)
    assert row.split()[-2] == str(revised[script.HANYIN]["revision"])
    if revised[script.HANYIN]["scores"]["origin"] is None:
        assert "不参评" in row
    assert any(line.startswith(f"  {script.HANYIN} revision ") for line in out)
    assert any(line.split()[:1] == ["region"] for line in out)


def test_explain_lists_exactly_the_contributing_obligations(
    live: Live, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIUDONG_KAFKA_BOOTSTRAP", live.bootstrap)
    monkeypatch.setenv("LIUDONG_TOPIC_PREFIX", live.prefix)
    from entrypoints.cli import main

    recs = [*live.recs, LATE]
    argv = ["scorecard", "explain", "--county", script.HANYIN, "--period", "2026-Q1"]
    assert main([*argv, "--indicator", "feedback_rate", "--format", "json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert [d["side"] for d in docs] == ["origin", "destination"]
    for doc in docs:
        num, den = script.expected(recs, "2026-Q1")[(script.HANYIN, doc["side"], "feedback_rate")]
        listed_num = {o["obligation_id"] for o in doc["numerator_obligations"]}
        listed_rest = {o["obligation_id"] for o in doc["denominator_only_obligations"]}
        assert listed_num == num
        assert listed_num | listed_rest == den
        assert (doc["numerator"], doc["denominator"]) == (len(num), len(den))
    assert main([*argv, "--indicator", "receipt_rate"]) == 0
    text = capsys.readouterr().out
    assert re.match(rf"{script.HANYIN} 2026-Q1 origin receipt_rate: \d+ / \d+", text)


def test_whatif_reranks_without_publishing(
    live: Live,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIUDONG_KAFKA_BOOTSTRAP", live.bootstrap)
    monkeypatch.setenv("LIUDONG_TOPIC_PREFIX", live.prefix)
    from entrypoints.cli import main

    before = asyncio.run(cards_on_topic(live))
    # Only breaches count, as a plain rate: the ranks follow breach-free shares.
    lines = ["min_settled_obligations = 1", "[sides]", "origin = 1", "destination = 1"]
    for side in cfg.SIDES:
        lines.append(f"[{side}]")
        for name in cfg.names(side):
            weight = 1 if name == "breaches" else 0
            lower = cfg.BY_NAME[name].better == "lower"
            target, floor = (0.0, 1.0) if lower else (1.0, 0.0)
            lines.append(f"{name} = {{ weight = {weight}, target = {target}, floor = {floor} }}")
    trial = tmp_path / "breaches-only.toml"
    trial.write_text("\n".join(lines), encoding="utf-8")
    assert (
        main(
            [
                "scorecard",
                "whatif",
                "--period",
                "2026-Q1",
                "--config",
                str(trial),
                "--scope",
                "all",
                "--format",
                "json",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)["rows"]
    counts = expected_counts([*live.recs, LATE], "2026-Q1")

    def breach_score(county: str) -> float | None:
        scores = []
        for side in cfg.SIDES:
            n, d = counts.get(county, {}).get((side, "breaches"), (0, 0))
            if d:
                scores.append(round(100 * (1 - n / d), 2))
        return round(sum(scores) / len(scores), 2) if scores else None

    expected_order = sorted(
        (c for c in counts if breach_score(c) is not None),
        key=lambda c: (-(breach_score(c) or 0.0), c),
    )
    assert [r["county"] for r in rows if r["whatif_rank"]] == expected_order
    for r in rows:
        assert r["whatif_combined"] == pytest.approx(breach_score(r["county"]), abs=0.011)
        if r["rank"] and r["whatif_rank"]:
            assert r["rank_change"] == r["rank"] - r["whatif_rank"]
    assert asyncio.run(cards_on_topic(live)) == before  # nothing was published

    missing = tmp_path / "absent.toml"
    assert main(["scorecard", "whatif", "--period", "2026-Q1", "--config", str(missing)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {missing}: no such file"
