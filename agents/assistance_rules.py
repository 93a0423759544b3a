"""Assistance between counties: inquiries and their answers, services and their receipts.
Pure, no I/O.

- inquiry_sent opens ``inquiry_answer`` on the asked county (certificate / urgent / other
  days); inquiry_answered with the same inquiry id fulfils it.
- service_recorded opens ``receipt_acknowledgement`` on the origin (receipt days; urgent days
  for pregnancy and birth); receipt_acknowledged with the same service id fulfils it.
- An answer with no question yet is kept for it (:mod:`agents.early_answers`).
"""

from __future__ import annotations

from agents import early_answers
from agents.case_state import CaseState, acting_county
from agents.case_step import CaseStep
from contracts.agreement_terms import URGENT_SERVICES, AgreementBook, Defaults
from contracts.events.cooperation import (
    InquiryAnswered,
    InquirySent,
    ReceiptAcknowledged,
    ServiceRecorded,
)


def _pair(state: CaseState, x: str, y: str) -> tuple[str, str]:
    """The flow whose agreement sets terms between x and y: the case's, if it is theirs."""
    origin, destination = state.origin, state.destination
    if origin is not None and destination is not None and {x, y} == {origin, destination}:
        return origin, destination
    return x, y


def inquiry_sent(
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


def inquiry_answered(
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


def service_recorded(
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


def receipt_acknowledged(
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
