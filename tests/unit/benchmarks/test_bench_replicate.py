"""The memory stage's state copies (benchmarks.replicate): valid cases, new identities."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from agents.case_state import CaseState
from benchmarks.replicate import (
    Record,
    cases_at_scale,
    copies_for,
    encode,
    latest,
    partition_state,
    replica_id,
    replica_person_key,
    split_key,
)

PERSON = "ab" * 32
E1, E2 = str(uuid.UUID(int=1)), str(uuid.UUID(int=2))
TASK = str(uuid.UUID(int=3))
AT = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def case(person: str = PERSON, e1: str = E1, e2: str = E2) -> CaseState:
    return CaseState.model_validate(
        {
            "person_key": person,
            "origin": "610902",
            "destination": "440306",
            "owner": "440306",
            "processed": [e1, e2],
            "obligations": [
                {
                    "obligation_id": f"arrival_registration:{e1}",
                    "kind": "arrival_registration",
                    "responsible": "440306",
                    "counterpart": "610902",
                    "opened_at": AT,
                    "due_at": AT + dt.timedelta(days=15),
                    "remind_at": AT + dt.timedelta(days=10),
                    "escalate_at": AT + dt.timedelta(days=30),
                    "agreement_id": "agreement-610902-440306",
                },
                {
                    "obligation_id": f"verification_result:{TASK}",
                    "kind": "verification_result",
                    "responsible": "440306",
                    "counterpart": "610902",
                    "ref": TASK,
                    "opened_at": AT,
                    "due_at": AT + dt.timedelta(days=1),
                    "remind_at": AT,
                    "escalate_at": AT + dt.timedelta(days=2),
                },
            ],
            "flows": [
                {"period": "2026-03", "origin": "610902", "destination": "440306", "covered": True}
            ],
            "pending_inflow": {
                "origin": "610902",
                "destination": "440306",
                "event_id": e2,
                "at": AT,
            },
            "registrations": [{"record_id": e2, "county": "440306", "since": AT}],
            "tasks": [
                {
                    "task_id": TASK,
                    "campaign_id": "campaign-2026",
                    "check": "stale",
                    "assignee": "440306",
                    "counterpart": "610902",
                    "obligation_id": f"verification_result:{TASK}",
                    "record_id": e2,
                }
            ],
            "last_activity": AT,
        }
    )


def case_record(partition: int = 2, person: str = PERSON, *ids: str) -> Record:
    return encode(partition, f"case/{person}", case(person, *ids).to_json())


def parsed(record: Record) -> CaseState:
    return CaseState.from_json(record.value.decode())


def test_a_copy_is_a_valid_case_under_a_new_person_key_and_new_event_ids() -> None:
    (copy,) = cases_at_scale([case_record()], 1)
    state = parsed(copy)
    new_key = replica_person_key(PERSON, 1)
    assert re.fullmatch(r"[0-9a-f]{64}", new_key)
    assert new_key != PERSON
    assert split_key(copy.key) == (2, f"case/{new_key}")
    assert copy.key == f"2:case/{new_key}".encode()  # as the runtime's table store keys it
    assert copy.partition == 2
    assert state.person_key == new_key
    assert PERSON not in copy.value.decode()
    e1, e2, task = (replica_id(x, 1) for x in (E1, E2, TASK))
    assert set(state.processed) == {e1, e2}
    assert state.obligations[0].obligation_id == f"arrival_registration:{e1}"
    assert state.obligations[1].obligation_id == f"verification_result:{task}"
    assert state.obligations[1].ref == task
    assert state.pending_inflow is not None
    assert state.pending_inflow.event_id == e2
    assert state.registrations[0].record_id == e2
    assert state.tasks[0].task_id == task
    assert state.tasks[0].record_id == e2
    # The books' ids stay: the copies belong to the same agreements and campaigns.
    assert state.obligations[0].agreement_id == "agreement-610902-440306"
    assert state.tasks[0].campaign_id == "campaign-2026"
    # Everything else as it was.
    original = case()
    assert state.obligations[0].due_at == original.obligations[0].due_at
    assert state.flows == original.flows
    assert (state.origin, state.destination, state.owner) == ("610902", "440306", "440306")


def test_copies_reach_the_count_asked_for_spread_over_the_templates_and_never_repeat() -> None:
    other = "cd" * 32
    e3, e4 = str(uuid.UUID(int=4)), str(uuid.UUID(int=5))
    books = encode(0, "agreement/1", "{}")
    templates = [case_record(0, PERSON), books, case_record(4, other, e3, e4)]
    out = list(cases_at_scale(templates, 5))  # the cases only
    assert len(out) == 5
    assert [r.partition for r in out] == [0, 0, 0, 4, 4]
    keys = {parsed(r).person_key for r in out}
    assert len(keys) == 5
    assert not keys & {PERSON, other}
    ids = [i for r in out for i in parsed(r).processed]
    assert len(ids) == len(set(ids)) == 10
    assert not set(ids) & {E1, E2, e3, e4}


def test_copies_for_spreads_the_remainder_over_the_first_templates() -> None:
    assert [list(copies_for(7, 3, i)) for i in range(3)] == [[1, 2, 3], [1, 2], [1, 2]]
    assert list(copies_for(2, 3, 2)) == []
    assert list(copies_for(5, 0, 0)) == []


def test_partition_books_and_clock_kept_cases_and_input_positions_dropped() -> None:
    books = encode(3, "agreement/1", "{}")
    clock = encode(3, "clock", "2026-03-02T08:00:00+00:00")
    position = encode(3, "next_offset", "9")
    assert list(partition_state([books, case_record(3), clock, position])) == [books, clock]


def test_latest_keeps_the_last_value_per_key_and_drops_tombstones() -> None:
    a1, a2 = encode(0, "a", "1"), encode(0, "a", "2")
    gone = Record(0, encode(0, "b", "x").key, b"")
    assert latest([a1, encode(0, "b", "x"), a2, gone]) == {a1.key: a2}
