"""Repeats and reused event ids, decided where the state is: each case and each book.

The gate keeps no event ids; the cases agent's engine (shared with the replay) finds a repeat
(same id, same content: dropped) or an id reused on other content (refused). Derived ids and
obligation ids name the person, so two cases never share one.
"""

from __future__ import annotations

import uuid

import pytest
import structlog.testing
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agents.case_state import CaseState
from agents.partition_cases import PartitionCases
from contracts import event_ids
from contracts.agreement_terms import AgreementBook
from contracts.events.agreements import AgreementSigned
from contracts.events.derived import DeadLettered, ObligationOpened
from contracts.events.migration import OutflowRegistered
from streams import codec
from tests.unit.case_fixtures import BAOAN, HANBIN, REGION, YANTA, day, make
from tests.unit.cases_policy import DictStore, Fed, live_policy
from tests.unit.factories import signed

KEY = Ed25519PrivateKey.generate()
P1, P2 = "a1" * 32, "b2" * 32
SHARED = uuid.UUID("5d0c6a4e-1f2b-4c3d-8e9f-0a1b2c3d4e5f")  # one id, reused for two persons


def outflow(person: str, dest: str = BAOAN, event_id: uuid.UUID = SHARED) -> OutflowRegistered:
    unsigned = make(
        OutflowRegistered,
        county=HANBIN,
        at=day(1),
        person=False,
        person_key=person,
        origin_county=HANBIN,
        destination_county=dest,
    )
    return signed(KEY, unsigned.model_copy(update={"event_id": event_id}))


def agreement(agreement_id: str, event_id: uuid.UUID = SHARED) -> AgreementSigned:
    unsigned = make(
        AgreementSigned,
        county=HANBIN,
        at=day(0),
        person=False,
        agreement_id=agreement_id,
        origin_county=HANBIN,
        destination_county=BAOAN,
        effective_from=day(0),
    )
    return signed(KEY, unsigned.model_copy(update={"event_id": event_id}))


# --- fingerprints ----------------------------------------------------------------------------


def test_the_same_content_has_the_same_fingerprint_and_other_content_another() -> None:
    assert event_ids.fingerprint(outflow(P1)) == event_ids.fingerprint(outflow(P1))
    assert event_ids.fingerprint(outflow(P1)) != event_ids.fingerprint(outflow(P1, YANTA))
    assert len(event_ids.fingerprint(outflow(P1))) == 16


def test_an_unsigned_event_is_fingerprinted_by_its_content() -> None:
    bare = outflow(P1).model_copy(update={"signature": None})
    assert event_ids.fingerprint(bare) == event_ids.fingerprint(bare.model_copy())
    assert event_ids.fingerprint(bare) != event_ids.fingerprint(outflow(P1))


@pytest.mark.parametrize(
    ("seen", "novelty"),
    [
        ({}, "new"),
        ({str(SHARED): "f" * 16}, "reused"),
        ({str(SHARED): event_ids.UNKNOWN}, "repeat"),  # an id kept before fingerprints were
    ],
)
def test_novelty_against_what_was_seen(seen: dict[str, str], novelty: str) -> None:
    assert event_ids.novelty(seen, str(SHARED), "0" * 16) == novelty


# --- in a case ---------------------------------------------------------------------------------


def engine() -> PartitionCases:
    cases: dict[str, CaseState] = {}
    return PartitionCases(0, REGION, cases)


def test_a_repeat_changes_nothing_and_an_id_reused_in_the_case_is_told_apart() -> None:
    e = engine()
    first = outflow(P1)
    assert e.novelty(first) == "new"
    assert e.apply(first)
    after = e.cases.get(P1)
    assert after is not None
    assert after.processed == {str(SHARED): event_ids.fingerprint(first)}
    assert e.novelty(first) == "repeat"
    other = outflow(P1, YANTA)
    assert e.novelty(other) == "reused"
    assert e.apply(first) == []
    assert e.apply(other) == []  # refused by the agent; applied, it would change nothing
    assert e.cases.get(P1) is after


def test_one_id_for_two_persons_gives_two_obligations_with_their_own_ids() -> None:
    e = engine()
    first, second = e.apply(outflow(P1)), e.apply(outflow(P2))
    opened = [o for o in (*first, *second) if isinstance(o, ObligationOpened)]
    assert [o.obligation_id for o in opened] == [
        f"arrival_registration:{SHARED}:{P1}",
        f"arrival_registration:{SHARED}:{P2}",
    ]
    assert len({o.event_id for o in opened}) == 2
    derived = [d.event_id for d in (*first, *second)]
    assert len(derived) == len(set(derived))


def test_a_case_stored_with_ids_alone_reads_them_as_seen() -> None:
    stored = CaseState(person_key=P1).to_dict() | {"processed": [str(SHARED)]}
    case = CaseState.from_dict(stored)
    assert case.processed == {str(SHARED): event_ids.UNKNOWN}
    assert event_ids.novelty(case.processed, str(SHARED), "anything") == "repeat"
    assert CaseState.from_json(case.to_json()) == case


# --- in the books ------------------------------------------------------------------------------


def test_the_agreement_book_remembers_ids_and_tells_a_reused_one() -> None:
    e = engine()
    first = agreement("a-1")
    assert e.novelty(first) == "new"
    e.apply(first)
    assert e.novelty(first) == "repeat"
    assert e.novelty(agreement("a-2")) == "reused"
    before = e.book
    e.apply(agreement("a-2"))
    assert e.book is before  # not applied: the second agreement does not exist
    assert list(e.book.pending) == ["a-1"]  # one party's signature: pending, not binding


def test_a_new_event_changing_no_agreement_is_still_remembered() -> None:
    book = AgreementBook().apply(agreement("a-1"))
    again = book.apply(agreement("a-1", uuid.uuid4()))  # a new id, the same agreement
    assert again is not book
    assert again.agreements == book.agreements
    assert len(again.events) == 2


# --- the live agent ----------------------------------------------------------------------------


def test_the_agent_drops_a_repeat_and_dead_letters_a_reused_id() -> None:
    policy = live_policy()
    values = [
        codec.encode(outflow(P1)),
        codec.encode(outflow(P1)),
        codec.encode(outflow(P1, YANTA)),
    ]
    fed = Fed(policy, DictStore(), 0, offset=10)
    with structlog.testing.capture_logs() as logs:
        sent = fed.feed(values, batch=3)
    on: dict[str, list[bytes]] = {}
    for o in sent:
        on.setdefault(o.topic, []).append(o.value or b"")
    opened = on.get("obligations", [])
    dead = [DeadLettered.model_validate_json(v) for v in on.get("dead-letters", [])]
    assert len(opened) == 1  # the first applied; the repeat derived nothing
    [letter] = dead
    assert (letter.reason_code, letter.source_offset) == ("event_id_reused", 12)
    assert letter.source_topic == "liudong.validated"
    assert f"event id {SHARED} was already used in this case" in letter.reason
    assert letter.raw_length == len(values[2])
    assert [entry["event"] for entry in logs if entry["event"] != "partition_loaded"] == [
        "event_duplicate",
        "event_dead_lettered",
    ]


def test_the_agent_dead_letters_a_validated_record_it_cannot_read() -> None:
    fed = Fed(live_policy(), DictStore(), 1, offset=4)
    with structlog.testing.capture_logs():
        [out] = fed.feed([b'{"event_type": "from_a_newer_version"}'])
    assert out.topic == "dead-letters"
    letter = DeadLettered.model_validate_json(out.value or b"")
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == (
        "liudong.validated",
        1,
        4,
    )
    assert letter.reason.strip()
