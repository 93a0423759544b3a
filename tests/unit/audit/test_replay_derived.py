"""The replay's derived records against a live topic's, restricted to causes below a
position: equal when the live agent wrote what the log implies (in any order, with repeats,
with republished figures after a restart), and the first difference named when it did not."""

from __future__ import annotations

import dataclasses
import json

import pytest

from audit.replay import derived
from audit.replay.derived import Derivation, first_difference
from audit.replay.engine import Replay
from audit.replay.live import LiveTopic
from audit.replay.positions import CAUSE_HEADER
from tests.unit.replay_fixtures import (
    CONFIG,
    PREFIX,
    VALIDATED,
    Log,
    Record,
    by_live_partition,
    feed,
    live_records,
    simulated_log,
)

REGION = CONFIG.region


def replayed(log: Log, position: dict[int, int] | None = None, *, keep: bool = False) -> Derivation:
    derivation = Derivation(keep=keep)
    cut = {p: values[: (position or {}).get(p, len(values))] for p, values in log.items()}
    feed(Replay(region=REGION, derivation=derivation), cut)
    return derivation


def live(
    name: str,
    records: list[Record],
    position: dict[int, int],
    keep: tuple[int, ...] = (),
) -> LiveTopic:
    topic = LiveTopic(name, f"{PREFIX}.{name}", VALIDATED, position, keep)
    for record in records:
        topic.take(record)
    return topic.finish()


def ends(log: Log) -> dict[int, int]:
    return {p: len(values) for p, values in log.items()}


@pytest.fixture(scope="module")
def log() -> Log:
    return simulated_log()


@pytest.fixture(scope="module")
def records(log: Log) -> dict[str, list[Record]]:
    return live_records(log)


def test_every_output_belongs_to_a_derived_topic_by_the_catalog() -> None:
    assert derived.TOPIC_OF_TYPE["obligation_opened"] == "obligations"
    assert derived.TOPIC_OF_TYPE["verification_task_assigned"] == "obligations"
    assert derived.TOPIC_OF_TYPE["agreement_coverage_published"] == "alerts"
    assert derived.TOPIC_OF_TYPE["campaign_progress_published"] == "alerts"
    assert derived.TOPIC_OF_TYPE["alert_raised"] == "alerts"


@pytest.mark.parametrize("name", ["obligations", "alerts"])
def test_the_live_topic_read_in_any_order_gives_the_replays_digests(
    log: Log, records: dict[str, list[Record]], name: str
) -> None:
    position = ends(log)
    mine = replayed(log).digests(position)[name]
    theirs = live(name, list(by_live_partition(records[name])), position)
    assert theirs.digests() == mine
    assert theirs.records == len(records[name]) > 0
    reversed_ = live(name, list(reversed(records[name])), position)
    assert reversed_.digests() == mine
    assert derived.topic_digest(mine) == derived.topic_digest(dict(reversed(list(mine.items()))))


def test_a_record_sent_twice_counts_once(log: Log, records: dict[str, list[Record]]) -> None:
    position = ends(log)
    resent = records["obligations"][:50]  # a batch re-sent after a crash: same bytes, same cause
    again = [dataclasses.replace(r, offset=r.offset + 100_000) for r in resent]
    theirs = live("obligations", [*records["obligations"], *again], position)
    assert theirs.digests() == replayed(log).digests(position)["obligations"]


def test_records_caused_at_or_past_the_position_are_left_out(
    log: Log, records: dict[str, list[Record]]
) -> None:
    position = {p: n // 2 for p, n in ends(log).items()}
    theirs = live("obligations", records["obligations"], position)
    assert theirs.digests() == replayed(log, position).digests(position)["obligations"]
    assert theirs.beyond > 0
    assert theirs.records + theirs.beyond == len(records["obligations"])
    assert theirs.digests() != replayed(log).digests(ends(log))["obligations"]


def test_figures_republished_after_a_restart_say_nothing_new(
    log: Log, records: dict[str, list[Record]]
) -> None:
    """A restarted worker publishes its coverage figures again on its next tick: the same
    figures under a new id and time. That record is left out; a changed figure is not."""
    position = ends(log)
    alerts = records["alerts"]
    coverage = [r for r in alerts if b'"agreement_coverage_published"' in (r.value or b"")]
    newest = max(coverage, key=_cause)  # the last figures some partition published
    p, offset = _cause(newest)
    assert offset + 1 < position[p]
    figures = json.loads(newest.value or b"")
    figures.update(
        event_id="00000000-0000-5000-8000-000000000002",
        occurred_at="2026-12-31T00:00:00Z",
        recorded_at="2026-12-31T00:00:00Z",
    )
    republished = Record(
        newest.topic,
        newest.partition,
        100_000,
        newest.key,
        json.dumps(figures).encode(),
        ((CAUSE_HEADER, f"{VALIDATED}/{p}/{offset + 1}".encode()),),
    )
    mine = replayed(log).digests(position)["alerts"]
    assert live("alerts", [*alerts, republished], position).digests() == mine

    changed = dict(figures, figures=[dict(figures["figures"][0], covered=10_000)])
    wrong = dataclasses.replace(republished, value=json.dumps(changed).encode())
    found = live("alerts", [*alerts, wrong], position, keep=(p,))
    assert found.digests() != mine
    difference = first_difference(
        "alerts",
        p,
        replayed(log, keep=True).part("alerts", p).kept or [],
        found.parts[p].kept or [],
    )
    assert difference is not None
    assert difference.replayed is None
    assert difference.live is not None
    assert difference.live.where == f"{newest.topic}/{newest.partition}/100000"


def _cause(record: Record) -> tuple[int, int]:
    value = dict(record.headers)[CAUSE_HEADER].decode()
    _, p, o = value.rsplit("/", 2)
    return int(p), int(o)


def test_a_changed_record_is_named_with_its_position_fields_and_cause(
    log: Log, records: dict[str, list[Record]]
) -> None:
    position = ends(log)
    obligations = list(records["obligations"])
    index = next(i for i, r in enumerate(obligations) if b'"obligation_opened"' in (r.value or b""))
    victim = obligations[index]
    data = json.loads(victim.value or b"")
    data["due_at"] = "2027-01-01T00:00:00Z"
    obligations[index] = dataclasses.replace(victim, value=json.dumps(data).encode())
    p, offset = _cause(victim)
    theirs = live("obligations", obligations, position, keep=(p,))
    mine = replayed(log, keep=True)
    assert theirs.digests()[p] != mine.digests(position)["obligations"][p]
    difference = first_difference(
        "obligations",
        p,
        mine.part("obligations", p).kept or [],
        theirs.parts[p].kept or [],
    )
    assert difference is not None
    assert difference.fields() == ["due_at"]
    assert difference.live is not None
    assert difference.live.where == f"{victim.topic}/{victim.partition}/{victim.offset}"
    assert difference.cause_offset == offset
    text = difference.describe(VALIDATED)
    assert f"at {victim.topic}/{victim.partition}/{victim.offset} differs" in text
    assert f"(due_at); caused by {VALIDATED}/{p}/{offset} (" in text
    cause_value = json.loads(log[p][offset])
    assert f"{cause_value['event_type']} {cause_value['event_id']}" in text


def test_a_missing_record_and_an_extra_one_are_named(
    log: Log, records: dict[str, list[Record]]
) -> None:
    position = ends(log)
    obligations = list(records["obligations"])
    dropped = obligations.pop(7)
    p, _ = _cause(dropped)
    mine = replayed(log, keep=True).part("obligations", p).kept or []
    theirs = live("obligations", obligations, position, keep=(p,)).parts[p].kept or []
    missing = first_difference("obligations", p, mine, theirs)
    assert missing is not None
    assert missing.live is None
    assert "in the replay, missing from the live topic" in missing.describe(VALIDATED)
    assert json.loads(dropped.value or b"")["event_id"] in missing.describe(VALIDATED)

    extra = first_difference("obligations", p, mine[1:], mine)
    assert extra is not None
    assert extra.replayed is None
    assert extra.as_json(VALIDATED)["in_replay"] is False


def test_bytes_that_are_no_event_still_differ_by_position(
    log: Log, records: dict[str, list[Record]]
) -> None:
    position = ends(log)
    victim = records["alerts"][3]
    broken = dataclasses.replace(victim, value=b"\xff not json")
    alerts = [broken if r is victim else r for r in records["alerts"]]
    p, _ = _cause(victim)
    theirs = live("alerts", alerts, position, keep=(p,))
    mine = replayed(log, keep=True)
    assert theirs.digests() != mine.digests(position)["alerts"]
    difference = first_difference(
        "alerts", p, mine.part("alerts", p).kept or [], theirs.parts[p].kept or []
    )
    assert difference is not None
    assert derived.UNREADABLE in {
        e.event_id for e in (difference.replayed, difference.live) if e is not None
    }


def test_records_without_a_cause_are_counted_and_the_first_one_named(
    records: dict[str, list[Record]],
) -> None:
    bare = [dataclasses.replace(r, headers=()) for r in records["alerts"][:3]]
    other = dataclasses.replace(
        records["alerts"][3], headers=((CAUSE_HEADER, b"elsewhere.validated/0/1"),)
    )
    topic = live("alerts", [*bare, other], {0: 10**9, 1: 10**9, 2: 10**9})
    assert (topic.read, topic.uncaused, topic.elsewhere) == (4, 3, 1)
    assert topic.first_uncaused == f"{bare[0].topic}/{bare[0].partition}/{bare[0].offset}"
    assert topic.records == 0
