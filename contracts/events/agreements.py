"""Two-way management agreements (双向管理协议) between an origin and a destination county.

An agreement binds only once both counties have signed it: each publishes an
``agreement_signed`` with the same ``agreement_id``, counties, period and terms, or the
region signs it for both. It binds from ``effective_from``, or from the completing
signature's ``occurred_at`` if that is later; until then it is pending and binds nobody
(coverage does not count it). While pending, a party may sign again: its latest signature
counts. An amendment binds the same way: both counties (or the region) sign the same
``effective_from`` and ``terms``. A revocation needs one signature, from either county or
the region; the earliest stands, and it also withdraws a pending agreement. Signatures,
amendments and revocations by a county that is not a party change nothing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from contracts.base import Contract
from contracts.envelope import Envelope
from contracts.types import CountyCode, Days, Fraction, Identifier, Instant

_DAYS = "Days {what} has; unset: the rules' default ({default})."
_AGREEMENT_ID = "The agreement's id, chosen by the parties; the same in every signature."


class AgreementTerms(Contract):
    """Deadlines an agreement sets; a field left out keeps the rules' default."""

    arrival_days: Days | None = Field(
        default=None,
        description=_DAYS.format(what="the destination to register an arrival", default=30),
    )
    origin_confirmation_days: Days | None = Field(
        default=None,
        description=_DAYS.format(
            what="the origin to confirm a person registered without an outflow", default=15
        ),
    )
    inquiry_certificate_days: Days | None = Field(
        default=None,
        description=_DAYS.format(
            what="the county asked to answer a certificate inquiry", default=7
        ),
    )
    inquiry_urgent_days: Days | None = Field(
        default=None,
        description=_DAYS.format(what="the county asked to answer an urgent inquiry", default=15),
    )
    inquiry_other_days: Days | None = Field(
        default=None,
        description=_DAYS.format(what="the county asked to answer any other inquiry", default=30),
    )
    receipt_days: Days | None = Field(
        default=None,
        description=_DAYS.format(what="the origin to acknowledge a service record", default=30),
    )
    receipt_urgent_days: Days | None = Field(
        default=None,
        description=_DAYS.format(
            what="the origin to acknowledge a pregnancy or birth record", default=15
        ),
    )
    handover_days: Days | None = Field(
        default=None,
        description=_DAYS.format(
            what="the next county to take a case over after a move on or a return", default=30
        ),
    )
    remind_fraction: Fraction | None = Field(
        default=None,
        description="Share of an obligation's period after which it is reminded, strictly "
        "between 0 and 1; unset: 0.5. Canonical JSON writes it as the shortest decimal that "
        "reads back as the same double, with no exponent: use at most 4 decimal places.",
    )
    escalate_after_days: Days | None = Field(
        default=None,
        description=_DAYS.format(
            what="a breach to wait before it is escalated to the region", default=15
        ),
    )


class AgreementSigned(Envelope):
    """One party's (or the region's) signature of a two-way agreement.

    Published by the node of ``origin_county`` or ``destination_county`` (or a department
    with it in scope), or by the region; broadcast to every partition. The agreement binds
    once both counties have signed identical fields, or the region has signed it, from
    ``effective_from`` or the completing signature's ``occurred_at``, whichever is later.
    Until then it is pending. A party may sign again while pending (its latest signature
    counts); once the agreement binds, later signatures change nothing.
    """

    event_type: Literal["agreement_signed"] = "agreement_signed"
    agreement_id: Identifier = Field(description=_AGREEMENT_ID)
    origin_county: CountyCode = Field(
        description="The county people leave: the agreement covers flows origin -> "
        "destination only."
    )
    destination_county: CountyCode = Field(description="The county people arrive in.")
    effective_from: Instant = Field(description="The start of the agreed period.")
    effective_to: Instant | None = Field(
        default=None, description="The end of the agreed period (exclusive); unset: open-ended."
    )
    terms: AgreementTerms = Field(
        default=AgreementTerms(), description="The deadlines agreed; empty: the defaults."
    )

    @model_validator(mode="after")
    def _two_counties(self) -> AgreementSigned:
        if self.origin_county == self.destination_county:
            raise ValueError("an agreement needs two different counties")
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        return self


class AgreementAmended(Envelope):
    """One party's (or the region's) signature of new terms for an agreement.

    Published by a party's node (or a department with it in scope) or the region; broadcast.
    The amendment binds once both counties have signed the same ``effective_from`` and
    ``terms`` (or the region has), from ``effective_from`` or the completing signature's
    ``occurred_at``, whichever is later. A signature by a county that is not a party
    changes nothing.
    """

    event_type: Literal["agreement_amended"] = "agreement_amended"
    agreement_id: Identifier = Field(description=_AGREEMENT_ID)
    effective_from: Instant = Field(description="From when the new terms apply.")
    terms: AgreementTerms = Field(description="The new deadlines, replacing the previous ones.")


class AgreementRevoked(Envelope):
    """A party (or the region) ends an agreement; one signature suffices.

    Published by a party's node (or a department with it in scope) or the region; broadcast.
    The earliest revocation stands. Obligations opened under the agreement keep its terms.
    A revocation by a county that is not a party changes nothing.
    """

    event_type: Literal["agreement_revoked"] = "agreement_revoked"
    agreement_id: Identifier = Field(description=_AGREEMENT_ID)
    effective_at: Instant = Field(description="From this instant the agreement no longer binds.")
