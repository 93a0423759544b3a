"""Moves of a person between counties, as both the person-event rules and the campaign
rules make them: registered in a county, leaving it, handed over to the next, and each move
recorded as a flow. Pure, no I/O.
"""

from __future__ import annotations

from agents.case_state import Flow, FlowRecord, Registration
from agents.case_step import CaseStep
from contracts import periods
from contracts.agreement_terms import AgreementBook, Defaults
from contracts.events.migration import (
    MovedOn,
    ReturnedHome,
)


def register(step: CaseStep, county: str, record_id: str) -> None:
    """The person is registered as living in ``county``, unless a record there is active."""
    if any(r.active and r.county == county for r in step.state.registrations):
        return
    record = Registration(record_id=record_id, county=county, since=step.cause.occurred_at)
    step.update(registrations=(*step.state.registrations, record))


def leave(step: CaseStep, county: str) -> None:
    """The person no longer lives in ``county``: its records there lapse."""
    step.update(
        registrations=tuple(
            r.evolve(active=False) if r.active and r.county == county else r
            for r in step.state.registrations
        )
    )


def flow_pair(event: MovedOn | ReturnedHome) -> tuple[str, str]:
    """The (from, to) counties of a move on or a return home."""
    if isinstance(event, MovedOn):
        return event.from_county, event.to_county
    return event.from_county, event.home_county


def handover(step: CaseStep, b: str, c: str, book: AgreementBook, defaults: Defaults) -> None:
    """The person left ``b`` for ``c`` (another county, or home): ``c`` takes the case over."""
    close_left_duties(step, b)
    leave(step, b)
    terms = book.terms_for(b, c, step.cause.occurred_at, defaults)
    step.open("case_takeover", responsible=c, counterpart=b, days=terms.handover_days, terms=terms)
    step.update(destination=c, pending_outflow=None)


def close_left_duties(step: CaseStep, county: str) -> None:
    """The person left ``county``: its duties to register or take them over lapse."""
    for ob in step.state.open_obligations():
        if ob.responsible != county or ob.kind not in ("arrival_registration", "case_takeover"):
            continue
        if ob.breached:
            step.fulfil(ob)  # the notice is the county's (late) answer; the breach stands
        else:
            step.cancel(ob, f"the person left {county} before it was due")


def record_new_flow(step: CaseStep, origin: str, destination: str, book: AgreementBook) -> None:
    """The step's cause tells of a move not seen before: counted once for agreement coverage."""
    at = step.cause.occurred_at
    step.flow = FlowRecord(
        period=periods.month_text(at),
        origin=origin,
        destination=destination,
        covered=book.in_force(origin, destination, at) is not None,
    )


def pending_flow(step: CaseStep, origin: str, destination: str) -> Flow:
    """The step's cause as one side of a move, waiting for the other side."""
    return Flow(
        origin=origin, destination=destination, event_id=step.cause_id, at=step.cause.occurred_at
    )
