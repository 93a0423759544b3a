"""What the replay skips to be fast changes nothing: events parsed once decode as the codec
decodes them, and partitions that build no derived events end in the same state."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from agents.partition_cases import PartitionCases
from audit.replay.engine import PartitionReplay, Replay
from audit.replay.outcome import Outcome
from contracts.envelope import Envelope
from contracts.events.campaigns import (
    CampaignClosed,
    CampaignExtended,
    RecordsSplit,
    VerificationResultReported,
    VerificationTaskAssigned,
)
from streams import codec
from streams.codec import DecodeError
from tests.unit import campaign_fixtures as cf
from tests.unit.audit.test_replay_engine import feed_all, log
from tests.unit.case_fixtures import REGION, day, make, tick
from tests.unit.streams.test_codec import BAD_INPUTS, as_bytes, outflow_json, outflow_v1


def _decoded(replay: Replay, value: bytes | None, fast: bool) -> Envelope | str:
    try:
        return replay.decode(value) if fast else replay.codec.decode(value).event
    except DecodeError as exc:
        return exc.code


@pytest.mark.parametrize(
    "value",
    [as_bytes(outflow_json()), as_bytes(outflow_v1()), *(bad for _, bad, _, _ in BAD_INPUTS)],
    ids=["current", "v1 upcast", *(name for name, _, _, _ in BAD_INPUTS)],
)
def test_parsing_once_decodes_as_the_codec_does(value: bytes | None) -> None:
    replay = Replay(region=REGION)
    assert _decoded(replay, value, fast=True) == _decoded(replay, value, fast=False)


def test_a_replay_without_outputs_has_the_same_summary() -> None:
    with_outputs, without = Replay(region=REGION, keep_outputs=True), Replay(region=REGION)
    feed_all(with_outputs, log())
    feed_all(without, log())
    assert without.outputs is None
    assert with_outputs.outputs
    assert not any(p.derive for p in without.partitions.values())
    assert Outcome.of(with_outputs).summary() == Outcome.of(without).summary()
    assert Outcome.of(with_outputs).summary().alerts == 1
    assert with_outputs.rows() == without.rows()


def _answers(probe: PartitionCases, out: Iterable[Any]) -> list[Envelope]:
    """Answers to most tasks, from their assignees: every result kind, and a merge undone."""
    tasks = [o for o in out if isinstance(o, VerificationTaskAssigned)]
    answers: list[Envelope] = []
    for n, task in enumerate(tasks[:-3]):
        at = day(205 + n % 20)
        fields: dict[str, Any] = {"result": ("present", "not_found", "returned_home")[n % 3]}
        if task.check == "duplicate":
            case = probe.cases.get(task.person_key)
            assert case is not None
            keep = next(r for r in case.registrations if r.county != task.assignee_county)
            fields = {"result": "duplicate", "duplicate_of": keep.record_id}
        elif n % 7 == 0:
            fields = {"result": "moved_on", "moved_to": cf.FUTIAN}
        elif n % 11 == 0:
            fields = {"result": "deceased"}
        county, ids = task.assignee_county, {"person_key": task.person_key, "task_id": task.task_id}
        answers.append(
            make(VerificationResultReported, county=county, at=at, person=False, **ids, **fields)
        )
        if task.check == "duplicate" and n % 2:
            into = fields["duplicate_of"]
            answers.append(
                make(RecordsSplit, county=county, at=at, person=False, **ids, merged_into=into)
            )
    return answers


def _campaign_log() -> list[Envelope]:
    """The campaign scenario, answered in part, extended, ticked past deadlines, closed."""
    scenario = cf.build()
    probe = PartitionCases(0, REGION, {})
    out = [o for e in scenario.events for o in probe.apply(e)]
    later = cf.DEADLINE + dt.timedelta(days=20)
    events = [*scenario.events, *_answers(probe, out)]
    events.append(
        make(CampaignExtended, county=REGION, at=day(226), person=False,
             campaign_id=cf.CAMPAIGN, deadline=later)
    )  # fmt: skip
    events += [tick(day(d)) for d in range(226, 300, 3)]
    events.append(
        make(CampaignClosed, county=REGION, at=day(300), person=False,
             campaign_id=cf.CAMPAIGN, early=False)
    )  # fmt: skip
    return [*events, tick(day(301))]


def _same_state(a: PartitionCases, b: PartitionCases) -> None:
    skip = {"derive", "cases"}
    for f in dataclasses.fields(a):
        if f.name not in skip:
            assert getattr(a, f.name) == getattr(b, f.name), f.name
    assert [(k, a.cases.get(k)) for k in sorted(a.cases.keys())] == [
        (k, b.cases.get(k)) for k in sorted(b.cases.keys())
    ]


@pytest.mark.parametrize("events", [log, _campaign_log], ids=["cases", "campaign"])
def test_partitions_that_build_no_outputs_end_in_the_same_state(events: Any) -> None:
    messages: Sequence[Any] = events()
    pairs = [m if isinstance(m, tuple) else (0, m) for m in messages]
    deriving: dict[int, PartitionReplay] = {}
    silent: dict[int, PartitionReplay] = {}
    derived = 0
    for p, event in pairs:
        derived += len(deriving.setdefault(p, PartitionReplay(p, REGION)).apply(event))
        assert silent.setdefault(p, PartitionReplay(p, REGION, derive=False)).apply(event) == []
    assert derived > 0
    assert deriving.keys() == silent.keys()
    for p in deriving:
        _same_state(deriving[p], silent[p])
    if events is _campaign_log:  # answered, extended and closed, not only opened
        kinds = {type(e) for _, e in pairs}
        assert {VerificationResultReported, RecordsSplit, CampaignExtended, CampaignClosed} <= kinds


def test_encoded_events_survive_the_fast_path_unchanged() -> None:
    replay = Replay(region=REGION)
    for _, event in log()[:20]:
        assert replay.decode(codec.encode(event)) == event
