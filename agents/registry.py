"""The region's registry of publishers, rebuilt from the registry topic; pure, no I/O.

Trust is rooted in the region's key: the region registers each county node's key, and a
county node registers its own departments and outposted offices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contracts.events.registry import CountyRegistered, PublisherRegistered
from contracts.types import PublisherRole
from streams import signing

REGION_EVENT_TYPES = frozenset(
    {"clock_ticked", "campaign_opened", "campaign_extended", "campaign_closed"}
)
NODE_EVENT_TYPES = frozenset(
    {
        "agreement_signed",
        "agreement_amended",
        "agreement_revoked",
        "outflow_registered",
        "inflow_registered",
        "arrival_not_found",
        "origin_answered",
        "moved_on",
        "returned_home",
        "case_taken_over",
        "inquiry_sent",
        "inquiry_answered",
        "service_recorded",
        "receipt_acknowledged",
        "verification_result_reported",
        "records_split",
    }
)


@dataclass(frozen=True, slots=True)
class Publisher:
    publisher_id: str
    county: str
    role: PublisherRole
    public_key: signing.PublicKey
    event_types: frozenset[str]
    stationed_in: str | None = None


class RegistryRejection(ValueError):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass
class Registry:
    region_code: str
    region_key: signing.PublicKey
    publishers: dict[str, Publisher] = field(default_factory=dict)
    counties: dict[str, str] = field(default_factory=dict)  # code -> registered name

    def __post_init__(self) -> None:
        region = Publisher(
            f"{self.region_code}/region",
            self.region_code,
            "region",
            self.region_key,
            REGION_EVENT_TYPES,
        )
        self.publishers[region.publisher_id] = region

    def publisher(self, publisher_id: str) -> Publisher | None:
        return self.publishers.get(publisher_id)

    def apply(self, event: CountyRegistered | PublisherRegistered, raw: dict[str, Any]) -> None:
        """Admit the registration, or raise RegistryRejection saying why not."""
        if isinstance(event, CountyRegistered):
            self._check_signed_by(raw, f"{self.region_code}/region", event.source_county)
            node = Publisher(
                f"{event.county}/node",
                event.county,
                "node",
                signing.load_public_key(event.public_key),
                NODE_EVENT_TYPES,
            )
            self.publishers[node.publisher_id] = node
            self.counties[event.county] = event.name
            return
        self._check_signed_by(raw, f"{event.county}/node", event.source_county)
        unknown = set(event.event_types) - NODE_EVENT_TYPES
        if unknown:
            raise RegistryRejection("out_of_scope", f"a county cannot delegate {sorted(unknown)}")
        if not event.publisher.startswith(f"{event.county}/") or event.publisher.endswith("/node"):
            raise RegistryRejection(
                "bad_publisher_id",
                f"publisher ids of {event.county} look like {event.county}/<name>",
            )
        self.publishers[event.publisher] = Publisher(
            event.publisher,
            event.county,
            event.role,
            signing.load_public_key(event.public_key),
            frozenset(event.event_types),
            event.stationed_in,
        )

    def _check_signed_by(self, raw: dict[str, Any], publisher_id: str, source: str) -> None:
        signer = self.publishers.get(publisher_id)
        if signer is None:
            raise RegistryRejection("unknown_publisher", f"{publisher_id} is not registered")
        if raw.get("publisher_id") != publisher_id or source != signer.county:
            raise RegistryRejection(
                "county_mismatch", f"only {publisher_id} may publish this registration"
            )
        if not signing.verify(signer.public_key, raw):
            raise RegistryRejection(
                "bad_signature", f"signature does not verify for {publisher_id}"
            )
