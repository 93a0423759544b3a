"""The rules table as decision functions: each row, and the cases around it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from agents.case_rules import decide, missing_agreement_alerts
from agents.case_state import CaseState, Derived, acting_county, period_of
from contracts.agreement_terms import AgreementBook, Defaults
from contracts.events.agreements import (
    AgreementAmended,
    AgreementRevoked,
    AgreementSigned,
    AgreementTerms,
)
from contracts.events.clock import ClockTicked
from contracts.events.cooperation import (
    InquiryAnswered,
    InquirySent,
    ReceiptAcknowledged,
    ServiceRecorded,
)
from contracts.events.derived import (
    ObligationBreached,
    ObligationCancelled,
    ObligationFulfilled,
    ObligationOpened,
)
from contracts.events.migration import (
    ArrivalNotFound,
    CaseTakenOver,
    InflowRegistered,
    MovedOn,
    OriginAnswered,
    OutflowRegistered,
    PersonEvent,
    ReturnedHome,
)
from tests.unit.case_fixtures import (
    BAOAN,
    HANBIN,
    HANYIN,
    PERSON,
    REGION,
    T0,
    YANTA,
    day,
    kinds,
    make,
    run,
)
from tests.unit.case_fixtures import tick as tick_at


def outflow(a: str = HANBIN, b: str = BAOAN, at: dt.datetime = T0) -> OutflowRegistered:
    return make(OutflowRegistered, county=a, at=at, origin_county=a, destination_county=b)


def inflow(a: str = HANBIN, b: str = BAOAN, at: dt.datetime = T0) -> InflowRegistered:
    return make(InflowRegistered, county=b, at=at, origin_county=a, destination_county=b)


def moved_on(b: str, c: str, at: dt.datetime) -> MovedOn:
    return make(MovedOn, county=b, at=at, from_county=b, to_county=c)


def taken_over(b: str, c: str, at: dt.datetime) -> CaseTakenOver:
    return make(CaseTakenOver, county=c, at=at, from_county=b, by_county=c)


def opened(derived: list[Derived]) -> list[ObligationOpened]:
    return [d for d in derived if isinstance(d, ObligationOpened)]


def signed(arrival_days: int = 10, *, at: dt.datetime = T0) -> tuple[AgreementSigned, ...]:
    """The agreement as both parties sign it (it binds only then)."""
    terms = AgreementTerms(arrival_days=arrival_days, remind_fraction=0.2, escalate_after_days=5)
    return tuple(
        make(
            AgreementSigned,
            county=party,
            at=at,
            person=False,
            agreement_id="hanbin-baoan-2026",
            origin_county=HANBIN,
            destination_county=BAOAN,
            effective_from=at,
            terms=terms,
        )
        for party in (HANBIN, BAOAN)
    )


def book_of(*events: AgreementSigned | AgreementAmended | AgreementRevoked) -> AgreementBook:
    book = AgreementBook()
    for event in events:
        book = book.apply(event)
    return book


# Row 1: an outflow A -> B obliges B to register the arrival (or report it not found).


def test_outflow_opens_arrival_registration_on_destination() -> None:
    cause = outflow()
    state, derived = run([cause])
    [ob] = derived
    assert isinstance(ob, ObligationOpened)
    assert (ob.kind, ob.responsible_county, ob.counterpart_county) == (
        "arrival_registration",
        BAOAN,
        HANBIN,
    )
    assert (ob.due_at, ob.remind_at, ob.escalate_at) == (day(30), day(15), day(45))
    assert ob.agreement_id is None
    # Derived events: the region's, in event time, naming their cause.
    assert (ob.source_county, ob.publisher_id) == (REGION, f"{REGION}/agents")
    assert ob.occurred_at == cause.occurred_at
    assert (ob.causation_id, ob.correlation_id) == (cause.event_id, cause.correlation_id)
    assert state.pending_outflow is not None
    assert (state.origin, state.destination, state.owner) == (HANBIN, BAOAN, HANBIN)


def test_inflow_fulfils_the_arrival_on_time() -> None:
    state, derived = run([outflow(), inflow(at=day(10))])
    assert kinds(derived) == [
        ("obligation_opened", "arrival_registration"),
        ("obligation_fulfilled", "arrival_registration"),
    ]
    fulfilled = derived[1]
    assert isinstance(fulfilled, ObligationFulfilled)
    assert not fulfilled.late
    assert fulfilled.fulfilled_by_publisher == f"{BAOAN}/node"
    assert state.owner == BAOAN
    assert state.pending_outflow is None
    assert state.open_obligations() == ()


def test_arrival_not_found_fulfils_the_arrival() -> None:
    not_found = make(
        ArrivalNotFound, county=BAOAN, at=day(5), origin_county=HANBIN, destination_county=BAOAN
    )
    state, derived = run([outflow(), not_found])
    assert kinds(derived)[-1] == ("obligation_fulfilled", "arrival_registration")
    assert state.open_obligations() == ()


# Row 2: an inflow with no matching outflow obliges the origin to confirm or deny.


@pytest.mark.parametrize("answer", ["confirmed", "not_ours"])
def test_unmatched_inflow_opens_origin_confirmation(answer: str) -> None:
    reply = make(
        OriginAnswered,
        county=HANBIN,
        at=day(14),
        origin_county=HANBIN,
        destination_county=BAOAN,
        answer=answer,
    )
    state, derived = run([inflow(), reply])
    [ob] = opened(derived)
    assert (ob.kind, ob.responsible_county, ob.due_at) == ("origin_confirmation", HANBIN, day(15))
    assert kinds(derived)[-1] == ("obligation_fulfilled", "origin_confirmation")
    assert state.pending_inflow is None


def test_inflow_before_outflow_is_matched_by_the_outflow() -> None:
    state, derived = run([inflow(), outflow(at=day(2))])
    assert kinds(derived) == [
        ("obligation_opened", "origin_confirmation"),
        ("obligation_fulfilled", "origin_confirmation"),
    ]
    assert state.pending_inflow is None
    assert state.pending_outflow is None
    assert state.owner == BAOAN


# Row 3: an inquiry obliges the asked county to answer: 7 / 15 / 30 days by kind.


@pytest.mark.parametrize(("kind", "days"), [("certificate", 7), ("urgent", 15), ("other", 30)])
def test_inquiry_opens_and_its_answer_fulfils(kind: str, days: int) -> None:
    sent = make(InquirySent, county=BAOAN, at=T0, inquiry_id="q-1", to_county=HANBIN, kind=kind)
    answered = make(
        InquiryAnswered,
        county=HANBIN,
        at=day(days),
        inquiry_id="q-1",
        to_county=BAOAN,
        answer="confirmed",
    )
    other = make(
        InquiryAnswered,
        county=HANBIN,
        at=day(1),
        inquiry_id="q-2",
        to_county=BAOAN,
        answer="denied",
    )
    state, derived = run([sent, other, answered])
    [ob] = opened(derived)
    assert (ob.responsible_county, ob.counterpart_county) == (HANBIN, BAOAN)
    assert ob.due_at == day(days)
    assert ob.urgent == (kind == "urgent")
    assert kinds(derived) == [
        ("obligation_opened", "inquiry_answer"),
        ("obligation_fulfilled", "inquiry_answer"),
    ]  # the answer to another inquiry fulfils nothing; on the due instant is on time
    assert state.open_obligations() == ()


# Row 4: a service recorded at B obliges the origin to sign for it: 30 days, 15 if urgent.


@pytest.mark.parametrize(("service", "days"), [("pregnancy", 15), ("birth", 15), ("check_up", 30)])
def test_service_opens_receipt_and_acknowledgement_fulfils(service: str, days: int) -> None:
    recorded = make(
        ServiceRecorded,
        county=BAOAN,
        at=T0,
        service_id="s-1",
        origin_county=HANBIN,
        service=service,
    )
    ack = make(ReceiptAcknowledged, county=HANBIN, at=day(3), service_id="s-1", to_county=BAOAN)
    _, derived = run([recorded, ack])
    [ob] = opened(derived)
    assert (ob.kind, ob.responsible_county, ob.due_at) == (
        "receipt_acknowledgement",
        HANBIN,
        day(days),
    )
    assert kinds(derived)[-1] == ("obligation_fulfilled", "receipt_acknowledgement")


def test_outposted_office_fulfils_its_own_countys_obligation() -> None:
    office = f"{HANBIN}/office-{BAOAN}"
    recorded = make(
        ServiceRecorded,
        county=BAOAN,
        at=T0,
        service_id="s-9",
        origin_county=HANBIN,
        service="birth",
    )
    stranger = make(
        ReceiptAcknowledged, county=HANYIN, at=day(1), service_id="s-9", to_county=BAOAN
    )
    ack = make(
        ReceiptAcknowledged,
        county=HANBIN,
        publisher=office,
        at=day(2),
        service_id="s-9",
        to_county=BAOAN,
    )
    assert acting_county(ack) == HANBIN
    _, derived = run([recorded, stranger, ack])
    fulfilled = [d for d in derived if isinstance(d, ObligationFulfilled)]
    assert len(fulfilled) == 1  # another county's act cannot discharge 610902's duty
    assert fulfilled[0].responsible_county == HANBIN
    assert fulfilled[0].fulfilled_by_publisher == office


# Row 5: moving on, or returning home, hands the case over.


def test_move_on_chain_hands_the_case_along() -> None:
    events: list[PersonEvent | ClockTicked] = [
        outflow(),
        inflow(at=day(3)),
        moved_on(BAOAN, YANTA, day(40)),
        taken_over(BAOAN, YANTA, day(45)),
        moved_on(YANTA, HANYIN, day(100)),
        taken_over(YANTA, HANYIN, day(140)),  # 40 days: late
    ]
    state, derived = run(events)
    takeovers = [d for d in opened(derived) if d.kind == "case_takeover"]
    assert [(o.responsible_county, o.counterpart_county, o.due_at) for o in takeovers] == [
        (YANTA, BAOAN, day(70)),
        (HANYIN, YANTA, day(130)),
    ]
    fulfilled = [d for d in derived if isinstance(d, ObligationFulfilled)]
    assert [(f.responsible_county, f.late) for f in fulfilled] == [
        (BAOAN, False),
        (YANTA, False),
        (HANYIN, True),
    ]
    assert (state.origin, state.destination, state.owner) == (HANBIN, HANYIN, HANYIN)
    assert state.open_obligations() == ()


def test_move_on_cancels_the_leaving_countys_open_arrival() -> None:
    state, derived = run([outflow(), moved_on(BAOAN, YANTA, day(10))])
    cancelled = [d for d in derived if isinstance(d, ObligationCancelled)]
    assert [c.responsible_county for c in cancelled] == [BAOAN]
    assert [o.kind for o in state.open_obligations()] == ["case_takeover"]


def test_move_on_after_breach_closes_it_late_and_the_breach_stands() -> None:
    state, derived = run([outflow(), tick_at(day(31)), moved_on(BAOAN, YANTA, day(35))])
    assert ("obligation_breached", "arrival_registration") in kinds(derived)
    arrival = state.obligations[0]
    assert (arrival.state, arrival.breached, arrival.late) == ("fulfilled", True, True)


def test_return_home_hands_the_case_back_to_the_origin() -> None:
    home = make(ReturnedHome, county=BAOAN, at=day(50), from_county=BAOAN, home_county=HANBIN)
    state, derived = run([outflow(), inflow(at=day(1)), home, taken_over(BAOAN, HANBIN, day(60))])
    takeover = opened(derived)[-1]
    assert (takeover.kind, takeover.responsible_county, takeover.due_at) == (
        "case_takeover",
        HANBIN,
        day(80),
    )
    assert kinds(derived)[-1] == ("obligation_fulfilled", "case_takeover")
    assert (state.owner, state.destination) == (HANBIN, None)


def test_the_inflow_where_the_person_moved_takes_the_case_over() -> None:
    """A -> B, B moves the person on to C, C registers the inflow from B: C's takeover is
    fulfilled by it, and nothing is opened on B (its move was the notice)."""
    events: list[PersonEvent | ClockTicked] = [
        outflow(),
        inflow(at=day(3)),
        moved_on(BAOAN, YANTA, day(40)),
        inflow(BAOAN, YANTA, day(45)),
    ]
    state, derived = run(events)
    assert [(o.kind, o.responsible_county) for o in opened(derived)] == [
        ("arrival_registration", BAOAN),
        ("case_takeover", YANTA),
    ]
    fulfilled = [d for d in derived if isinstance(d, ObligationFulfilled)]
    assert [(f.obligation_id.split(":")[0], f.responsible_county, f.late) for f in fulfilled] == [
        ("arrival_registration", BAOAN, False),
        ("case_takeover", YANTA, False),
    ]
    assert state.open_obligations() == ()
    assert (state.origin, state.destination, state.owner) == (HANBIN, YANTA, YANTA)
    assert state.pending_move is None
    # Two flows: the outflow (its inflow matched it) and the move (C's inflow is its other
    # side).
    assert [(f.origin, f.destination) for f in state.flows] == [(HANBIN, BAOAN), (BAOAN, YANTA)]


def test_a_late_inflow_after_a_move_fulfils_the_takeover_late() -> None:
    events: list[PersonEvent | ClockTicked] = [
        outflow(),
        inflow(at=day(3)),
        moved_on(BAOAN, YANTA, day(40)),
        tick_at(day(71)),
        inflow(BAOAN, YANTA, day(75)),
    ]
    state, _derived = run(events)
    takeover = next(o for o in state.obligations if o.kind == "case_takeover")
    assert (takeover.state, takeover.breached, takeover.late) == ("fulfilled", True, True)
    assert not any(o.kind == "origin_confirmation" for o in state.obligations)


def test_case_taken_over_still_fulfils_and_a_later_inflow_opens_nothing() -> None:
    events: list[PersonEvent | ClockTicked] = [
        outflow(),
        inflow(at=day(3)),
        moved_on(BAOAN, YANTA, day(40)),
        taken_over(BAOAN, YANTA, day(42)),
        inflow(BAOAN, YANTA, day(44)),
    ]
    state, derived = run(events)
    assert [o.kind for o in opened(derived)] == ["arrival_registration", "case_takeover"]
    assert state.open_obligations() == ()
    assert len(state.flows) == 2


def test_an_inflow_from_elsewhere_than_the_move_is_its_own_flow() -> None:
    events: list[PersonEvent | ClockTicked] = [
        outflow(),
        inflow(at=day(3)),
        moved_on(BAOAN, YANTA, day(40)),
        inflow(HANYIN, YANTA, day(45)),  # not the move's origin: unrelated to it
    ]
    state, derived = run(events)
    assert [(o.kind, o.responsible_county) for o in opened(derived)][-1] == (
        "origin_confirmation",
        HANYIN,
    )
    assert [o.kind for o in state.open_obligations()] == ["case_takeover", "origin_confirmation"]


def test_the_moves_origins_office_registering_it_leaves_the_takeover_open() -> None:
    office = make(
        InflowRegistered,
        county=BAOAN,
        publisher=f"{BAOAN}/office-{YANTA}",
        at=day(45),
        origin_county=BAOAN,
        destination_county=YANTA,
    )
    state, _derived = run([outflow(), inflow(at=day(3)), moved_on(BAOAN, YANTA, day(40)), office])
    assert [o.kind for o in state.open_obligations()] == ["case_takeover"]
    assert not any(o.kind == "origin_confirmation" for o in state.obligations)


def test_an_inflow_registered_before_the_move_is_confirmed_by_it() -> None:
    """C registers the person from B first (B is asked to confirm); B's notice of the move
    then confirms it, and no takeover is opened on C, who registered them already."""
    events: list[PersonEvent | ClockTicked] = [
        outflow(),
        inflow(at=day(3)),
        inflow(BAOAN, YANTA, day(40)),
        moved_on(BAOAN, YANTA, day(42)),
    ]
    state, derived = run(events)
    assert [(o.kind, o.responsible_county) for o in opened(derived)] == [
        ("arrival_registration", BAOAN),
        ("origin_confirmation", BAOAN),
    ]
    assert kinds(derived)[-1] == ("obligation_fulfilled", "origin_confirmation")
    assert state.open_obligations() == ()
    assert [(f.origin, f.destination) for f in state.flows] == [(HANBIN, BAOAN), (BAOAN, YANTA)]


def test_moves_and_returns_home_are_flows() -> None:
    back = make(ReturnedHome, county=YANTA, at=day(60), from_county=YANTA, home_county=HANBIN)
    book = book_of(*signed())
    state, _ = run([outflow(), inflow(at=day(3)), moved_on(BAOAN, YANTA, day(40)), back], book=book)
    assert [(f.origin, f.destination, f.covered, f.period) for f in state.flows] == [
        (HANBIN, BAOAN, True, "2026-03"),
        (BAOAN, YANTA, False, "2026-04"),
        (YANTA, HANBIN, False, "2026-05"),
    ]
    seen: frozenset[tuple[str, str, str]] = frozenset()
    raised = []
    for event in (moved_on(BAOAN, YANTA, day(40)), back):
        seen, alerts = missing_agreement_alerts(seen, event, book, REGION)
        raised += alerts
    assert [(a.counties, a.period, a.alert_id) for a in raised] == [
        ((BAOAN, YANTA), "2026-04", f"agreement_missing:{BAOAN}-{YANTA}:2026-04"),
        ((YANTA, HANBIN), "2026-05", f"agreement_missing:{YANTA}-{HANBIN}:2026-05"),
    ]


# Deadlines on the logical clock.


def test_remind_breach_escalate_each_fire_once_over_many_ticks() -> None:
    ticks: list[PersonEvent | ClockTicked] = [tick_at(day(n / 2)) for n in range(0, 140)]
    _, derived = run([outflow(), *ticks, *ticks])  # and every tick delivered twice
    assert kinds(derived) == [
        ("obligation_opened", "arrival_registration"),
        ("obligation_reminded", "arrival_registration"),
        ("obligation_breached", "arrival_registration"),
        ("obligation_escalated", "arrival_registration"),
    ]
    # remind at >= 15 days; breach strictly after 30; escalate strictly after 45.
    assert [d.occurred_at for d in derived[1:]] == [day(15), day(30.5), day(45.5)]


def test_one_late_tick_fires_breach_and_escalation_but_no_stale_reminder() -> None:
    _, derived = run([outflow(), tick_at(day(60))])
    assert [k for k, _ in kinds(derived)] == [
        "obligation_opened",
        "obligation_breached",
        "obligation_escalated",
    ]


def test_answer_after_breach_is_fulfilled_late_and_the_breach_stands() -> None:
    state, derived = run([outflow(), tick_at(day(31)), inflow(at=day(35)), tick_at(day(50))])
    assert kinds(derived) == [
        ("obligation_opened", "arrival_registration"),
        ("obligation_breached", "arrival_registration"),
        ("obligation_fulfilled", "arrival_registration"),
    ]  # fulfilled before the escalation instant: no escalation
    fulfilled = derived[2]
    assert isinstance(fulfilled, ObligationFulfilled)
    assert fulfilled.late
    [arrival] = state.obligations
    assert (arrival.state, arrival.breached, arrival.late) == ("fulfilled", True, True)


def test_late_answer_before_any_tick_still_records_the_breach() -> None:
    _, derived = run([outflow(), inflow(at=day(33))])
    breach, fulfilled = derived[1:]
    assert isinstance(breach, ObligationBreached)
    assert isinstance(fulfilled, ObligationFulfilled)
    assert fulfilled.late


# Agreements.


def test_terms_overridden_by_an_agreement() -> None:
    state, derived = run([outflow()], book=book_of(*signed(arrival_days=10)))
    [ob] = opened(derived)
    assert (ob.due_at, ob.remind_at, ob.escalate_at) == (day(10), day(2), day(15))
    assert ob.agreement_id == "hanbin-baoan-2026"
    # Terms the agreement leaves out keep the defaults.
    assert state.obligations[0].agreement_id == "hanbin-baoan-2026"
    terms = book_of(*signed()).terms_for(HANBIN, BAOAN, day(1), Defaults())
    assert (terms.arrival_days, terms.origin_confirmation_days) == (10, 15)


def test_agreement_covers_its_signed_direction_only() -> None:
    book = book_of(*signed())
    assert book.in_force(HANBIN, BAOAN, day(1)) is not None
    assert book.in_force(BAOAN, HANBIN, day(1)) is None
    assert book.in_force(HANBIN, BAOAN, T0 - dt.timedelta(seconds=1)) is None


def test_amendment_applies_from_its_effective_instant() -> None:
    amended = [
        make(
            AgreementAmended,
            county=party,
            at=day(5),
            person=False,
            agreement_id="hanbin-baoan-2026",
            effective_from=day(20),
            terms=AgreementTerms(arrival_days=20),
        )
        for party in (HANBIN, BAOAN)
    ]
    book = book_of(*signed(), *amended, *amended)  # a re-delivered amendment changes nothing
    assert book.terms_for(HANBIN, BAOAN, day(19), Defaults()).arrival_days == 10
    assert book.terms_for(HANBIN, BAOAN, day(20), Defaults()).arrival_days == 20
    assert len(book.agreements["hanbin-baoan-2026"].versions) == 2


def test_agreement_revoked_mid_case_keeps_the_opened_terms() -> None:
    revoked = make(
        AgreementRevoked,
        county=HANBIN,
        at=day(3),
        person=False,
        agreement_id="hanbin-baoan-2026",
        effective_at=day(3),
    )
    first = run([outflow()], book=book_of(*signed()))[0]
    after = book_of(*signed(), revoked)
    assert after.in_force(HANBIN, BAOAN, day(4)) is None
    sent = make(
        InquirySent, county=BAOAN, at=day(4), inquiry_id="q-7", to_county=HANBIN, kind="other"
    )
    state, derived = run([sent, tick_at(day(11))], book=after, state=first)
    [inquiry] = opened(derived)
    assert (inquiry.agreement_id, inquiry.due_at) == (None, day(34))  # defaults after revocation
    # The arrival obligation keeps its agreement's 10 days: it breaches on day 11.
    assert kinds(derived)[-1] == ("obligation_breached", "arrival_registration")
    assert state.obligations[0].agreement_id == "hanbin-baoan-2026"


def test_missing_agreement_alert_once_per_pair_and_month() -> None:
    book = book_of(*signed())
    seen: frozenset[tuple[str, str, str]] = frozenset()
    flows: list[PersonEvent] = [
        outflow(HANBIN, YANTA, day(1)),  # March: alert
        inflow(HANBIN, YANTA, day(2)),  # same pair, same month: none
        outflow(HANBIN, BAOAN, day(2)),  # covered: none
        inflow(BAOAN, HANBIN, day(3)),  # the reverse direction is not covered: alert
        outflow(HANBIN, YANTA, day(31)),  # April: alert again
        make(InquirySent, county=BAOAN, at=T0, inquiry_id="q", to_county=HANBIN, kind="other"),
    ]
    alerts = []
    for event in flows:
        seen, raised = missing_agreement_alerts(seen, event, book, REGION)
        alerts.extend(raised)
    assert [(a.counties, a.period) for a in alerts] == [
        ((HANBIN, YANTA), "2026-03"),
        ((BAOAN, HANBIN), "2026-03"),
        ((HANBIN, YANTA), "2026-04"),
    ]
    assert all(a.kind == "agreement_missing" and a.source_county == REGION for a in alerts)
    assert alerts[0].causation_id == flows[0].event_id
    again = missing_agreement_alerts(frozenset(), flows[0], book, REGION)[1]
    assert again == alerts[:1]  # deterministic id and content


# Idempotency, determinism, persistence.


def test_duplicate_delivery_changes_nothing() -> None:
    event = outflow()
    state, _ = run([event])
    again, derived = decide(state, event, book=AgreementBook(), region=REGION, defaults=Defaults())
    assert derived == []
    assert again == state


def _scenario() -> list[PersonEvent | ClockTicked]:
    return [
        outflow(),
        tick_at(day(20)),
        make(
            InquirySent, county=BAOAN, at=day(21), inquiry_id="q-3", to_county=HANBIN, kind="urgent"
        ),
        tick_at(day(40)),
        inflow(at=day(41)),
        moved_on(BAOAN, YANTA, day(60)),
        tick_at(day(120)),
    ]


def test_same_inputs_give_identical_derived_events() -> None:
    book = book_of(*signed())
    first_state, first = run(_scenario(), book=book)
    second_state, second = run(_scenario(), book=book)
    assert first == second
    assert [d.event_id for d in first] == [d.event_id for d in second]
    assert len({d.event_id for d in first}) == len(first)
    assert first_state == second_state


def test_state_round_trips_through_json() -> None:
    state, _ = run(_scenario(), book=book_of(*signed()))
    data = json.loads(json.dumps(state.to_dict()))
    assert CaseState.from_dict(data) == state
    assert data["person_key"] == PERSON


def test_tick_without_a_case_is_refused() -> None:
    with pytest.raises(ValueError, match="existing case"):
        decide(None, tick_at(T0), book=AgreementBook(), region=REGION, defaults=Defaults())


def test_evolve_is_an_unvalidated_model_copy() -> None:
    state, _ = run(_scenario(), book=book_of(*signed()))
    changes = {"owner": YANTA, "obligations": state.obligations[:1], "status": "closed"}
    evolved = state.evolve(**changes)
    assert evolved == state.model_copy(update=changes)
    assert evolved.to_json() == state.model_copy(update=changes).to_json()
    assert CaseState.from_json(evolved.to_json()) == evolved
    assert state.owner != YANTA  # the original is untouched
    with pytest.raises(TypeError, match="no field"):
        state.evolve(onwer=YANTA)


@pytest.mark.parametrize(
    "at",
    [
        dt.datetime(2026, 3, 31, 23, 59, tzinfo=dt.UTC),
        dt.datetime(2026, 4, 1, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),  # March, UTC
        dt.datetime(999, 12, 31, tzinfo=dt.UTC),
    ],
)
def test_period_of_is_the_utc_month_as_strftime_gives_it(at: dt.datetime) -> None:
    assert period_of(at) == at.astimezone(dt.UTC).strftime("%Y-%m")
