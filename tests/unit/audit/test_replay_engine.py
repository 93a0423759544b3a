"""The replay engine on hand-built event sequences: in step with the live cases agent, as-of
cut-offs, broadcast ticks across partitions, and a digest that depends on state alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pytest
import structlog.testing

from agents.case_state import CaseState
from agents.cases import CASE
from audit.replay import digest
from audit.replay.engine import PartitionReplay, Replay
from audit.replay.outcome import Outcome
from contracts.agreement_terms import AgreementBook
from contracts.envelope import Envelope
from contracts.events.agreements import AgreementSigned, AgreementTerms
from contracts.events.clock import ClockTicked
from contracts.events.cooperation import InquiryAnswered, InquirySent
from contracts.events.derived import AgreementCoveragePublished, AlertRaised
from contracts.events.migration import InflowRegistered, OutflowRegistered
from streams import codec
from tests.unit.case_fixtures import BAOAN, HANBIN, HANYIN, REGION, YANTA, day, make, run, tick
from tests.unit.cases_policy import DictStore, Fed, live_policy

P0, P1, P2 = "a0" * 32, "b1" * 32, "c2" * 32  # P0 and P2 on partition 0, P1 on partition 1
Message = tuple[int, Envelope]  # (partition, event)


def signed_agreement(origin: str, destination: str, days: int, by: str) -> AgreementSigned:
    return make(
        AgreementSigned,
        county=by,
        at=day(0),
        person=False,
        agreement_id=f"{origin}-{destination}",
        origin_county=origin,
        destination_county=destination,
        effective_from=day(0),
        terms=AgreementTerms(arrival_days=days),
    )


def outflow(person: str, at: dt.datetime, origin: str = HANBIN, dest: str = BAOAN) -> Any:
    return make(
        OutflowRegistered,
        county=origin,
        at=at,
        person=False,
        person_key=person,
        origin_county=origin,
        destination_county=dest,
    )


def inflow(person: str, at: dt.datetime, origin: str = HANBIN, dest: str = BAOAN) -> Any:
    return make(
        InflowRegistered,
        county=dest,
        at=at,
        person=False,
        person_key=person,
        origin_county=origin,
        destination_county=dest,
    )


def inquiry(person: str, at: dt.datetime) -> Any:
    return make(
        InquirySent,
        county=BAOAN,
        at=at,
        person=False,
        person_key=person,
        inquiry_id=f"q-{person[:4]}",
        to_county=HANBIN,
        kind="certificate",
    )


def answer(person: str, at: dt.datetime) -> Any:
    return make(
        InquiryAnswered,
        county=HANBIN,
        at=at,
        person=False,
        person_key=person,
        inquiry_id=f"q-{person[:4]}",
        to_county=BAOAN,
        answer="confirmed",
    )


def broadcast(event: Envelope, partitions: int = 2) -> list[Message]:
    return [(p, event) for p in range(partitions)]


def log() -> list[Message]:
    """Two partitions' validated log, interleaved as a reader might see it."""
    messages: list[Message] = [
        *broadcast(signed_agreement(HANBIN, BAOAN, 20, by=HANBIN)),
        *broadcast(signed_agreement(HANBIN, BAOAN, 20, by=BAOAN)),
        (0, outflow(P0, day(1) + dt.timedelta(hours=10))),
        (1, outflow(P1, day(1) + dt.timedelta(hours=11), HANYIN, YANTA)),  # no agreement
        (0, inquiry(P0, day(2) + dt.timedelta(hours=10))),
        (0, outflow(P2, day(2) + dt.timedelta(hours=12))),
    ]
    for d in range(3, 60):
        messages += broadcast(tick(day(d)))
        if d == 5:
            messages.append((0, answer(P0, day(5) + dt.timedelta(hours=9))))
        if d == 8:
            messages.append((1, inflow(P1, day(8) + dt.timedelta(hours=9), HANYIN, YANTA)))
            messages.append((1, inflow(P1, day(8) + dt.timedelta(hours=9), HANYIN, YANTA)))
        if d == 30:  # P2's arrival, late (due day 22): the breach stands
            messages.append((0, inflow(P2, day(30) + dt.timedelta(hours=9))))
    messages += broadcast(tick(day(40)))  # a repeated tick: nothing fires twice
    return messages


def partition_replays(
    messages: Iterable[Message],
) -> tuple[dict[int, PartitionReplay], dict[int, list[Envelope]]]:
    """A PartitionReplay per partition fed in log order, and what each derived."""
    replays: dict[int, PartitionReplay] = {}
    outputs: dict[int, list[Envelope]] = {}
    for p, event in messages:
        replay = replays.setdefault(p, PartitionReplay(p, REGION))
        outputs.setdefault(p, []).extend(replay.apply(event))
    return replays, outputs


# --- in step with the live agent ------------------------------------------------------------------


@pytest.mark.parametrize("batch", [1, 7], ids=["event by event", "in batches of 7"])
def test_partition_replay_is_in_step_with_the_cases_agent(batch: int) -> None:
    policy, store = live_policy(), DictStore()
    messages = log()
    by_partition: dict[int, list[bytes | None]] = {0: [], 1: []}
    for p, event in messages:
        by_partition[p].append(codec.encode(event))
    sent: dict[int, list[bytes]] = {}
    with structlog.testing.capture_logs():  # the agent logs; keep it off closed streams
        for p, values in by_partition.items():
            fed = Fed(policy, store, p)
            sent[p] = [o.value or b"" for o in fed.feed(values, batch)]

    replays, outputs = partition_replays(messages)
    for p, replay in replays.items():
        replayed = [codec.encode(e) for e in outputs[p]]
        assert replayed == sent[p], f"partition {p} derived differently"
        live_cases = {k.removeprefix(CASE): CaseState.from_json(v) for k, v in store.items(p, CASE)}
        assert replay.cases == live_cases
        engine = policy.opened[p].engine
        assert replay.due == engine.due
        assert replay.alerts == engine.alerts
        assert replay.last_tick == engine.last_tick
        assert replay.last_tick is not None
        assert store.get(p, "clock") == replay.last_tick.isoformat()
    assert all(sent.values())


def test_an_agent_reopened_from_its_state_ends_with_the_same_cases() -> None:
    messages = log()
    store = DictStore()
    half = len(messages) // 2
    with structlog.testing.capture_logs():
        first = live_policy()
        fed = {p: Fed(first, store, p) for p in (0, 1)}
        for p, event in messages[:half]:
            fed[p].feed([codec.encode(event)])
        restarted = live_policy()  # a new worker on the same state
        again = {p: Fed(restarted, store, p, fed[p].offset) for p in (0, 1)}
        for p, event in messages[half:]:
            again[p].feed([codec.encode(event)])
    replays, _ = partition_replays(messages)
    for p, replay in replays.items():
        assert replay.due == restarted.opened[p].engine.due
        live = {k.removeprefix(CASE): CaseState.from_json(v) for k, v in store.items(p, CASE)}
        assert live == replay.cases


def test_partition_replay_matches_the_pure_functions_for_one_case() -> None:
    events: list[Any] = [outflow(P0, day(1)), inquiry(P0, day(2))]
    events += [tick(day(d)) for d in range(3, 50)]
    events.insert(10, answer(P0, day(9) + dt.timedelta(hours=1)))  # late inquiry answer
    state, derived = run(events)

    replay = PartitionReplay(0, REGION)
    out = [o for e in events for o in replay.apply(e)]
    assert replay.cases[P0] == state
    obligations = [o for o in out if not isinstance(o, AlertRaised | AgreementCoveragePublished)]
    assert [codec.encode(o) for o in obligations] == [codec.encode(d) for d in derived]


def test_broadcast_ticks_fire_each_partitions_own_cases_and_coverage() -> None:
    replays, outputs = partition_replays(log())
    zero, one = replays[0], replays[1]
    assert set(zero.cases) == {P0, P2}
    assert set(one.cases) == {P1}
    outputs0, outputs1 = outputs[0], outputs[1]
    # Ticks were broadcast: the same tick ids on both sides, but each fired only its cases.
    assert {getattr(e, "person_key", None) for e in outputs0} - {None} == {P0, P2}
    assert {getattr(e, "person_key", None) for e in outputs1} - {None} == {P1}
    coverage0 = [e for e in outputs0 if isinstance(e, AgreementCoveragePublished)]
    coverage1 = [e for e in outputs1 if isinstance(e, AgreementCoveragePublished)]
    assert coverage0
    assert coverage1
    assert {e.partition for e in coverage0} == {0}
    assert {e.partition for e in coverage1} == {1}
    assert not {e.event_id for e in coverage0} & {e.event_id for e in coverage1}
    # Partition 1's flow has no agreement: one alert; partition 0's flows are covered.
    assert [e.alert_id for e in outputs1 if isinstance(e, AlertRaised)] == [
        f"agreement_missing:{HANYIN}-{YANTA}:2026-03"
    ]
    assert not [e for e in outputs0 if isinstance(e, AlertRaised)]
    # P2 answered late: breached, then fulfilled late; the repeated tick fired nothing twice.
    p2 = replays[0].cases[P2].obligations[0]
    assert (p2.state, p2.breached, p2.late, p2.reminded) == ("fulfilled", True, True, True)
    ids = [e.event_id for e in outputs0]
    assert len(ids) == len(set(ids))


# --- the multi-partition replay: as-of, positions, digest -------------------------------------


def feed_all(replay: Replay, messages: list[Message], order: Iterable[int] = (0, 1)) -> None:
    """Feed each partition's messages, partitions one after another, offsets as in a log."""
    for p in order:
        mine = [(n, codec.encode(e)) for n, e in enumerate(e for q, e in messages if q == p)]
        replay.feed(p, mine)


def test_as_of_stops_each_partition_at_its_first_later_event() -> None:
    messages = log()
    cut = day(20) + dt.timedelta(hours=12)
    replay = Replay(region=REGION, as_of=cut)
    feed_all(replay, messages)
    prefix = [(p, e) for p, e in messages if e.occurred_at <= cut]  # event time is monotonic
    reference = Replay(region=REGION)
    feed_all(reference, prefix)
    assert replay.rows() == reference.rows()
    summary = Outcome.of(replay).summary()
    assert summary.cut == (0, 1)
    for p in (0, 1):
        assert summary.positions[p] == sum(1 for q, _ in prefix if q == p)
    # At day 20.5, P2's arrival (due day 22) is open and reminded; P0's inquiry answered.
    states = {r.obligation_id.split(":")[0]: r for r in replay.rows() if r.person_key == P2}
    assert states["arrival_registration"].state == "reminded"
    assert not states["arrival_registration"].breached


def test_as_of_does_not_apply_a_later_tick_or_anything_after_it() -> None:
    replay = PartitionReplay(0, REGION, as_of=day(10))
    assert replay.apply(outflow(P0, day(1))) != []
    assert replay.apply(tick(day(11))) == []
    assert replay.cut
    assert replay.apply(inflow(P0, day(5))) == []  # backdated, but after the cut in the log
    assert replay.cases[P0].obligations[0].state == "opened"
    assert replay.applied == 1


def test_digest_depends_on_state_alone() -> None:
    messages = log()
    first, second = Replay(region=REGION), Replay(region=REGION)
    feed_all(first, messages, order=(0, 1))
    feed_all(second, messages, order=(1, 0))  # partitions read in another order
    assert Outcome.of(first).summary().digest == Outcome.of(second).summary().digest
    assert Outcome.of(first).summary().digest == digest.partitioned(reversed(first.rows()), 2)

    rows = first.rows()
    changed = [*rows[:-1], digest.ObligationRow(**{**rows[-1].as_json(), "state": "breached"})]
    assert digest.digest(changed) != digest.digest(rows)
    difference = digest.first_difference(rows, changed)
    assert difference is not None
    assert difference.obligation_id == rows[-1].obligation_id
    assert difference.fields == ("state",)
    assert "state replayed=" in difference.describe()
    missing = digest.first_difference(rows, rows[1:])
    assert missing is not None
    assert missing.live is None
    assert digest.first_difference(rows, list(rows)) is None


def test_a_projection_record_gives_the_same_row_as_the_case() -> None:
    replay = Replay(region=REGION)
    feed_all(replay, log())
    case = replay.partitions[0].cases[P2]
    ob = case.obligations[0]
    utc8 = dt.timezone(dt.timedelta(hours=8))
    record = {
        "obligation_id": ob.obligation_id,
        "kind": ob.kind,
        "person_key": P2,
        "responsible_county": ob.responsible,
        "counterpart_county": ob.counterpart,
        "opened_at": ob.opened_at.astimezone(utc8),  # another offset, the same instant
        "due_at": ob.due_at,
        "state": ob.state,
        "reminded_at": day(12),
        "breached_at": day(23),
        "escalated_at": None,
        "late": True,
    }
    assert digest.ObligationRow.of_record(record) == digest.ObligationRow.of_obligation(P2, ob)
    assert digest.instant(day(1)) == "2026-03-03T08:00:00.000000Z"
    with pytest.raises(ValueError, match="naive"):
        digest.instant(dt.datetime(2026, 1, 1))


def test_undecodable_messages_are_counted_and_skipped() -> None:
    replay = Replay(region=REGION)
    replay.feed(0, [(0, b"not json"), (1, None), (2, codec.encode(outflow(P0, day(1))))])
    summary = Outcome.of(replay).summary()
    assert (summary.events, summary.undecodable, summary.applied) == (3, 2, 1)
    assert summary.positions == {0: 3}
    assert summary.obligations == 1
    assert summary.counts["open"] == 1
    assert sum(summary.counts.values()) == 1  # the one arrival obligation: open, nothing else
    assert "digest" in summary.as_json()
    assert summary.lines()[-1].startswith("digest")


def test_agreement_books_match_across_partitions() -> None:
    replays, _ = partition_replays(log())
    book: AgreementBook = replays[0].book
    assert book == replays[1].book
    assert list(book.agreements) == [f"{HANBIN}-{BAOAN}"]
    assert isinstance(log()[-1][1], ClockTicked)
