"""The region's registry of counties and their publishers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from contracts.envelope import Envelope
from contracts.types import CountyCode, Identifier, PublicKey, PublisherRole, ShortText


class CountyRegistered(Envelope):
    """The region admits a county node; signed by the region's key."""

    event_type: Literal["county_registered"] = "county_registered"
    county: CountyCode
    name: ShortText
    public_key: PublicKey


class PublisherRegistered(Envelope):
    """A county admits one of its publishers (a department or an outposted office).

    Signed by the county node's key. ``event_types`` is the publisher's scope; an outposted
    office names the destination county it is stationed in and acts for its county there.
    """

    event_type: Literal["publisher_registered"] = "publisher_registered"
    county: CountyCode
    publisher: Identifier
    role: PublisherRole
    public_key: PublicKey
    event_types: tuple[Identifier, ...] = Field(min_length=1, max_length=64)
    stationed_in: CountyCode | None = None

    @model_validator(mode="after")
    def _office_is_stationed(self) -> PublisherRegistered:
        if (self.role == "outposted_office") != (self.stationed_in is not None):
            raise ValueError("stationed_in is required for an outposted office and only for one")
        if self.role in ("node", "region"):
            raise ValueError("node and region keys are registered by the region, not a county")
        return self
