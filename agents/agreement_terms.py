"""Two-way management agreements (双向管理协议) and the terms they set. Pure, no I/O.

An agreement covers flows in the direction it was signed, origin -> destination: the
seed's agreements are made by an origin with the destinations its residents go to, and
the reverse flow is a different relationship that needs its own agreement. Coverage and
the "agreement missing" alert therefore ask about the ordered pair.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from agents import event_ids
from contracts.envelope import Envelope
from contracts.events.agreements import (
    AgreementAmended,
    AgreementRevoked,
    AgreementSigned,
    AgreementTerms,
)


@dataclass(frozen=True, slots=True)
class Defaults:
    """The rules table's defaults; field names match ``AgreementTerms`` so agreements override."""

    arrival_days: int = 30
    origin_confirmation_days: int = 15
    inquiry_certificate_days: int = 7
    inquiry_urgent_days: int = 15
    inquiry_other_days: int = 30
    receipt_days: int = 30
    receipt_urgent_days: int = 15  # pregnancy and birth services are urgent
    handover_days: int = 30
    remind_fraction: float = 0.5  # remind once this share of the period has passed
    escalate_after_days: int = 15  # escalate this long after the due instant

    def resolve(self, terms: AgreementTerms | None, agreement_id: str | None) -> ResolvedTerms:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(Defaults)}
        if terms is not None:
            values.update(terms.model_dump(exclude_none=True))
        return ResolvedTerms(**values, agreement_id=agreement_id)


@dataclass(frozen=True, slots=True)
class ResolvedTerms(Defaults):
    """The terms in force for a pair at an instant, and the agreement they came from (if any)."""

    agreement_id: str | None = None


@dataclass(frozen=True, slots=True)
class Agreement:
    agreement_id: str
    origin: str
    destination: str
    effective_from: dt.datetime
    effective_to: dt.datetime | None
    # (effective_from, terms), in the order received; the signing's terms come first.
    versions: tuple[tuple[dt.datetime, AgreementTerms], ...]
    revoked_at: dt.datetime | None = None

    def covers(self, at: dt.datetime) -> bool:
        if at < self.effective_from:
            return False
        if self.effective_to is not None and at >= self.effective_to:
            return False
        return self.revoked_at is None or at < self.revoked_at

    def terms_at(self, at: dt.datetime) -> AgreementTerms:
        # The latest version already effective; ties go to the later amendment.
        current = self.versions[0][1]
        latest = self.versions[0][0]
        for since, terms in self.versions[1:]:
            if since <= at and since >= latest:
                current, latest = terms, since
        return current


def _empty() -> Mapping[str, Agreement]:
    return MappingProxyType({})


def _no_events() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class AgreementBook:
    """Every agreement seen so far; ``apply`` returns a new book, this one is never changed.

    ``events`` holds the id and fingerprint of every agreement event applied
    (agents.event_ids): an id seen before changes nothing, and any new one changes the book,
    if only by being remembered.
    """

    agreements: Mapping[str, Agreement] = field(default_factory=_empty)
    events: Mapping[str, str] = field(default_factory=_no_events)

    def apply(self, event: Envelope) -> AgreementBook:
        if not isinstance(event, AgreementSigned | AgreementAmended | AgreementRevoked):
            return self
        key = str(event.event_id)
        if key in self.events:
            return self  # a repeat, or an id reused (event_ids.novelty tells which)
        if isinstance(event, AgreementSigned):
            book = self._signed(event)
        elif isinstance(event, AgreementAmended):
            book = self._amended(event)
        else:
            book = self._revoked(event)
        events = MappingProxyType({**self.events, key: event_ids.fingerprint(event)})
        return AgreementBook(book.agreements, events)

    def in_force(self, origin: str, destination: str, at: dt.datetime) -> Agreement | None:
        """The agreement covering flows origin -> destination at ``at``.

        Should two overlap, the one effective latest wins (then the greater id), so the
        answer never depends on the order agreements were signed in.
        """
        candidates = [
            a
            for a in self.agreements.values()
            if a.origin == origin and a.destination == destination and a.covers(at)
        ]
        if not candidates:
            return None
        return max(candidates, key=lambda a: (a.effective_from, a.agreement_id))

    def terms_for(
        self, origin: str, destination: str, at: dt.datetime, defaults: Defaults
    ) -> ResolvedTerms:
        agreement = self.in_force(origin, destination, at)
        if agreement is None:
            return defaults.resolve(None, None)
        return defaults.resolve(agreement.terms_at(at), agreement.agreement_id)

    def _with(self, agreement: Agreement) -> AgreementBook:
        return AgreementBook(
            MappingProxyType({**self.agreements, agreement.agreement_id: agreement}), self.events
        )

    def _signed(self, event: AgreementSigned) -> AgreementBook:
        if event.agreement_id in self.agreements:
            return self  # a re-delivery, or a reused id: the first signing stands
        return self._with(
            Agreement(
                agreement_id=event.agreement_id,
                origin=event.origin_county,
                destination=event.destination_county,
                effective_from=event.effective_from,
                effective_to=event.effective_to,
                versions=((event.effective_from, event.terms),),
            )
        )

    def _amended(self, event: AgreementAmended) -> AgreementBook:
        agreement = self.agreements.get(event.agreement_id)
        if agreement is None or (event.effective_from, event.terms) in agreement.versions:
            return self
        versions = (*agreement.versions, (event.effective_from, event.terms))
        return self._with(dataclasses.replace(agreement, versions=versions))

    def _revoked(self, event: AgreementRevoked) -> AgreementBook:
        agreement = self.agreements.get(event.agreement_id)
        if agreement is None:
            return self
        at = event.effective_at
        if agreement.revoked_at is not None:
            at = min(at, agreement.revoked_at)  # the earliest revocation stands
        return self._with(dataclasses.replace(agreement, revoked_at=at))
