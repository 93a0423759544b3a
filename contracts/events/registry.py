"""The region's registry of counties, their publishers and their keys.

Registry events go to the registry topic (one partition, keyed by ``county``), where every
process reads them in order from the start. Each is signed: by the region, or (for
``publisher_registered`` only) by the node of the county the publisher belongs to.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from contracts.envelope import Envelope
from contracts.types import CountyCode, Identifier, Instant, PublicKey, PublisherRole, ShortText

_COUNTY = "The county (GB/T 2260 code) the registration is about; also the message key."
_PUBLISHER = "The publisher id: `<county>/node` for a county node, `<county>/<name>` otherwise."


class RegistryChange(Envelope):
    """A change to the registry; ``county`` is the county it concerns (the message key)."""

    county: CountyCode = Field(description=_COUNTY)


class CountyRegistered(RegistryChange):
    """The region admits a county node with its public key; signed by the region.

    The node's publisher id is ``<county>/node``. Registering a registered county again with
    the same key changes nothing; with another key it is refused (rotate the key instead).
    """

    event_type: Literal["county_registered"] = "county_registered"
    name: ShortText = Field(description="The county's name, e.g. 汉滨区.")
    public_key: PublicKey = Field(
        description="The node's Ed25519 public key: the raw 32 bytes in standard base64."
    )


class PublisherRegistered(RegistryChange):
    """A department or outposted office (外派机构) admitted with its key and scope.

    Signed by the node of ``county``, or by the region. An outposted office names the
    county it is stationed in and acts for its own county there. Registering it again with
    the same key replaces its role and scope; another key is refused (rotate it instead).
    """

    event_type: Literal["publisher_registered"] = "publisher_registered"
    publisher: Identifier = Field(
        description="The new publisher's id, `<county>/<name>`; <name> is neither `node` "
        "nor `region`."
    )
    role: PublisherRole = Field(
        description="What the publisher is: police, civil_affairs, health or "
        "outposted_office (node and region are registered otherwise)."
    )
    public_key: PublicKey = Field(
        description="The publisher's Ed25519 public key: the raw 32 bytes in standard base64."
    )
    event_types: tuple[Identifier, ...] = Field(
        min_length=1,
        max_length=64,
        description="Its scope: the county-events types it may publish, a subset of what a "
        "county node may publish.",
    )
    stationed_in: CountyCode | None = Field(
        default=None,
        description="For an outposted office only: the (destination) county it works in.",
    )

    @model_validator(mode="after")
    def _office_is_stationed(self) -> PublisherRegistered:
        if (self.role == "outposted_office") != (self.stationed_in is not None):
            raise ValueError("stationed_in is required for an outposted office and only for one")
        if self.role in ("node", "region"):
            raise ValueError("node and region keys are registered by the region, not a county")
        return self


class KeyRotated(RegistryChange):
    """The region replaces a publisher's key from an instant on; signed by the region.

    The new key verifies at once. The old key keeps verifying what it signed before
    ``effective_at``: an event recorded before that instant that reached its partition
    before the region's clock passed it. Anything else it signs is refused (``key_retired``).
    """

    event_type: Literal["key_rotated"] = "key_rotated"
    publisher: Identifier = Field(description=_PUBLISHER)
    public_key: PublicKey = Field(
        description="The new Ed25519 public key: the raw 32 bytes in standard base64."
    )
    effective_at: Instant = Field(description="From this instant the old key is retired.")

    @model_validator(mode="after")
    def _of_the_county(self) -> KeyRotated:
        _check_publisher_of(self.county, self.publisher)
        return self


class PublisherRevoked(RegistryChange):
    """The region revokes a publisher from an instant on; signed by the region.

    What it signed before ``effective_at`` (recorded before it, and reaching its partition
    before the region's clock passed it) still verifies, so replays give the same answers;
    anything else is refused (``key_retired``). A revoked id is never registered again.
    """

    event_type: Literal["publisher_revoked"] = "publisher_revoked"
    publisher: Identifier = Field(description=_PUBLISHER)
    effective_at: Instant = Field(description="From this instant its key is retired.")
    reason: ShortText = Field(description="Why, for the record.")

    @model_validator(mode="after")
    def _of_the_county(self) -> PublisherRevoked:
        _check_publisher_of(self.county, self.publisher)
        return self


def _check_publisher_of(county: str, publisher: str) -> None:
    if not publisher.startswith(f"{county}/"):
        raise ValueError(f"publisher {publisher} does not belong to county {county}")
