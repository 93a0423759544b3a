"""A person's case between counties and the obligations it gives rise to. Pure, no I/O.

``decide(state, event)`` is what the case agent, the replay and the unit tests all call.
Rules as implemented (days come from the agreement in force for the flow, else ``Defaults``):

- outflow A->B opens ``arrival_registration`` on B (arrival days) unless B's inflow came first;
  an outflow matching a pending inflow instead fulfils A's ``origin_confirmation``.
- inflow at B from A fulfils B's open arrival obligation for A; with none it opens
  ``origin_confirmation`` on A (origin confirmation days).
- arrival_not_found fulfils the arrival obligation; origin_answered the origin confirmation.
- inquiry_sent opens ``inquiry_answer`` on the asked county (certificate / urgent / other
  days); inquiry_answered with the same inquiry id fulfils it.
- service_recorded opens ``receipt_acknowledgement`` on the origin (receipt days; urgent days
  for pregnancy and birth); receipt_acknowledged with the same service id fulfils it.
- An answer (inquiry answered, receipt acknowledged, case taken over) that comes before its
  question is kept, and fulfils the question's obligation the moment it opens, if within
  the question's period; otherwise a tick raises ``answer_without_question``
  (``agents.early_answers``).
- moved_on B->C and returned_home B->A open ``case_takeover`` on C / A (handover days); the
  notice itself is B's handover, so no separate handover_notice is opened. B's own open
  arrival or takeover duty is cancelled (the person left before B registered them); if
  already breached, the notice closes it as fulfilled late and the breach stands.
- C's inflow from B matches the move as an inflow matches an outflow: it fulfils C's
  takeover (C's ordinary way of taking a person over is registering them) and opens nothing
  on B, who gave notice by the move. case_taken_over fulfils the takeover too, and moves the
  case owner. Should C register the inflow from B first, B's move is its confirmation: it
  fulfils the ``origin_confirmation`` the inflow opened on B, and no takeover is opened.
- Flows (agreement coverage and the ``agreement_missing`` alert) are moves between counties:
  an outflow or inflow not matching one already seen, and every moved_on and returned_home
  (B->C, B->A) that C's inflow did not already announce. The agreement asked about is the one
  signed for the flow's direction, as for the takeover's terms.
- A county acts through any of its publishers: ``610902/office-440306`` acts for 610902.
  Only the responsible county's act fulfils an obligation.
- An answer after the due instant is fulfilled late; if no tick had breached it yet, the
  breach is derived first, so the outcome does not depend on how ticks interleave.
- Ticks: remind once at ``remind_at`` (if not yet past due), breach once after ``due_at``,
  escalate to the region once after ``escalate_at`` if still unfulfilled.
- An obligation keeps the terms it opened with: amending or revoking the agreement later
  changes only obligations opened afterwards.
- Idempotency: person events are remembered by id, each with a fingerprint of its content
  (``contracts.event_ids``): the same id again is a repeat and changes nothing; whether it
  came with other content (an id reused) the caller asks ``contracts.event_ids.novelty``.
  Ticks are not remembered (that would grow every case with every tick); they are
  idempotent anyway, each transition firing at most once.
- Derived event ids and obligation ids name the person as well as the cause: two cases can
  never share one, even when a county gives two persons' events the same id.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from agents import campaign_rules, early_answers
from agents.case_moves import close_left_duties, flow_pair, handover, leave, register
from agents.case_state import (
    URGENT_SERVICES,
    CaseState,
    CaseStep,
    Derived,
    Flow,
    FlowRecord,
    acting_county,
    period_of,
)
from contracts import event_ids, periods
from contracts.agreement_terms import AgreementBook, Defaults
from contracts.envelope import Envelope
from contracts.events.campaigns import (
    RecordsSplit,
    VerificationResultReported,
)
from contracts.events.clock import ClockTicked
from contracts.events.cooperation import (
    InquiryAnswered,
    InquirySent,
    ReceiptAcknowledged,
    ServiceRecorded,
)
from contracts.events.derived import (
    AlertRaised,
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


def decide(
    state: CaseState | None,
    event: PersonEvent | ClockTicked,
    *,
    book: AgreementBook,
    region: str,
    defaults: Defaults,
    derive: bool = True,
    fingerprint: str | None = None,
) -> tuple[CaseState, list[Derived]]:
    """The case after ``event`` and the obligation events it derives (none if not ``derive``).

    A tick reaches only cases that exist (the agent iterates its table), so a tick without a
    state is a caller's error. ``fingerprint`` is ``event_ids.fingerprint(event)``, if the
    caller has it already. A person event whose id the case holds changes nothing: the very
    same state comes back.
    """
    if isinstance(event, ClockTicked):
        if state is None:
            raise ValueError("a clock tick needs an existing case")
        return _tick(state, event, region, derive)
    if state is None:
        state = CaseState(person_key=event.person_key)
    key = str(event.event_id)
    if key in state.processed:
        return state, []
    step = CaseStep(state, event, region, derive=derive, cause_id=key)
    _apply(step, event, book, defaults)
    early_answers.settle(step, state)
    _touch(step, event, fingerprint or event_ids.fingerprint(event))
    return step.state, step.out


def _touch(step: CaseStep, event: PersonEvent, fingerprint: str) -> None:
    """Remember the event as done, when the record last showed activity and its new flow."""
    state = step.state
    last = state.last_activity
    at = event.occurred_at
    changes: dict[str, Any] = {
        "processed": {**state.processed, step.cause_id: fingerprint},
        "last_activity": at if last is None or at > last else last,
    }
    if step.flow is not None:
        changes["flows"] = (*state.flows, step.flow)
    step.update(**changes)


def _tick(
    state: CaseState, tick: ClockTicked, region: str, derive: bool
) -> tuple[CaseState, list[Derived]]:
    step = CaseStep(state, tick, region, derive=derive)
    now = tick.occurred_at
    for ob in state.open_obligations():
        # Each transition at most once; a tick far past several instants fires them in order.
        if not ob.reminded and not ob.breached and ob.remind_at <= now <= ob.due_at:
            step.remind(ob)
            ob = step.get(ob.obligation_id)
        if not ob.breached and now > ob.due_at:
            step.breach(ob)
            ob = step.get(ob.obligation_id)
        if not ob.escalated and now > ob.escalate_at:
            step.escalate(ob)
    early_answers.expire(step, now)
    return step.state, step.out


def _pair(state: CaseState, x: str, y: str) -> tuple[str, str]:
    """The flow whose agreement sets terms between x and y: the case's, if it is theirs."""
    origin, destination = state.origin, state.destination
    if origin is not None and destination is not None and {x, y} == {origin, destination}:
        return origin, destination
    return x, y


def _outflow(
    step: CaseStep, event: OutflowRegistered, book: AgreementBook, defaults: Defaults
) -> None:
    a, b = event.origin_county, event.destination_county
    _side_of_flow(step, a, b, book)
    pending = step.state.pending_inflow
    step.update(origin=a, destination=b, owner=step.state.owner or a)
    if pending is not None and (pending.origin, pending.destination) == (a, b):
        # The inflow came first: this outflow is the origin's confirmation.
        step.fulfil_if(step.find("origin_confirmation", a, counterpart=b))
        step.update(pending_inflow=None)
        return
    terms = book.terms_for(a, b, event.occurred_at, defaults)
    step.open(
        "arrival_registration", responsible=b, counterpart=a, days=terms.arrival_days, terms=terms
    )
    step.update(pending_outflow=_flow(step, a, b))


def _inflow(
    step: CaseStep, event: InflowRegistered, book: AgreementBook, defaults: Defaults
) -> None:
    a, b = event.origin_county, event.destination_county
    register(step, b, step.cause_id)
    move = step.state.pending_move
    if move is not None and (move.origin, move.destination) == (a, b):
        _inflow_after_move(step, event, a, b)
        return
    _side_of_flow(step, a, b, book)
    step.update(origin=a, destination=b, owner=b)
    waiting = step.find("arrival_registration", b, counterpart=a)
    if waiting is not None and acting_county(event) == b:
        step.fulfil(waiting)
        step.update(pending_outflow=None)
        return
    if acting_county(event) == a:
        # The origin's own outposted office registered the arrival: the origin has nothing
        # to confirm, and the destination's duty to register it stays the destination's.
        return
    terms = book.terms_for(a, b, event.occurred_at, defaults)
    step.open(
        "origin_confirmation",
        responsible=a,
        counterpart=b,
        days=terms.origin_confirmation_days,
        terms=terms,
    )
    step.update(pending_inflow=_flow(step, a, b))


def _inflow_after_move(step: CaseStep, event: InflowRegistered, b: str, c: str) -> None:
    """C registered the person who moved on (or went home) from B: the move's other side.

    The move already counted as the flow, and B gave notice by it: nothing opens on B. The
    registration is C's act of taking the person over, so it fulfils C's takeover; should
    someone else (B's outposted office in C, say) have registered it, C's duty stays C's.
    """
    step.update(pending_move=None)
    if acting_county(event) != c:
        return
    step.fulfil_if(step.find("case_takeover", c, counterpart=b))
    home = c == step.state.origin
    step.update(owner=c, destination=None if home else c)


def _side_of_flow(step: CaseStep, origin: str, destination: str, book: AgreementBook) -> None:
    """An outflow or inflow is a new flow unless the case already is that flow (its other
    side came first)."""
    state = step.state
    if (state.origin, state.destination) != (origin, destination):
        _new_flow(step, origin, destination, book)


def _new_flow(step: CaseStep, origin: str, destination: str, book: AgreementBook) -> None:
    at = step.cause.occurred_at
    step.flow = FlowRecord(
        period=periods.month_text(at),
        origin=origin,
        destination=destination,
        covered=book.in_force(origin, destination, at) is not None,
    )


def _flow(step: CaseStep, origin: str, destination: str) -> Flow:
    return Flow(
        origin=origin, destination=destination, event_id=step.cause_id, at=step.cause.occurred_at
    )


def _not_found(
    step: CaseStep, event: ArrivalNotFound, book: AgreementBook, defaults: Defaults
) -> None:
    ob = step.find("arrival_registration", acting_county(event), counterpart=event.origin_county)
    step.fulfil_if(ob)
    if ob is not None:
        step.update(pending_outflow=None)


def _origin_answered(
    step: CaseStep, event: OriginAnswered, book: AgreementBook, defaults: Defaults
) -> None:
    ob = step.find(
        "origin_confirmation", acting_county(event), counterpart=event.destination_county
    )
    step.fulfil_if(ob)
    if ob is not None:
        step.update(pending_inflow=None)


def _inquiry_sent(
    step: CaseStep, event: InquirySent, book: AgreementBook, defaults: Defaults
) -> None:
    sender = acting_county(event)
    terms = book.terms_for(*_pair(step.state, sender, event.to_county), event.occurred_at, defaults)
    days = {
        "certificate": terms.inquiry_certificate_days,
        "urgent": terms.inquiry_urgent_days,
        "other": terms.inquiry_other_days,
    }[event.kind]
    step.open(
        "inquiry_answer",
        responsible=event.to_county,
        counterpart=sender,
        days=days,
        terms=terms,
        ref=event.inquiry_id,
        urgent=event.kind == "urgent",
    )


def _inquiry_answered(
    step: CaseStep, event: InquiryAnswered, book: AgreementBook, defaults: Defaults
) -> None:
    answerer = acting_county(event)
    ob = step.find("inquiry_answer", answerer, ref=event.inquiry_id)
    if ob is not None:
        step.fulfil(ob)
        return
    pair = _pair(step.state, event.to_county, answerer)
    terms = book.terms_for(*pair, event.occurred_at, defaults)
    days = max(terms.inquiry_certificate_days, terms.inquiry_urgent_days, terms.inquiry_other_days)
    early_answers.keep(
        step,
        "inquiry_answer",
        responsible=answerer,
        counterpart=event.to_county,
        ref=event.inquiry_id,
        days=days,
    )


def _service(
    step: CaseStep, event: ServiceRecorded, book: AgreementBook, defaults: Defaults
) -> None:
    recorder, origin = acting_county(event), event.origin_county
    terms = book.terms_for(*_pair(step.state, origin, recorder), event.occurred_at, defaults)
    urgent = event.service in URGENT_SERVICES
    step.open(
        "receipt_acknowledgement",
        responsible=origin,
        counterpart=recorder,
        days=terms.receipt_urgent_days if urgent else terms.receipt_days,
        terms=terms,
        ref=event.service_id,
        urgent=urgent,
    )


def _receipt(
    step: CaseStep, event: ReceiptAcknowledged, book: AgreementBook, defaults: Defaults
) -> None:
    origin = acting_county(event)
    ob = step.find("receipt_acknowledgement", origin, ref=event.service_id)
    if ob is not None:
        step.fulfil(ob)
        return
    terms = book.terms_for(*_pair(step.state, origin, event.to_county), event.occurred_at, defaults)
    early_answers.keep(
        step,
        "receipt_acknowledgement",
        responsible=origin,
        counterpart=event.to_county,
        ref=event.service_id,
        days=max(terms.receipt_days, terms.receipt_urgent_days),
    )


def _handover(
    step: CaseStep, event: MovedOn | ReturnedHome, book: AgreementBook, defaults: Defaults
) -> None:
    b, c = flow_pair(event)
    inflow = step.state.pending_inflow
    if (
        inflow is not None
        and (inflow.origin, inflow.destination) == (b, c)
        and acting_county(event) == b
    ):
        # C registered the inflow from B first; B's notice of the move confirms it.
        close_left_duties(step, b)
        leave(step, b)
        step.fulfil_if(step.find("origin_confirmation", b, counterpart=c))
        step.update(pending_inflow=None, pending_outflow=None)
        return
    move = step.state.pending_move
    if move is None or (move.origin, move.destination) != (b, c):
        _new_flow(step, b, c, book)
    handover(step, b, c, book, defaults)
    step.update(pending_move=_flow(step, b, c))


def _taken_over(
    step: CaseStep, event: CaseTakenOver, book: AgreementBook, defaults: Defaults
) -> None:
    by = acting_county(event)
    ob = step.find("case_takeover", by, counterpart=event.from_county)
    step.fulfil_if(ob)
    if ob is None and by == event.by_county:  # before the move it takes over
        terms = book.terms_for(event.from_county, by, event.occurred_at, defaults)
        early_answers.keep(
            step,
            "case_takeover",
            responsible=by,
            counterpart=event.from_county,
            ref=None,
            days=terms.handover_days,
        )
    if by == event.by_county:  # only the county itself can take the case over
        home = by == step.state.origin
        step.update(owner=by, destination=None if home else by)


def _apply(step: CaseStep, event: PersonEvent, book: AgreementBook, defaults: Defaults) -> None:
    # A person event with no rule here (a campaign's, say) is remembered and derives nothing.
    match event:
        case OutflowRegistered():
            _outflow(step, event, book, defaults)
        case InflowRegistered():
            _inflow(step, event, book, defaults)
        case ArrivalNotFound():
            _not_found(step, event, book, defaults)
        case OriginAnswered():
            _origin_answered(step, event, book, defaults)
        case InquirySent():
            _inquiry_sent(step, event, book, defaults)
        case InquiryAnswered():
            _inquiry_answered(step, event, book, defaults)
        case ServiceRecorded():
            _service(step, event, book, defaults)
        case ReceiptAcknowledged():
            _receipt(step, event, book, defaults)
        case MovedOn() | ReturnedHome():
            _handover(step, event, book, defaults)
        case CaseTakenOver():
            _taken_over(step, event, book, defaults)
        case VerificationResultReported() | RecordsSplit():
            campaign_rules.apply_answer(step, event, book, defaults)


def missing_agreement_alerts(
    seen_pairs: frozenset[tuple[str, str, str]],
    event: Envelope,
    book: AgreementBook,
    region: str,
    derive: bool = True,
) -> tuple[frozenset[tuple[str, str, str]], list[AlertRaised]]:
    """Raise agreement_missing once per (origin, destination, month) for uncovered flows.

    ``event`` is one that recorded a new flow: an outflow, an inflow, a move on (from, to)
    or a return home (from, home). ``seen_pairs`` is per agent partition; ``alert_id`` names
    the pair and month so that consumers can fold alerts raised by several partitions into
    one. Not ``derive``: the pairs only, no alert.
    """
    if isinstance(event, OutflowRegistered | InflowRegistered):
        a, b = event.origin_county, event.destination_county
    elif isinstance(event, MovedOn | ReturnedHome):
        a, b = flow_pair(event)
    else:
        return seen_pairs, []
    period = period_of(event.occurred_at)
    key = (a, b, period)
    if key in seen_pairs or book.in_force(a, b, event.occurred_at) is not None:
        return seen_pairs, []
    if not derive:
        return seen_pairs | {key}, []
    alert_id = alert_id_of(key)
    step = CaseStep(CaseState(person_key=event.person_key), event, region)
    alert = step.build(
        AlertRaised,
        alert_id,
        "alert",
        alert_id=alert_id,
        kind="agreement_missing",
        counties=(a, b),
        period=period,
        detail=f"no agreement in force for flows {a} -> {b}",
    )
    return seen_pairs | {key}, [alert]


def alert_id_of(pair: tuple[str, str, str]) -> str:
    """The alert id of an (origin, destination, period) that had no agreement in force."""
    a, b, period = pair
    return f"agreement_missing:{a}-{b}:{period}"


def next_fire(state: CaseState) -> dt.datetime | None:
    """The earliest instant at which a tick could change this case, or None if none can.

    The agent keeps an index of these per partition, so a tick only visits cases that are
    due instead of every case in the table.
    """
    instants: list[dt.datetime] = []
    for ob in state.open_obligations():
        if not ob.reminded and not ob.breached:
            instants.append(ob.remind_at)
        if not ob.breached:
            instants.append(ob.due_at)
        if not ob.escalated:
            instants.append(ob.escalate_at)
    kept = early_answers.next_instant(state)
    if kept is not None:
        instants.append(kept)
    return min(instants, default=None)
