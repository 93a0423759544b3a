"""A person's case between counties and the obligations it gives rise to. Pure, no I/O.

``decide(state, event)`` is what the case agent, the replay and the unit tests all call.
Days come from the agreement in force for the flow, else ``Defaults``. The rules, by family:

- arrival registration and origin confirmation (outflows, inflows, their answers):
  :mod:`agents.arrival_rules`;
- inquiries and receipts: :mod:`agents.assistance_rules`;
- moving on, going home, taking a case over: :mod:`agents.takeover_rules`;
- answers to a campaign's verification tasks: :mod:`agents.campaign_results`.

What holds for all of them:

- An answer (inquiry answered, receipt acknowledged, case taken over) that comes before its
  question is kept, and fulfils the question's obligation the moment it opens, if within
  the question's period; otherwise a tick raises ``answer_without_question``
  (``agents.early_answers``).
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

from agents import arrival_rules, assistance_rules, campaign_results, early_answers, takeover_rules
from agents.case_moves import flow_pair
from agents.case_state import CaseState, Derived, period_of
from agents.case_step import CaseStep
from contracts import event_ids
from contracts.agreement_terms import AgreementBook, Defaults
from contracts.envelope import Envelope
from contracts.events.campaigns import RecordsSplit, VerificationResultReported
from contracts.events.clock import ClockTicked
from contracts.events.cooperation import (
    InquiryAnswered,
    InquirySent,
    ReceiptAcknowledged,
    ServiceRecorded,
)
from contracts.events.derived import AlertRaised
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


def _apply(step: CaseStep, event: PersonEvent, book: AgreementBook, defaults: Defaults) -> None:
    # A person event with no rule here (a campaign's, say) is remembered and derives nothing.
    match event:
        case OutflowRegistered():
            arrival_rules.outflow(step, event, book, defaults)
        case InflowRegistered():
            arrival_rules.inflow(step, event, book, defaults)
        case ArrivalNotFound():
            arrival_rules.not_found(step, event, book, defaults)
        case OriginAnswered():
            arrival_rules.origin_answered(step, event, book, defaults)
        case InquirySent():
            assistance_rules.inquiry_sent(step, event, book, defaults)
        case InquiryAnswered():
            assistance_rules.inquiry_answered(step, event, book, defaults)
        case ServiceRecorded():
            assistance_rules.service_recorded(step, event, book, defaults)
        case ReceiptAcknowledged():
            assistance_rules.receipt_acknowledged(step, event, book, defaults)
        case MovedOn() | ReturnedHome():
            takeover_rules.moved(step, event, book, defaults)
        case CaseTakenOver():
            takeover_rules.taken_over(step, event, book, defaults)
        case VerificationResultReported() | RecordsSplit():
            campaign_results.apply_answer(step, event, book, defaults)


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
