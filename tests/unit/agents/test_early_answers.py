"""Answers before questions, hand-computed: kept, matched at once, or alerted on.

Defaults (contracts.agreement_terms.Defaults): inquiry answers 7 (certificate), 15 (urgent) or
30 (other) days; receipts 30 days, 15 for pregnancy and birth; takeovers 30 days. An answer
with no question waits the longest its question could set: 30 days for all three.
"""

from __future__ import annotations

import datetime as dt

from agents.case_rules import next_fire
from agents.case_state import CaseState
from contracts.events.cooperation import (
    InquiryAnswered,
    InquirySent,
    ReceiptAcknowledged,
    ServiceRecorded,
)
from contracts.events.derived import (
    AlertRaised,
    ObligationBreached,
    ObligationFulfilled,
    ObligationOpened,
)
from contracts.events.migration import CaseTakenOver, MovedOn
from tests.unit.case_fixtures import BAOAN, HANBIN, PERSON, YANTA, day, make, run, tick

SECOND = dt.timedelta(seconds=1)


def answered(at: dt.datetime, inquiry: str = "q-1") -> InquiryAnswered:
    # 宝安区 answers 汉滨区's inquiry.
    return make(
        InquiryAnswered,
        county=BAOAN,
        at=at,
        inquiry_id=inquiry,
        to_county=HANBIN,
        answer="confirmed",
    )


def asked(at: dt.datetime, kind: str = "certificate", inquiry: str = "q-1") -> InquirySent:
    return make(InquirySent, county=HANBIN, at=at, inquiry_id=inquiry, to_county=BAOAN, kind=kind)


def test_an_answer_kept_fulfils_its_question_at_once_on_time() -> None:
    state, out = run([answered(day(1)), asked(day(3))])  # 2 days apart, within 7
    opened = [o for o in out if isinstance(o, ObligationOpened)]
    fulfilled = [o for o in out if isinstance(o, ObligationFulfilled)]
    assert [(o.kind, o.due_at) for o in opened] == [("inquiry_answer", day(10))]
    assert [(f.late, f.fulfilled_by_publisher) for f in fulfilled] == [(False, f"{BAOAN}/node")]
    assert [ob.state for ob in state.obligations] == ["fulfilled"]
    assert state.early_answers == ()
    assert next_fire(state) is None


def test_the_answer_is_kept_until_the_longest_period_its_question_could_set() -> None:
    state, out = run([answered(day(1))])
    assert out == []
    [kept] = state.early_answers
    assert (kept.kind, kept.responsible, kept.counterpart, kept.ref) == (
        "inquiry_answer",
        BAOAN,
        HANBIN,
        "q-1",
    )
    assert kept.until == day(31)  # the "other" inquiry's 30 days
    assert next_fire(state) == day(31)


def test_no_question_in_time_raises_an_alert_and_lets_the_answer_go() -> None:
    state, _ = run([answered(day(1))])
    state, out = run([tick(day(31))], state=state)  # the window's last instant: still open
    assert out == []
    state, out = run([tick(day(31) + SECOND)], state=state)
    [alert] = out
    assert isinstance(alert, AlertRaised)
    assert alert.kind == "answer_without_question"
    assert alert.counties == (BAOAN, HANBIN)
    assert alert.period == day(1).strftime("%Y-%m")
    assert alert.alert_id == f"answer_without_question:{answered(day(1)).event_id}:{PERSON}"
    assert "无对应提问的答复" in alert.detail
    assert state.early_answers == ()
    again, out = run([tick(day(40))], state=state)
    assert out == []
    assert again == state


def test_a_question_later_than_its_own_period_is_not_answered_by_it() -> None:
    # Certificate inquiry 9 days after the answer: its own period is 7, so no match.
    state, out = run([answered(day(1)), asked(day(10))])
    assert [type(o) for o in out] == [ObligationOpened]
    assert [ob.state for ob in state.obligations] == ["opened"]
    state, out = run([tick(day(17) + SECOND)], state=state)  # its due instant has passed
    assert [type(o) for o in out] == [ObligationBreached]
    state, out = run([tick(day(31) + SECOND)], state=state)
    assert [o.kind for o in out if isinstance(o, AlertRaised)] == ["answer_without_question"]


def test_an_urgent_question_matches_an_answer_up_to_15_days_old() -> None:
    state, out = run([answered(day(1)), asked(day(16), kind="urgent")])
    assert [ob.state for ob in state.obligations] == ["fulfilled"]
    assert [o.late for o in out if isinstance(o, ObligationFulfilled)] == [False]


def test_a_second_answer_to_a_question_already_answered_is_not_kept() -> None:
    state, _ = run([asked(day(1)), answered(day(2)), answered(day(3))])
    assert state.early_answers == ()
    _, out = run([tick(day(60))], state=state)
    assert not [o for o in out if isinstance(o, AlertRaised)]


def test_an_acknowledgement_before_its_birth_record_is_matched_within_15_days() -> None:
    acknowledged = make(
        ReceiptAcknowledged, county=HANBIN, at=day(1), service_id="s-1", to_county=BAOAN
    )
    birth = make(
        ServiceRecorded,
        county=BAOAN,
        at=day(11),
        service_id="s-1",
        origin_county=HANBIN,
        service="birth",
    )
    state, out = run([acknowledged, birth])
    assert [(o.kind, o.due_at) for o in out if isinstance(o, ObligationOpened)] == [
        ("receipt_acknowledgement", day(26))
    ]
    assert [
        (o.late, o.fulfilled_by_publisher) for o in out if isinstance(o, ObligationFulfilled)
    ] == [(False, f"{HANBIN}/node")]
    assert state.early_answers == ()


def test_a_takeover_before_the_move_fulfils_the_takeover_at_once() -> None:
    taken = make(CaseTakenOver, county=YANTA, at=day(2), from_county=BAOAN, by_county=YANTA)
    moved = make(MovedOn, county=BAOAN, at=day(4), from_county=BAOAN, to_county=YANTA)
    state, out = run([taken, moved])
    assert [o.kind for o in out if isinstance(o, ObligationOpened)] == ["case_takeover"]
    assert [o.fulfilled_by_publisher for o in out if isinstance(o, ObligationFulfilled)] == [
        f"{YANTA}/node"
    ]
    assert state.owner == YANTA
    assert state.early_answers == ()


def test_kept_answers_survive_storage() -> None:
    state, _ = run([answered(day(1))])
    assert CaseState.from_json(state.to_json()) == state
