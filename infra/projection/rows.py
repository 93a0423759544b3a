"""From a decoded event to the statements it implies: pure, no I/O, unit-tested alone.

The statements live with their tables: the archive, offsets and dead letters
(:mod:`~infra.projection.archive_rows`), the registry, agreements, campaigns, persons,
obligations and the agents' publications (``*_rows`` beside this module); this module says
which an event implies, and is what the store and the projector import.

Each statement is a SQL constant with ``$n`` parameters and its argument tuple. The store
runs ``archive(...)`` first and ``changes(event)`` only when the archive says the event is
new, so every change below is applied once per event id.

Choices, so that a rebuild from the same log always gives the same rows:

- Every time column is event time (``occurred_at`` or a time the event carries).
- Facts read from one partition in order (a person's events, an obligation's lifecycle, the
  broadcast agreement and campaign events, the registry) are applied in that order.
- Facts from different topics may interleave either way, so their statements commute:
  a campaign task's assignment (obligations topic) and its result (validated topic) each
  fill in their own columns; ``persons.first_seen``/``last_seen`` are a min and a max.
- An obligation update (reminded, fulfilled, breached, escalated, cancelled) for an
  obligation not yet opened inserts a **placeholder row** (``kind`` and the other columns
  only ``obligation_opened`` carries are NULL) with the update's state; a later
  ``obligation_opened`` fills those in and keeps the state. State moves are guarded by the
  vocabulary's table (``contracts.obligation_vocabulary.MOVES_FROM``): reminded only from
  opened; breached only from opened or reminded; escalated, fulfilled and cancelled only
  while open (never from fulfilled or cancelled).
- An agreement amended or revoked, or a campaign extended or closed, before it was signed
  or opened changes no row (it is kept in ``events`` only): those events are broadcast and
  signed/opened always precede them on every partition.
- ``persons.current_county`` is where the latest move put the person: the destination of
  an outflow or inflow, ``to_county`` of moved_on, ``home_county`` of returned_home,
  ``by_county`` of case_taken_over, ``moved_to`` of a moved_on verification result. Other
  person events only widen first/last seen.
"""

from __future__ import annotations

from contracts import unions
from contracts.envelope import Envelope
from contracts.events.agreements import AgreementAmended, AgreementRevoked, AgreementSigned
from contracts.events.campaigns import (
    CampaignClosed,
    CampaignExtended,
    CampaignOpened,
    VerificationResultReported,
    VerificationTaskAssigned,
)
from contracts.events.derived import (
    AgreementCoveragePublished,
    AlertRaised,
    DeadLettered,
    ScorecardPublished,
)
from contracts.events.migration import PersonEvent
from contracts.events.registry import CountyRegistered, PublisherRegistered
from infra.projection import (
    agreement_rows,
    archive_rows,
    campaign_rows,
    obligation_rows,
    person_rows,
    published_rows,
    registry_rows,
)
from infra.projection.archive_rows import (
    LOAD_OFFSETS,
    UNDECODABLE_NAMESPACE,
    archive,
    save_offset,
    undecodable,
)
from infra.projection.statements import Position, Statement
from streams.codec import union_members

# What the store and the projector use, importable from here with the dispatch.
__all__ = [
    "LOAD_OFFSETS",
    "UNDECODABLE_NAMESPACE",
    "Position",
    "Statement",
    "archive",
    "changes",
    "save_offset",
    "undecodable",
]

# Events county nodes report (the validated topic): these are what "seen" means for a person.
_REPORTED = frozenset(union_members(unions.CountyEvent).values())


# --- dispatch -----------------------------------------------------------------------------------


def changes(event: Envelope) -> tuple[Statement, ...]:
    """The row changes a new event implies, in the order they are to run."""
    own = _own_changes(event)
    if isinstance(event, PersonEvent) and type(event) in _REPORTED:
        return (*own, person_rows.person_seen(event))
    return own


def _own_changes(event: Envelope) -> tuple[Statement, ...]:
    match event:
        case CountyRegistered():
            return registry_rows.county(event)
        case PublisherRegistered():
            return registry_rows.publisher(event)
        case AgreementSigned():
            return agreement_rows.agreement_signed(event)
        case AgreementAmended():
            return agreement_rows.agreement_amended(event)
        case AgreementRevoked():
            return agreement_rows.agreement_revoked(event)
        case CampaignOpened():
            return campaign_rows.campaign_opened(event)
        case CampaignExtended():
            return campaign_rows.campaign_extended(event)
        case CampaignClosed():
            return campaign_rows.campaign_closed(event)
        case VerificationTaskAssigned():
            return campaign_rows.task_assigned(event)
        case VerificationResultReported():
            return (campaign_rows.task_reported(event),)
        case AlertRaised():
            return published_rows.alert(event)
        case AgreementCoveragePublished():
            return published_rows.coverage(event)
        case ScorecardPublished():
            return published_rows.scorecard(event)
        case DeadLettered():
            return archive_rows.dead_lettered(event)
    return obligation_rows.obligation(
        event
    )  # () for events that only go to the archive (e.g. ticks)
