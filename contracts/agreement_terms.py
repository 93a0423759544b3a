"""Two-way management agreements (双向管理协议) and the terms they set. Pure, no I/O.

An agreement covers flows in the direction it was signed, origin -> destination: the
seed's agreements are made by an origin with the destinations its residents go to, and
the reverse flow is a different relationship that needs its own agreement. Coverage and
the "agreement missing" alert therefore ask about the ordered pair.

An agreement is bilateral. It binds once both counties have signed the same
``agreement_signed`` (same counties, period and terms), or once the region has signed it;
until then it is pending, and :meth:`AgreementBook.status` says what it waits for. It binds
from its ``effective_from``, or from the completing signature's ``occurred_at`` when that is
later. An amendment binds the same way (both parties, or the region, signing the same
``effective_from`` and terms). A revocation needs one party (or the region): the earliest
stands, and it ends a pending agreement too. A signature by a county that is not a party
changes nothing. :meth:`AgreementBook.in_force` is the one question every rule asks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from contracts import event_ids
from contracts.envelope import Envelope
from contracts.events.agreements import (
    AgreementAmended,
    AgreementRevoked,
    AgreementSigned,
    AgreementTerms,
)
from contracts.publishers import region_id

# The services whose receipt is due within ``receipt_urgent_days`` instead of ``receipt_days``.
URGENT_SERVICES = frozenset({"pregnancy", "birth"})


@dataclass(frozen=True, slots=True)
class Defaults:
    """The rules table's defaults; field names match ``AgreementTerms`` so agreements override."""

    arrival_days: int = 30
    origin_confirmation_days: int = 15
    inquiry_certificate_days: int = 7
    inquiry_urgent_days: int = 15
    inquiry_other_days: int = 30
    receipt_days: int = 30
    receipt_urgent_days: int = 15  # for URGENT_SERVICES
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


REGION = "region"  # a signature by the region stands for both parties


@dataclass(frozen=True, slots=True)
class Proposal:
    """What one signature of an agreement says; both parties must sign the same."""

    origin: str
    destination: str
    effective_from: dt.datetime
    effective_to: dt.datetime | None
    terms: AgreementTerms

    @classmethod
    def of(cls, event: AgreementSigned) -> Proposal:
        return cls(
            event.origin_county,
            event.destination_county,
            event.effective_from,
            event.effective_to,
            event.terms,
        )

    def differences(self, other: Proposal) -> list[str]:
        names = ("origin", "destination", "effective_from", "effective_to", "terms")
        return [n for n in names if getattr(self, n) != getattr(other, n)]


Amendment = tuple[dt.datetime, AgreementTerms]  # (effective_from, terms)


@dataclass(frozen=True, slots=True)
class Agreement:
    """An agreement both parties (or the region) signed: it binds from ``binding_from``."""

    agreement_id: str
    origin: str
    destination: str
    effective_from: dt.datetime
    effective_to: dt.datetime | None
    # (since, terms), in the order they came to bind; the signing's terms come first.
    versions: tuple[tuple[dt.datetime, AgreementTerms], ...]
    revoked_at: dt.datetime | None = None
    binding_from: dt.datetime | None = None  # None: from effective_from
    amendments: tuple[Amendment, ...] = ()  # the amendments that bound, as signed

    def covers(self, at: dt.datetime) -> bool:
        if at < (self.binding_from or self.effective_from):
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


@dataclass(frozen=True, slots=True)
class Pending:
    """An agreement's signatures so far: signer (a party's county, or the region) -> the
    proposal it signed and when."""

    signatures: Mapping[str, tuple[Proposal, dt.datetime]]

    def parties(self) -> set[str]:
        return {c for proposal, _ in self.signatures.values() for c in _parties(proposal)}


@dataclass(frozen=True, slots=True)
class AgreementStatus:
    """Where an agreement stands, with the reason a person can read."""

    state: Literal["pending", "in_force", "not_yet", "ended", "revoked"]
    reason: str


def _empty() -> Mapping[str, Agreement]:
    return MappingProxyType({})


def _no_events() -> Mapping[str, str]:
    return MappingProxyType({})


def _parties(proposal: Proposal) -> tuple[str, str]:
    return proposal.origin, proposal.destination


def _signer(event: Envelope, parties: tuple[str, str] | set[str]) -> str | None:
    """Who signed, as a party: the region, a party's county, or None (not a party)."""
    if event.publisher_id == region_id(event.source_county):
        return REGION
    return event.source_county if event.source_county in parties else None


@dataclass(frozen=True, slots=True)
class AgreementBook:
    """Every agreement seen so far; ``apply`` returns a new book, this one is never changed.

    ``agreements`` holds the agreements that bind (or bound); ``pending`` those still
    waiting for a signature; ``amendments`` the amendments waiting for one, by agreement.
    ``events`` holds the id and fingerprint of every agreement event applied
    (contracts.event_ids): an id seen before changes nothing, and any new one changes the book,
    if only by being remembered.
    """

    agreements: Mapping[str, Agreement] = field(default_factory=_empty)
    pending: Mapping[str, Pending] = field(default_factory=lambda: MappingProxyType({}))
    amendments: Mapping[str, Mapping[Amendment, Mapping[str, dt.datetime]]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    revocations: Mapping[str, dt.datetime] = field(default_factory=lambda: MappingProxyType({}))
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
        return dataclasses.replace(book, events=events)

    def in_force(self, origin: str, destination: str, at: dt.datetime) -> Agreement | None:
        """The agreement binding flows origin -> destination at ``at``, if any.

        Only agreements both parties (or the region) signed count. Should two overlap, the
        one effective latest wins (then the greater id), so the answer never depends on the
        order agreements were signed in.
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

    def status(self, agreement_id: str, at: dt.datetime) -> AgreementStatus | None:
        """Where ``agreement_id`` stands at ``at`` (None: never signed by anyone)."""
        agreement = self.agreements.get(agreement_id)
        if agreement is not None:
            return _bound_status(agreement, at, self.amendments.get(agreement_id, {}))
        pending = self.pending.get(agreement_id)
        if pending is None:
            return None
        if agreement_id in self.revocations:
            revoked = self.revocations[agreement_id].isoformat()
            return AgreementStatus("revoked", f"withdrawn at {revoked} before both had signed")
        return AgreementStatus("pending", _pending_reason(pending))

    def _signed(self, event: AgreementSigned) -> AgreementBook:
        if event.agreement_id in self.agreements:
            return self  # a re-delivery, or a signature after it bound: the agreement stands
        proposal = Proposal.of(event)
        signer = _signer(event, _parties(proposal))
        if signer is None:
            return self
        before = self.pending.get(event.agreement_id, Pending(MappingProxyType({})))
        if before.signatures.get(signer, (None,))[0] == proposal:
            return self  # the same signature again
        signatures = {**before.signatures, signer: (proposal, event.occurred_at)}
        if signer == REGION or all(
            signatures.get(party, (None,))[0] == proposal for party in _parties(proposal)
        ):
            return self._bind(event, proposal)
        pending = {**self.pending, event.agreement_id: Pending(MappingProxyType(signatures))}
        return dataclasses.replace(self, pending=MappingProxyType(pending))

    def _bind(self, event: AgreementSigned, proposal: Proposal) -> AgreementBook:
        pending = {k: v for k, v in self.pending.items() if k != event.agreement_id}
        agreement = Agreement(
            agreement_id=event.agreement_id,
            origin=proposal.origin,
            destination=proposal.destination,
            effective_from=proposal.effective_from,
            effective_to=proposal.effective_to,
            versions=((proposal.effective_from, proposal.terms),),
            revoked_at=self.revocations.get(event.agreement_id),
            binding_from=max(proposal.effective_from, event.occurred_at),
        )
        return dataclasses.replace(
            self,
            agreements=MappingProxyType({**self.agreements, agreement.agreement_id: agreement}),
            pending=MappingProxyType(pending),
        )

    def _amended(self, event: AgreementAmended) -> AgreementBook:
        agreement = self.agreements.get(event.agreement_id)
        if agreement is None:
            return self
        signer = _signer(event, (agreement.origin, agreement.destination))
        amendment: Amendment = (event.effective_from, event.terms)
        waiting = self.amendments.get(event.agreement_id, {})
        signers = waiting.get(amendment, {})
        if signer is None or amendment in agreement.amendments or signer in signers:
            return self  # not a party, or a signature already counted
        signers = {**signers, signer: event.occurred_at}
        rest = {k: v for k, v in waiting.items() if k != amendment}
        if signer == REGION or {agreement.origin, agreement.destination} <= signers.keys():
            since = max(event.effective_from, event.occurred_at)
            bound = dataclasses.replace(
                agreement,
                versions=(*agreement.versions, (since, event.terms)),
                amendments=(*agreement.amendments, amendment),
            )
            agreements = {**self.agreements, agreement.agreement_id: bound}
            return dataclasses.replace(
                self,
                agreements=MappingProxyType(agreements),
                amendments=_with(self.amendments, event.agreement_id, rest),
            )
        rest[amendment] = MappingProxyType(signers)
        return dataclasses.replace(
            self, amendments=_with(self.amendments, event.agreement_id, rest)
        )

    def _revoked(self, event: AgreementRevoked) -> AgreementBook:
        agreement_id = event.agreement_id
        agreement = self.agreements.get(agreement_id)
        pending = self.pending.get(agreement_id)
        if agreement is not None:
            parties: set[str] = {agreement.origin, agreement.destination}
        elif pending is not None:
            parties = pending.parties()
        else:
            return self
        if _signer(event, parties) is None:
            return self
        at = event.effective_at
        earlier = self.revocations.get(agreement_id)
        if earlier is not None:
            at = min(at, earlier)  # the earliest revocation stands
            if at == earlier:
                return self
        revocations = MappingProxyType({**self.revocations, agreement_id: at})
        if agreement is None:
            return dataclasses.replace(self, revocations=revocations)
        agreements = {
            **self.agreements,
            agreement_id: dataclasses.replace(agreement, revoked_at=at),
        }
        return dataclasses.replace(
            self, agreements=MappingProxyType(agreements), revocations=revocations
        )


def _with(
    amendments: Mapping[str, Mapping[Amendment, Mapping[str, dt.datetime]]],
    agreement_id: str,
    waiting: Mapping[Amendment, Mapping[str, dt.datetime]],
) -> Mapping[str, Mapping[Amendment, Mapping[str, dt.datetime]]]:
    out = {k: v for k, v in amendments.items() if k != agreement_id}
    if waiting:
        out[agreement_id] = MappingProxyType(dict(waiting))
    return MappingProxyType(out)


def _pending_reason(pending: Pending) -> str:
    signers = sorted(pending.signatures)
    proposals = [pending.signatures[s][0] for s in signers]
    first = proposals[0]
    for signer, proposal in zip(signers[1:], proposals[1:], strict=True):
        differing = first.differences(proposal)
        if differing:
            return (
                f"{signers[0]} and {signer} signed different {', '.join(differing)}: "
                "both must sign the same"
            )
    missing = sorted(set(_parties(first)) - set(signers))
    return f"signed by {', '.join(signers)}; awaiting the signature of {', '.join(missing)}"


def _bound_status(
    agreement: Agreement, at: dt.datetime, waiting: Mapping[Amendment, Mapping[str, dt.datetime]]
) -> AgreementStatus:
    if agreement.revoked_at is not None and at >= agreement.revoked_at:
        return AgreementStatus("revoked", f"revoked from {agreement.revoked_at.isoformat()}")
    if agreement.effective_to is not None and at >= agreement.effective_to:
        return AgreementStatus("ended", f"ended at {agreement.effective_to.isoformat()}")
    start = agreement.binding_from or agreement.effective_from
    if at < start:
        return AgreementStatus("not_yet", f"binds from {start.isoformat()}")
    reason = "signed by both parties"
    for (since, _), signers in sorted(waiting.items(), key=lambda item: item[0][0]):
        missing = sorted({agreement.origin, agreement.destination} - set(signers))
        reason += (
            f"; an amendment from {since.isoformat()} awaits the signature of {', '.join(missing)}"
        )
    return AgreementStatus("in_force", reason)


def statuses(events: Iterable[Envelope], at: dt.datetime) -> dict[str, AgreementStatus]:
    """Every agreement's status at ``at``, from the agreement events in log order: what a
    read model (the dashboard's list of agreements, say) shows, decided by the same book."""
    book = AgreementBook()
    for event in events:
        book = book.apply(event)
    found = {}
    for agreement_id in sorted({*book.agreements, *book.pending}):
        status = book.status(agreement_id, at)
        if status is not None:
            found[agreement_id] = status
    return found
