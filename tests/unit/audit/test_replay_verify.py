"""How a derived topic's check is judged from the digests, and when a verification holds."""

from __future__ import annotations

import dataclasses

import pytest

from agents import assessment_config
from audit.replay.derived import Derivation
from audit.replay.engine import Replay
from audit.replay.live import LiveTopic
from audit.replay.outcome import Outcome
from audit.replay.verify import (
    DIFFERENT,
    MATCH,
    NOT_COMPARED,
    ProjectionCheck,
    Request,
    ScorecardCheck,
    Status,
    Verification,
    judge,
)
from tests.unit.replay_fixtures import (
    CONFIG,
    PREFIX,
    VALIDATED,
    Log,
    Record,
    feed,
    live_records,
    simulated_log,
)


@pytest.fixture(scope="module")
def log() -> Log:
    return simulated_log()


@pytest.fixture(scope="module")
def records(log: Log) -> list[Record]:
    return live_records(log)["obligations"]


@pytest.fixture(scope="module")
def outcome(log: Log) -> Outcome:
    return Outcome.of(feed(Replay(region=CONFIG.region, derivation=Derivation()), log))


def read(log: Log, records: list[Record], name: str = "obligations") -> LiveTopic:
    topic = LiveTopic(name, f"{PREFIX}.{name}", VALIDATED, {p: len(v) for p, v in log.items()})
    for r in records:
        topic.take(r)
    return topic.finish()


def test_equal_digests_match_and_a_changed_partition_is_the_one_to_name(
    log: Log, outcome: Outcome, records: list[Record]
) -> None:
    check, partition = judge(outcome, read(log, records))
    assert (check.status, partition) == (MATCH, None)
    assert check.replayed == check.live
    assert check.replayed_records == check.live_records == len(records)

    dropped = records[:5] + records[6:]
    check, partition = judge(outcome, read(log, dropped))
    assert check.status == DIFFERENT
    cause = dict(records[5].headers)["liudong-cause"].decode()
    assert partition == int(cause.split("/")[1])


def test_records_naming_no_cause_are_not_compared_or_differ_when_some_do(
    log: Log, outcome: Outcome, records: list[Record]
) -> None:
    bare = [dataclasses.replace(r, headers=()) for r in records]
    check, partition = judge(outcome, read(log, bare))
    assert (check.status, partition, check.live) == (NOT_COMPARED, None, None)
    assert "name no cause" in check.note
    check, partition = judge(outcome, read(log, [*records[1:], bare[0]]))
    assert (check.status, partition) == (DIFFERENT, None)
    assert check.note.startswith("1 record(s) name no cause; the first at live.obligations/")


def verification(
    outcome: Outcome, log: Log, records: list[Record], statuses: tuple[Status, Status, Status]
) -> Verification:
    topic, scores, projection = statuses
    check = judge(outcome, read(log, records))[0]
    return Verification(
        Request("unused:9092", PREFIX, CONFIG.region, assessment_config.load()),
        {},
        {},
        outcome,
        (dataclasses.replace(check, status=topic),),
        ScorecardCheck(scores, "d", None, 0),
        ProjectionCheck(projection, "d", None),
    )


@pytest.mark.parametrize(
    ("statuses", "ok", "compared"),
    [
        ((MATCH, MATCH, MATCH), True, True),
        ((MATCH, NOT_COMPARED, NOT_COMPARED), True, True),
        ((NOT_COMPARED, NOT_COMPARED, MATCH), True, True),
        ((NOT_COMPARED, NOT_COMPARED, NOT_COMPARED), False, False),
        ((MATCH, DIFFERENT, MATCH), False, True),
        ((MATCH, MATCH, DIFFERENT), False, True),
    ],
)
def test_a_verification_holds_when_nothing_differs_and_something_was_compared(
    outcome: Outcome,
    log: Log,
    records: list[Record],
    statuses: tuple[Status, Status, Status],
    ok: bool,
    compared: bool,
) -> None:
    v = verification(outcome, log, records, statuses)
    assert (v.ok, v.compared) == (ok, compared)
