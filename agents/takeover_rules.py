"""Moving on, going home and taking a case over. Pure, no I/O.

- moved_on B->C and returned_home B->A open ``case_takeover`` on C / A (handover days); the
  notice itself is B's handover, so no separate handover_notice is opened. B's own open
  arrival or takeover duty is cancelled (the person left before B registered them); if
  already breached, the notice closes it as fulfilled late and the breach stands.
- C's inflow from B matches the move as an inflow matches an outflow: it fulfils C's
  takeover (C's ordinary way of taking a person over is registering them) and opens nothing
  on B, who gave notice by the move (:mod:`agents.arrival_rules`). case_taken_over fulfils
  the takeover too, and moves the case owner. Should C register the inflow from B first,
  B's move is its confirmation: it fulfils the ``origin_confirmation`` the inflow opened on
  B, and no takeover is opened.
"""

from __future__ import annotations

from agents import early_answers
from agents.case_moves import (
    close_left_duties,
    flow_pair,
    handover,
    leave,
    pending_flow,
    record_new_flow,
)
from agents.case_state import acting_county
from agents.case_step import CaseStep
from contracts.agreement_terms import AgreementBook, Defaults
from contracts.events.migration import CaseTakenOver, MovedOn, ReturnedHome


def moved(
    step: CaseStep, event: MovedOn | ReturnedHome, book: AgreementBook, defaults: Defaults
) -> None:
    """B's notice that the person moved on to C, or went home to C."""
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
        record_new_flow(step, b, c, book)
    handover(step, b, c, book, defaults)
    step.update(pending_move=pending_flow(step, b, c))


def taken_over(
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
