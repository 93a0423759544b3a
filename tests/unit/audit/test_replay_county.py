"""One county's snapshot from a replay: its cases, the obligations it is party to with the
vocabulary's statuses, its scorecards; Chinese first, Beijing time or UTC, keys in full."""

from __future__ import annotations

import datetime as dt

import pytest

from agents import assessment_config
from audit.replay.county import CountySnapshot
from audit.replay.engine import Replay
from audit.replay.outcome import Outcome
from contracts import obligation_vocabulary as vocabulary
from contracts.human_time import UTC
from tests.unit.replay_fixtures import CONFIG, feed, simulated_log

COUNTY = "610902"  # 汉滨区


@pytest.fixture(scope="module")
def snapshot() -> CountySnapshot:
    config = assessment_config.load()
    replay = feed(Replay(region=CONFIG.region, assess=True), simulated_log())
    outcome = Outcome.of(replay, config=config, county=COUNTY)
    return CountySnapshot.of(
        COUNTY,
        outcome.county_cases,
        outcome.scorecards(config) or [],
        as_of=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
        clock=outcome.clock,
    )


def test_only_the_countys_obligations_with_the_vocabularys_statuses(
    snapshot: CountySnapshot,
) -> None:
    assert snapshot.cases
    assert snapshot.obligations
    assert snapshot.cards
    assert all(
        COUNTY in (h.obligation.responsible, h.obligation.counterpart) for h in snapshot.obligations
    )
    others = [
        ob
        for case in snapshot.cases
        for ob in case.obligations
        if COUNTY not in (ob.responsible, ob.counterpart)
    ]
    assert len(snapshot.obligations) + len(others) == sum(
        len(c.obligations) for c in snapshot.cases
    )
    assert {h.status for h in snapshot.obligations} <= set(vocabulary.STATUS_ORDER)
    dues = [h.obligation.due_at for h in snapshot.obligations]
    assert dues == sorted(dues)
    assert {c.county for c in snapshot.cards} == {COUNTY}
    assert snapshot.rows == len(snapshot.cases) + len(snapshot.obligations) + len(snapshot.cards)
    counts = snapshot.counts()
    assert sum(
        counts[n] for n in ("open", "fulfilled_on_time", "fulfilled_late", "cancelled")
    ) == len(snapshot.obligations)


def test_the_table_is_chinese_first_in_beijing_time_with_full_keys(
    snapshot: CountySnapshot,
) -> None:
    lines = snapshot.lines()
    assert lines[0].startswith("县 county 610902 汉滨区  截至 as of 2026-04-01 08:00 UTC+8")
    text = "\n".join(lines)
    for label in ("案件 cases", "义务 obligations", "考核 scorecards", "到期 due (UTC+8)"):
        assert label in text
    first = snapshot.obligations[0]
    count = vocabulary.BY_NAME[first.status]
    assert f"{count.zh} {count.en}" in text
    assert first.person_key in text  # in full, to copy
    assert "到期 due (UTC)" in "\n".join(snapshot.lines(UTC))


def test_the_json_carries_statuses_and_instants_with_their_offset(
    snapshot: CountySnapshot,
) -> None:
    doc = snapshot.as_json()
    assert doc["name"] == "汉滨区"
    assert doc["as_of"] == "2026-04-01T08:00:00+08:00"
    ob = doc["obligations"][0]
    assert ob["status_zh"] == vocabulary.BY_NAME[ob["status"]].zh
    assert ob["due_at"].endswith("+08:00")
    assert snapshot.as_json(UTC)["obligations"][0]["due_at"].endswith("+00:00")
    assert doc["scorecards"][0]["county"] == COUNTY
