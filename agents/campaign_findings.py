"""What a clean-up campaign (清理清查) finds on one person's case when it opens. Pure, no I/O.

A campaign covers the cases its counties are party to (origin or destination). When it
opens, each case is checked, at the instant it opened, for the campaign's kinds (every
number is :class:`CampaignRules`):

- ``lost_contact``: an outflow never matched by an arrival for ``lost_contact_days`` (30),
  checked by the destination;
- ``unmatched_arrival``: an arrival never matched by an outflow for
  ``unmatched_arrival_days`` (15), checked by the origin;
- ``duplicate``: active records in two counties at once, one task per later record, checked
  by that record's county;
- ``stale``: an active case with no event for ``stale_days`` (180), checked where the person
  lives (the destination, else the owner);
- ``revoked_agreement``: open obligations under an agreement since revoked, checked by the
  destination.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from agents.case_state import CaseState, Registration
from contracts.agreement_terms import AgreementBook
from contracts.campaign_book import Campaign
from contracts.types import CheckKind


@dataclass(frozen=True, slots=True)
class CampaignRules:
    lost_contact_days: int = 30
    unmatched_arrival_days: int = 15
    stale_days: int = 180


@dataclass(frozen=True, slots=True)
class Finding:
    """An anomaly a campaign found on a case: what to check, by whom, about which record."""

    check: CheckKind
    assignee: str
    counterpart: str
    record_id: str | None = None


def findings(
    state: CaseState,
    campaign: Campaign,
    book: AgreementBook,
    at: dt.datetime,
    rules: CampaignRules,
) -> list[Finding]:
    """The campaign's checks that apply to this case at ``at``, in a fixed order."""
    if state.status == "closed" or not campaign.counties & _parties(state):
        return []
    found: list[Finding] = []
    checks = set(campaign.checks)
    out = state.pending_outflow
    if (
        "lost_contact" in checks
        and out is not None
        and at - out.at >= dt.timedelta(days=rules.lost_contact_days)
    ):
        found.append(Finding("lost_contact", out.destination, out.origin, out.event_id))
    inflow = state.pending_inflow
    if (
        "unmatched_arrival" in checks
        and inflow is not None
        and at - inflow.at >= dt.timedelta(days=rules.unmatched_arrival_days)
    ):
        found.append(
            Finding("unmatched_arrival", inflow.origin, inflow.destination, inflow.event_id)
        )
    if "duplicate" in checks:
        active = sorted((r for r in state.registrations if r.active), key=_record_order)
        for later in active[1:]:
            found.append(Finding("duplicate", later.county, active[0].county, later.record_id))
    home = state.destination or state.owner
    if "stale" in checks and state.status == "active" and home is not None:
        last = state.last_activity
        if last is not None and at - last >= dt.timedelta(days=rules.stale_days):
            found.append(Finding("stale", home, state.origin or home))
    if "revoked_agreement" in checks and state.destination is not None:
        revoked = {
            ob.agreement_id
            for ob in state.open_obligations()
            if ob.agreement_id is not None and _revoked(book, ob.agreement_id, at)
        }
        for agreement_id in sorted(revoked):
            found.append(
                Finding(
                    "revoked_agreement",
                    state.destination,
                    state.origin or state.destination,
                    agreement_id,
                )
            )
    return found


def _parties(state: CaseState) -> set[str]:
    return {c for c in (state.origin, state.destination, state.owner) if c is not None} | {
        r.county for r in state.registrations
    }


def _record_order(record: Registration) -> tuple[dt.datetime, str]:
    return record.since, record.record_id


def _revoked(book: AgreementBook, agreement_id: str, at: dt.datetime) -> bool:
    agreement = book.agreements.get(agreement_id)
    return agreement is not None and agreement.revoked_at is not None and agreement.revoked_at <= at
