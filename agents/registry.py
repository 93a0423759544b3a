"""The region's registry of publishers and their keys, rebuilt from the registry topic; pure.

Trust is rooted in the region's key: the region registers each county node's key, a county
node (or the region) registers the county's departments and outposted offices, and the
region rotates and revokes keys (``contracts.publishers`` says who may publish what).

The registry topic is read in order, so a registration is checked against the keys in force
at its position. County events are checked later, against the whole registry, so a retired
key is judged by what the event carries: it verifies what it signed before its retirement
instant (``recorded_at`` before it, and the partition's logical clock not yet past it),
which is the same answer live and on every replay.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

from contracts.events.registry import (
    CountyRegistered,
    KeyRotated,
    PublisherRegistered,
    PublisherRevoked,
    RegistryChange,
)
from contracts.publishers import (
    NODE_EVENT_TYPES,
    REGION_EVENT_TYPES,
    delegate_problem,
    node_id,
    region_id,
)
from contracts.refusal import Refusal
from contracts.types import PublisherRole
from streams import signing


@dataclass(frozen=True, slots=True)
class RetiredKey:
    key_b64: str
    retired_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Publisher:
    publisher_id: str
    county: str
    role: PublisherRole
    key_b64: str | None  # the current key (standard base64); None once revoked
    event_types: frozenset[str]
    stationed_in: str | None = None
    retired: tuple[RetiredKey, ...] = ()

    @property
    def public_key(self) -> signing.PublicKey | None:
        return None if self.key_b64 is None else _key(self.key_b64)

    def signature_problem(
        self, raw: dict[str, Any], *, recorded_at: dt.datetime, clock: dt.datetime | None
    ) -> tuple[str, str] | None:
        """None when ``raw`` verifies with a key valid for it; else (reason code, reason).

        ``clock`` is the logical clock of the partition the event arrived on (None before
        the first tick)."""
        current = self.public_key
        if current is not None and signing.verify(current, raw):
            return None
        for old in self.retired:
            if not signing.verify(_key(old.key_b64), raw):
                continue
            late = recorded_at >= old.retired_at or (clock is not None and clock >= old.retired_at)
            if not late:
                return None
            return (
                "key_retired",
                f"signed with {self.publisher_id}'s key retired at {old.retired_at.isoformat()}",
            )
        if current is None:
            return ("key_retired", f"{self.publisher_id} is revoked")
        return ("bad_signature", f"signature does not verify with {self.publisher_id}'s key")

    def knows_key(self, key_b64: str) -> bool:
        return key_b64 == self.key_b64 or any(old.key_b64 == key_b64 for old in self.retired)


@functools.cache
def _key(key_b64: str) -> signing.PublicKey:
    return signing.load_public_key(key_b64)


class RegistryRejection(Refusal):
    """A registry change the registry does not admit (nothing changed)."""


@dataclass
class Registry:
    region_code: str
    region_key: signing.PublicKey
    publishers: dict[str, Publisher] = field(default_factory=dict)
    counties: dict[str, str] = field(default_factory=dict)  # code -> registered name
    applied: set[str] = field(default_factory=set)  # event ids of the changes admitted

    def __post_init__(self) -> None:
        region = Publisher(
            region_id(self.region_code),
            self.region_code,
            "region",
            signing.encode_public_key(self.region_key),
            REGION_EVENT_TYPES,
        )
        self.publishers[region.publisher_id] = region

    def publisher(self, publisher_id: str) -> Publisher | None:
        return self.publishers.get(publisher_id)

    def apply(self, event: RegistryChange, raw: dict[str, Any]) -> None:
        """Admit the change, or raise RegistryRejection saying why not (nothing changed).

        Applying the same change twice leaves the registry as applying it once."""
        if str(event.event_id) in self.applied:
            return
        self._apply(event, raw)
        self.applied.add(str(event.event_id))

    def _apply(self, event: RegistryChange, raw: dict[str, Any]) -> None:
        region = region_id(self.region_code)
        if isinstance(event, CountyRegistered):
            self._check_signed_by(raw, event, (region,))
            self._register(
                Publisher(
                    node_id(event.county), event.county, "node", event.public_key, NODE_EVENT_TYPES
                )
            )
            self.counties[event.county] = event.name
        elif isinstance(event, PublisherRegistered):
            self._check_signed_by(raw, event, (node_id(event.county), region))
            self._register(_delegate(event))
        elif isinstance(event, KeyRotated):
            self._check_signed_by(raw, event, (region,))
            self._rotate(event)
        elif isinstance(event, PublisherRevoked):
            self._check_signed_by(raw, event, (region,))
            self._revoke(event)
        else:
            raise RegistryRejection(
                "unknown_event_type", f"{event.event_type} is not a registry change"
            )

    def _register(self, new: Publisher) -> None:
        existing = self.publishers.get(new.publisher_id)
        if existing is None:
            self.publishers[new.publisher_id] = new
            return
        if new.key_b64 is None:
            raise AssertionError("a registration always carries a key")
        if existing.key_b64 is None:  # revoked: admitted again, with a key never used before
            if existing.knows_key(new.key_b64):
                raise RegistryRejection(
                    "key_retired", f"that key of {new.publisher_id} was retired; make a new one"
                )
        elif existing.key_b64 != new.key_b64:
            raise RegistryRejection(
                "already_registered",
                f"{new.publisher_id} is registered with another key; rotate it (key_rotated)",
            )
        self.publishers[new.publisher_id] = dataclasses.replace(new, retired=existing.retired)

    def _registered(self, publisher_id: str) -> Publisher:
        # The region's own id cannot be named: a rotation names a publisher of a county.
        target = self.publishers.get(publisher_id)
        if target is None:
            raise RegistryRejection("unknown_publisher", f"{publisher_id} is not registered")
        return target

    def _rotate(self, event: KeyRotated) -> None:
        target = self._registered(event.publisher)
        if target.key_b64 is None:
            raise RegistryRejection("key_retired", f"{event.publisher} is revoked; register it")
        if target.knows_key(event.public_key):
            raise RegistryRejection(
                "key_retired", f"that key of {event.publisher} was retired; make a new one"
            )
        retired = (*target.retired, RetiredKey(target.key_b64, event.effective_at))
        self.publishers[event.publisher] = dataclasses.replace(
            target, key_b64=event.public_key, retired=retired
        )

    def _revoke(self, event: PublisherRevoked) -> None:
        target = self._registered(event.publisher)
        if target.key_b64 is None:
            return  # revoked already: the first revocation stands
        retired = (*target.retired, RetiredKey(target.key_b64, event.effective_at))
        self.publishers[event.publisher] = dataclasses.replace(
            target, key_b64=None, retired=retired
        )

    def _check_signed_by(
        self, raw: dict[str, Any], event: RegistryChange, allowed: tuple[str, ...]
    ) -> None:
        """Signed, with its current key, by one of ``allowed``, acting for its own county."""
        signer_id = event.publisher_id
        if signer_id not in allowed:
            raise RegistryRejection(
                "county_mismatch", f"only {' or '.join(allowed)} may publish this registration"
            )
        signer = self.publishers.get(signer_id)
        if signer is None or signer.public_key is None:
            raise RegistryRejection("unknown_publisher", f"{signer_id} is not registered")
        if event.source_county != signer.county:
            raise RegistryRejection(
                "county_mismatch", f"{signer_id} cannot act as county {event.source_county}"
            )
        if not signing.verify(signer.public_key, raw):
            raise RegistryRejection("bad_signature", f"signature does not verify for {signer_id}")


def _delegate(event: PublisherRegistered) -> Publisher:
    problem = delegate_problem(event.county, event.publisher)
    if problem is not None:
        raise RegistryRejection("bad_publisher_id", problem)
    unknown = set(event.event_types) - NODE_EVENT_TYPES
    if unknown:
        raise RegistryRejection("out_of_scope", f"a county cannot delegate {sorted(unknown)}")
    return Publisher(
        event.publisher,
        event.county,
        event.role,
        event.public_key,
        frozenset(event.event_types),
        event.stationed_in,
    )
