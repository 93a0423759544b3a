"""Arrival registration and origin confirmation: the two sides of a move, outflow and
inflow, in whichever order they come. Pure, no I/O.

- outflow A->B opens ``arrival_registration`` on B (arrival days) unless B's inflow came
  first; an outflow matching a pending inflow instead fulfils A's ``origin_confirmation``.
- inflow at B from A fulfils B's open arrival obligation for A; with none it opens
  ``origin_confirmation`` on A (origin confirmation days).
- arrival_not_found fulfils the arrival obligation; origin_answered the origin confirmation.
- An inflow that is the other side of a move on or a return home: :mod:`agents.takeover_rules`.
"""

from __future__ import annotations

from agents.case_moves import pending_flow, record_new_flow, register
from agents.case_state import acting_county
from agents.case_step import CaseStep
from contracts.agreement_terms import AgreementBook, Defaults
from contracts.events.migration import (
    ArrivalNotFound,
    InflowRegistered,
    OriginAnswered,
    OutflowRegistered,
)


def outflow(
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
    step.update(pending_outflow=pending_flow(step, a, b))


def inflow(
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
    step.update(pending_inflow=pending_flow(step, a, b))


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
        record_new_flow(step, origin, destination, book)


def not_found(
    step: CaseStep, event: ArrivalNotFound, book: AgreementBook, defaults: Defaults
) -> None:
    ob = step.find("arrival_registration", acting_county(event), counterpart=event.origin_county)
    step.fulfil_if(ob)
    if ob is not None:
        step.update(pending_outflow=None)


def origin_answered(
    step: CaseStep, event: OriginAnswered, book: AgreementBook, defaults: Defaults
) -> None:
    ob = step.find(
        "origin_confirmation", acting_county(event), counterpart=event.destination_county
    )
    step.fulfil_if(ob)
    if ob is not None:
        step.update(pending_inflow=None)
