"""Two-way management agreements (双向管理协议) between an origin and a destination county."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from contracts.base import Contract
from contracts.envelope import Envelope
from contracts.types import CountyCode, Days, Fraction, Identifier, Instant


class AgreementTerms(Contract):
    """Deadlines an agreement sets; a field left out keeps the rules' default."""

    arrival_days: Days | None = None
    origin_confirmation_days: Days | None = None
    inquiry_certificate_days: Days | None = None
    inquiry_urgent_days: Days | None = None
    inquiry_other_days: Days | None = None
    receipt_days: Days | None = None
    receipt_urgent_days: Days | None = None
    handover_days: Days | None = None
    remind_fraction: Fraction | None = None
    escalate_after_days: Days | None = None


class AgreementSigned(Envelope):
    event_type: Literal["agreement_signed"] = "agreement_signed"
    agreement_id: Identifier
    origin_county: CountyCode
    destination_county: CountyCode
    effective_from: Instant
    effective_to: Instant | None = None
    terms: AgreementTerms = AgreementTerms()

    @model_validator(mode="after")
    def _two_counties(self) -> AgreementSigned:
        if self.origin_county == self.destination_county:
            raise ValueError("an agreement needs two different counties")
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        return self


class AgreementAmended(Envelope):
    event_type: Literal["agreement_amended"] = "agreement_amended"
    agreement_id: Identifier
    effective_from: Instant
    terms: AgreementTerms


class AgreementRevoked(Envelope):
    event_type: Literal["agreement_revoked"] = "agreement_revoked"
    agreement_id: Identifier
    effective_at: Instant
