"""The registry's onboarding changes: who may register, rotate and revoke, and what a
retired key still verifies (in the gate's decision). Pure, no I/O."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agents.gate_rules import Accepted, GateLimits, Rejected, decide
from agents.registry import Registry, RegistryRejection
from contracts import unions
from contracts.events.registry import KeyRotated, PublisherRevoked, RegistryChange
from streams import signing
from streams.codec import Codec
from tests.unit.factories import (
    COUNTY_A,
    COUNTY_B,
    REGION,
    T0,
    county_registered,
    node_id,
    outflow,
    publisher_registered,
    raw_of,
    region_id,
    signed,
    to_bytes,
    unsigned,
)

CODEC: Codec[Any] = Codec(unions.CountyEvent)
RETIRE = T0 + dt.timedelta(days=10)
POLICE = f"{COUNTY_A}/police"


def apply(registry: Registry, event: RegistryChange) -> None:
    registry.apply(event, raw_of(event))


def by_region(key: Ed25519PrivateKey, cls: type[RegistryChange], **fields: Any) -> Any:
    event = unsigned(cls, source_county=REGION, publisher_id=region_id(), **fields)
    return signed(key, event)


def rotation(region: Ed25519PrivateKey, publisher: str, new: Ed25519PrivateKey) -> KeyRotated:
    result: KeyRotated = by_region(
        region,
        KeyRotated,
        county=publisher.split("/")[0],
        publisher=publisher,
        public_key=signing.public_key_b64(new),
        effective_at=RETIRE,
    )
    return result


def revocation(region: Ed25519PrivateKey, publisher: str) -> PublisherRevoked:
    result: PublisherRevoked = by_region(
        region,
        PublisherRevoked,
        county=publisher.split("/")[0],
        publisher=publisher,
        effective_at=RETIRE,
        reason="office closed",
    )
    return result


class World:
    def __init__(self) -> None:
        self.region = Ed25519PrivateKey.generate()
        self.node = Ed25519PrivateKey.generate()
        self.registry = Registry(REGION, self.region.public_key())
        apply(self.registry, county_registered(self.region, COUNTY_A, self.node))

    def gate(
        self,
        key: Ed25519PrivateKey,
        *,
        recorded_at: dt.datetime,
        clock: dt.datetime | None = None,
        publisher: str | None = None,
    ) -> Accepted | Rejected:
        event = outflow(key, occurred_at=recorded_at, publisher_id=publisher)
        decision = decide(
            to_bytes(event),
            codec=CODEC,
            registry=self.registry,
            last_tick=clock,
            limits=GateLimits(max_clock_skew=dt.timedelta(days=3650)),
        )
        return decision


def refused(world: World, event: RegistryChange) -> RegistryRejection:
    before = dict(world.registry.publishers)
    with pytest.raises(RegistryRejection) as caught:
        apply(world.registry, event)
    assert world.registry.publishers == before
    return caught.value


def test_after_a_rotation_the_new_key_verifies_and_the_old_one_only_what_it_signed_before() -> None:
    w = World()
    new = Ed25519PrivateKey.generate()
    apply(w.registry, rotation(w.region, node_id(COUNTY_A), new))
    before = RETIRE - dt.timedelta(hours=1)
    assert isinstance(w.gate(new, recorded_at=RETIRE), Accepted)
    assert isinstance(w.gate(new, recorded_at=before), Accepted)
    # Signed before the retirement and arriving before the clock passed it: still valid, so
    # a replay of the log admits what the live gate admitted.
    assert isinstance(w.gate(w.node, recorded_at=before, clock=before), Accepted)
    assert isinstance(w.gate(w.node, recorded_at=before), Accepted)
    for late in (
        w.gate(w.node, recorded_at=RETIRE),
        w.gate(w.node, recorded_at=before, clock=RETIRE),  # backdated after the instant
    ):
        assert late == Rejected(
            "key_retired",
            f"signed with {node_id(COUNTY_A)}'s key retired at {RETIRE.isoformat()}",
        )
    stranger = w.gate(Ed25519PrivateKey.generate(), recorded_at=before)
    assert isinstance(stranger, Rejected)
    assert stranger.code == "bad_signature"


def test_a_revoked_publisher_verifies_only_what_it_signed_before() -> None:
    w = World()
    police = Ed25519PrivateKey.generate()
    apply(
        w.registry,
        publisher_registered(
            w.node, COUNTY_A, POLICE, police, role="police", event_types=("outflow_registered",)
        ),
    )
    apply(w.registry, revocation(w.region, POLICE))
    early = RETIRE - dt.timedelta(days=1)
    assert isinstance(w.gate(police, recorded_at=early, publisher=POLICE), Accepted)
    late = w.gate(police, recorded_at=RETIRE, publisher=POLICE)
    assert isinstance(late, Rejected)
    assert late.code == "key_retired"
    other = w.gate(Ed25519PrivateKey.generate(), recorded_at=early, publisher=POLICE)
    assert other == Rejected("key_retired", f"{POLICE} is revoked")


def test_registry_changes_apply_once_however_often_they_are_read() -> None:
    w = World()
    new = Ed25519PrivateKey.generate()
    changes = [
        county_registered(w.region, COUNTY_A, w.node),
        rotation(w.region, node_id(COUNTY_A), new),
        revocation(w.region, node_id(COUNTY_A)),
    ]
    for change in changes:
        apply(w.registry, change)
    once = dict(w.registry.publishers)
    for change in changes[1:]:
        apply(w.registry, change)
    assert w.registry.publishers == once


def test_another_key_for_a_registered_publisher_is_refused() -> None:
    w = World()
    error = refused(w, county_registered(w.region, COUNTY_A, Ed25519PrivateKey.generate()))
    assert error.code == "already_registered"
    assert (
        error.reason
        == f"{node_id(COUNTY_A)} is registered with another key; rotate it (key_rotated)"
    )


def test_a_revoked_county_is_admitted_again_only_with_a_new_key() -> None:
    w = World()
    apply(w.registry, revocation(w.region, node_id(COUNTY_A)))
    assert refused(w, county_registered(w.region, COUNTY_A, w.node)).code == "key_retired"
    fresh = Ed25519PrivateKey.generate()
    apply(w.registry, county_registered(w.region, COUNTY_A, fresh))
    assert isinstance(w.gate(fresh, recorded_at=RETIRE), Accepted)


def test_rotating_to_a_retired_key_is_refused() -> None:
    w = World()
    apply(w.registry, rotation(w.region, node_id(COUNTY_A), Ed25519PrivateKey.generate()))
    error = refused(w, rotation(w.region, node_id(COUNTY_A), w.node))
    assert error.code == "key_retired"


def test_only_the_region_rotates_and_revokes() -> None:
    w = World()
    changes: list[tuple[type[RegistryChange], dict[str, Any]]] = [
        (KeyRotated, {"public_key": signing.public_key_b64(w.node), "effective_at": RETIRE}),
        (PublisherRevoked, {"effective_at": RETIRE, "reason": "x"}),
    ]
    for cls, fields in changes:
        event = signed(
            w.node,
            unsigned(
                cls,
                source_county=COUNTY_A,
                publisher_id=node_id(COUNTY_A),
                county=COUNTY_A,
                publisher=node_id(COUNTY_A),
                **fields,
            ),
        )
        error = refused(w, event)
        assert error.code == "county_mismatch"
        assert error.reason == f"only {region_id()} may publish this registration"


def test_an_unregistered_publisher_cannot_be_rotated() -> None:
    w = World()
    error = refused(w, rotation(w.region, f"{COUNTY_B}/node", Ed25519PrivateKey.generate()))
    assert error.code == "unknown_publisher"


def test_the_regions_own_key_cannot_be_rotated_it_is_configured() -> None:
    with pytest.raises(ValueError, match="not a current GB/T 2260 county-level code"):
        rotation(Ed25519PrivateKey.generate(), region_id(), Ed25519PrivateKey.generate())


def test_the_region_may_register_a_department() -> None:
    w = World()
    office = Ed25519PrivateKey.generate()
    event = publisher_registered(
        w.region,
        COUNTY_A,
        f"{COUNTY_A}/office-{COUNTY_B}",
        office,
        role="outposted_office",
        event_types=("inflow_registered",),
        stationed_in=COUNTY_B,
        source_county=REGION,
        publisher_id=region_id(),
    )
    apply(w.registry, event)
    registered = w.registry.publisher(f"{COUNTY_A}/office-{COUNTY_B}")
    assert registered is not None
    assert registered.stationed_in == COUNTY_B


def test_registering_a_department_again_with_its_key_updates_its_scope() -> None:
    w = World()
    police = Ed25519PrivateKey.generate()
    for types in (("outflow_registered",), ("outflow_registered", "moved_on")):
        apply(
            w.registry,
            publisher_registered(
                w.node, COUNTY_A, POLICE, police, role="police", event_types=types
            ),
        )
    registered = w.registry.publisher(POLICE)
    assert registered is not None
    assert registered.event_types == {"outflow_registered", "moved_on"}


@pytest.mark.parametrize("name", ["region", "x/region", "node"])
def test_department_ids_may_not_look_like_the_node_or_the_region(name: str) -> None:
    w = World()
    event = publisher_registered(
        w.node,
        COUNTY_A,
        f"{COUNTY_A}/{name}",
        Ed25519PrivateKey.generate(),
        role="police",
        event_types=("outflow_registered",),
    )
    assert refused(w, event).code == "bad_publisher_id"


def test_a_rotation_must_name_a_publisher_of_its_county() -> None:
    with pytest.raises(ValueError, match="does not belong to county"):
        unsigned(
            KeyRotated,
            source_county=REGION,
            publisher_id=region_id(),
            county=COUNTY_B,
            publisher=node_id(COUNTY_A),
            public_key=signing.public_key_b64(Ed25519PrivateKey.generate()),
            effective_at=RETIRE,
        )
