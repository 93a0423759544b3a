"""The gate's pure decision, and the registry it trusts: every admission and every refusal."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agents.gate_rules import Accepted, Decision, GateLimits, Rejected, decide
from agents.registry import Registry, RegistryRejection
from contracts import unions
from contracts.events.clock import ClockTicked
from contracts.events.migration import OutflowRegistered
from contracts.events.registry import CountyRegistered, PublisherRegistered
from streams import signing
from streams.codec import Codec
from tests.unit.factories import (
    COUNTY_A,
    COUNTY_B,
    COUNTY_C,
    REGION,
    T0,
    county_registered,
    inflow,
    node_id,
    outflow,
    publisher_registered,
    raw_of,
    region_id,
    signed,
    tampered,
    tick,
    to_bytes,
    unsigned,
)

CODEC: Codec[Any] = Codec(unions.CountyEvent)
LIMITS = GateLimits()
POLICE_A = f"{COUNTY_A}/police"
HEALTH_A = f"{COUNTY_A}/health"
OFFICE_A_IN_B = f"{COUNTY_A}/office-{COUNTY_B}"


@dataclass
class World:
    """A region, three registered counties, and three publishers of county A."""

    region_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    node_keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    police_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    health_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    office_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    registry: Registry = field(init=False)

    def __post_init__(self) -> None:
        self.registry = Registry(REGION, self.region_key.public_key())
        for county in (COUNTY_A, COUNTY_B, COUNTY_C):
            self.node_keys[county] = Ed25519PrivateKey.generate()
            apply(self.registry, county_registered(self.region_key, county, self.node_keys[county]))
        node_a = self.node_keys[COUNTY_A]
        for registration in (
            publisher_registered(
                node_a,
                COUNTY_A,
                POLICE_A,
                self.police_key,
                role="police",
                event_types=("outflow_registered", "inflow_registered"),
            ),
            publisher_registered(
                node_a,
                COUNTY_A,
                HEALTH_A,
                self.health_key,
                role="health",
                event_types=("service_recorded", "receipt_acknowledged"),
            ),
            publisher_registered(
                node_a,
                COUNTY_A,
                OFFICE_A_IN_B,
                self.office_key,
                role="outposted_office",
                event_types=("inflow_registered",),
                stationed_in=COUNTY_B,
            ),
        ):
            apply(self.registry, registration)

    def node(self, county: str) -> Ed25519PrivateKey:
        return self.node_keys[county]


def apply(registry: Registry, event: CountyRegistered | PublisherRegistered) -> None:
    registry.apply(event, raw_of(event))


@pytest.fixture
def world() -> World:
    return World()


def run(
    world: World,
    data: bytes | None,
    *,
    last_tick: dt.datetime | None = None,
) -> Decision:
    return decide(
        data,
        codec=CODEC,
        registry=world.registry,
        last_tick=last_tick,
        limits=LIMITS,
    )


def accepted(decision: Decision) -> Accepted:
    assert isinstance(decision, Accepted), decision
    return decision


def assert_specific(reason: str) -> None:
    """A reason is a sentence of several words, not a bare code or an empty string."""
    assert reason == reason.strip(), reason
    assert len(reason.split()) >= 4, reason


def assert_rejected(decision: Decision, code: str, reason: str) -> None:
    assert isinstance(decision, Rejected), decision
    assert decision.code == code
    assert_specific(decision.reason)
    assert reason in decision.reason


# --- admitted


def test_valid_outflow_from_the_origin_node_is_accepted(world: World) -> None:
    event = outflow(world.node(COUNTY_A))
    decision = accepted(run(world, to_bytes(event)))
    assert decision.event == event
    assert decision.tick is None


def test_valid_outflow_from_a_department_is_accepted(world: World) -> None:
    event = outflow(world.police_key, publisher_id=POLICE_A)
    assert accepted(run(world, to_bytes(event))).event == event


def test_signature_is_over_content_not_layout(world: World) -> None:
    data = to_bytes(outflow(world.node(COUNTY_A)))
    relaid = json.dumps(json.loads(data), indent=2, sort_keys=True).encode()
    assert accepted(run(world, relaid)).event == accepted(run(world, data)).event


def test_region_tick_is_accepted_and_advances_the_clock(world: World) -> None:
    at = T0 + dt.timedelta(hours=1)
    decision = accepted(run(world, to_bytes(tick(world.region_key, at)), last_tick=T0))
    assert decision.tick == at


def test_tick_at_the_same_instant_is_accepted(world: World) -> None:
    assert accepted(run(world, to_bytes(tick(world.region_key, T0)), last_tick=T0)).tick == T0


def test_v1_outflow_is_verified_on_the_bytes_as_signed(world: World) -> None:
    v1 = raw_of(outflow(world.node(COUNTY_A)))
    v1["to_county"] = v1.pop("destination_county")
    del v1["reason"]
    v1["schema_version"] = 1
    v1["signature"] = signing.sign(world.node(COUNTY_A), v1)
    decision = accepted(run(world, json.dumps(v1).encode()))
    assert decision.event.schema_version == 2


# --- who signed


def test_decode_errors_are_rejections(world: World) -> None:
    assert_rejected(run(world, None), "empty_message", "the message has no value")
    assert_rejected(run(world, b""), "empty_message", "the message has no value (0 bytes)")
    assert_rejected(run(world, b"{"), "malformed_json", "at line 1 column 2")


@pytest.mark.parametrize("sent", [1_709_280_000, 1_709_280_000.5, "1709280000", "2024-03-01"])
def test_instants_must_be_iso_strings_even_when_signed(world: World, sent: object) -> None:
    # The lax Instant type reads numbers and digit strings as Unix time: refused here.
    raw = raw_of(outflow(world.node(COUNTY_A)))
    raw["occurred_at"] = sent
    raw["signature"] = signing.sign(world.node(COUNTY_A), raw)
    decision = run(world, json.dumps(raw).encode())
    assert isinstance(decision, Rejected), decision
    assert decision.code == "invalid_fields"
    assert "occurred_at" in decision.reason


def test_instants_with_any_offset_are_admitted(world: World) -> None:
    raw = raw_of(outflow(world.node(COUNTY_A)))
    raw["occurred_at"] = "2024-03-01T16:00:00.250+08:00"
    raw["signature"] = signing.sign(world.node(COUNTY_A), raw)
    assert accepted(run(world, json.dumps(raw).encode())).event.occurred_at == T0.replace(
        microsecond=250_000
    )


def test_registry_events_are_not_county_events(world: World) -> None:
    registration = county_registered(world.region_key, "610922", Ed25519PrivateKey.generate())
    assert_rejected(run(world, to_bytes(registration)), "unknown_event_type", "'county_registered'")


def test_missing_signature_is_rejected(world: World) -> None:
    event = outflow(world.node(COUNTY_A)).model_copy(update={"signature": None})
    assert_rejected(run(world, to_bytes(event)), "missing_signature", "the event is not signed")


def test_signature_by_a_wrong_key_is_rejected(world: World) -> None:
    event = outflow(Ed25519PrivateKey.generate())
    assert_rejected(
        run(world, to_bytes(event)),
        "bad_signature",
        f"signature does not verify with {node_id(COUNTY_A)}'s key",
    )


def test_signature_by_another_county_key_is_rejected(world: World) -> None:
    event = outflow(world.node(COUNTY_B))
    assert_rejected(run(world, to_bytes(event)), "bad_signature", node_id(COUNTY_A))


@pytest.mark.parametrize(
    "changes",
    [
        {"destination_county": COUNTY_C},
        {"person_key": "cd" * 32},
        {"occurred_at": "2024-03-01T08:00:01Z"},
        {"reason": "family"},
        {"causation_id": str(uuid.UUID(int=9))},
    ],
    ids=lambda changes: next(iter(changes)),
)
def test_field_tampered_after_signing_is_rejected(world: World, changes: dict[str, Any]) -> None:
    data = tampered(to_bytes(outflow(world.node(COUNTY_A))), **changes)
    assert_rejected(run(world, data), "bad_signature", "signature does not verify")


def test_signature_moved_to_other_content_is_rejected(world: World) -> None:
    first = outflow(world.node(COUNTY_A))
    second = outflow(world.node(COUNTY_A), destination=COUNTY_C)
    forged = second.model_copy(update={"signature": first.signature})
    assert_rejected(run(world, to_bytes(forged)), "bad_signature", "signature does not verify")


def test_unknown_publisher_is_rejected(world: World) -> None:
    event = outflow(world.node(COUNTY_A), publisher_id=f"{COUNTY_A}/ghost")
    assert_rejected(
        run(world, to_bytes(event)),
        "unknown_publisher",
        f"publisher {COUNTY_A}/ghost is not registered",
    )


def test_unregistered_county_node_is_rejected(world: World) -> None:
    event = outflow(Ed25519PrivateKey.generate(), origin="610922")
    assert_rejected(run(world, to_bytes(event)), "unknown_publisher", "610922/node")


def test_county_key_publishing_as_another_county_is_rejected(world: World) -> None:
    event = outflow(
        world.node(COUNTY_A),
        origin=COUNTY_B,
        destination=COUNTY_C,
        source_county=COUNTY_B,
        publisher_id=node_id(COUNTY_A),
    )
    assert_rejected(
        run(world, to_bytes(event)),
        "county_mismatch",
        f"the key of {node_id(COUNTY_A)} cannot publish as county {COUNTY_B}",
    )


# --- what they may say


def test_department_outside_its_event_types_is_rejected(world: World) -> None:
    event = outflow(world.health_key, publisher_id=HEALTH_A)
    assert_rejected(
        run(world, to_bytes(event)),
        "out_of_scope",
        f"{HEALTH_A} may not publish outflow_registered",
    )


def test_county_node_may_not_tick_the_clock(world: World) -> None:
    event = signed(
        world.node(COUNTY_A),
        unsigned(
            ClockTicked,
            source_county=COUNTY_A,
            publisher_id=node_id(COUNTY_A),
        ),
    )
    assert_rejected(
        run(world, to_bytes(event)),
        "out_of_scope",
        f"{node_id(COUNTY_A)} may not publish clock_ticked",
    )


def test_region_may_not_register_outflows(world: World) -> None:
    event = outflow(world.region_key, source_county=REGION, publisher_id=region_id())
    assert_rejected(run(world, to_bytes(event)), "out_of_scope", "may not publish outflow")


def test_outflow_from_a_county_that_is_not_the_origin_is_rejected(world: World) -> None:
    event = outflow(
        world.node(COUNTY_A), origin=COUNTY_B, destination=COUNTY_C, source_county=COUNTY_A
    )
    assert_rejected(
        run(world, to_bytes(event)),
        "not_a_party",
        f"outflow_registered must come from {COUNTY_B}, not {COUNTY_A}",
    )


def test_destination_node_registers_arrivals(world: World) -> None:
    event = inflow(world.node(COUNTY_B), origin=COUNTY_A, destination=COUNTY_B)
    assert accepted(run(world, to_bytes(event))).event == event


def test_origin_node_may_not_register_an_arrival_elsewhere(world: World) -> None:
    event = inflow(
        world.node(COUNTY_A), origin=COUNTY_A, destination=COUNTY_B, source_county=COUNTY_A
    )
    assert_rejected(
        run(world, to_bytes(event)),
        "not_a_party",
        f"{node_id(COUNTY_A)} cannot register arrivals in {COUNTY_B}",
    )


def test_outposted_office_registers_its_residents_arrival_where_it_is_stationed(
    world: World,
) -> None:
    event = inflow(
        world.office_key,
        origin=COUNTY_A,
        destination=COUNTY_B,
        source_county=COUNTY_A,
        publisher_id=OFFICE_A_IN_B,
    )
    assert accepted(run(world, to_bytes(event))).event == event


def test_outposted_office_may_not_register_an_arrival_elsewhere(world: World) -> None:
    event = inflow(
        world.office_key,
        origin=COUNTY_A,
        destination=COUNTY_C,
        source_county=COUNTY_A,
        publisher_id=OFFICE_A_IN_B,
    )
    assert_rejected(
        run(world, to_bytes(event)),
        "not_a_party",
        f"{OFFICE_A_IN_B} cannot register arrivals in {COUNTY_C}",
    )


def test_outposted_office_may_not_register_another_countys_resident(world: World) -> None:
    event = inflow(
        world.office_key,
        origin=COUNTY_C,
        destination=COUNTY_B,
        source_county=COUNTY_A,
        publisher_id=OFFICE_A_IN_B,
    )
    assert_rejected(
        run(world, to_bytes(event)),
        "not_a_party",
        f"{OFFICE_A_IN_B} cannot register arrivals in {COUNTY_B}",
    )


def test_outposted_office_may_not_publish_outside_its_scope(world: World) -> None:
    event = outflow(world.office_key, publisher_id=OFFICE_A_IN_B)
    assert_rejected(run(world, to_bytes(event)), "out_of_scope", f"{OFFICE_A_IN_B} may not publish")


# --- whether it is new is not the gate's question (the cases agent answers it)


def test_the_gate_remembers_no_event_id(world: World) -> None:
    # The same bytes twice, and the same id on other content: both admitted here; the cases
    # agent tells a repeat from an id reused (contracts.event_ids), where the case is.
    event_id = uuid.uuid4()
    data = to_bytes(outflow(world.node(COUNTY_A), event_id=event_id))
    other = to_bytes(outflow(world.node(COUNTY_A), destination=COUNTY_C, event_id=event_id))
    assert accepted(run(world, data)) == accepted(run(world, data))
    assert accepted(run(world, other)).event.event_id == event_id


# --- time


def test_event_within_the_skew_is_accepted(world: World) -> None:
    at = T0 + LIMITS.max_clock_skew
    accepted(run(world, to_bytes(outflow(world.node(COUNTY_A), occurred_at=at)), last_tick=T0))


def test_event_too_far_past_the_clock_is_rejected(world: World) -> None:
    at = T0 + LIMITS.max_clock_skew + dt.timedelta(seconds=1)
    data = to_bytes(outflow(world.node(COUNTY_A), occurred_at=at))
    assert_rejected(
        run(world, data, last_tick=T0),
        "clock_skew",
        f"occurred_at {at.isoformat()} is more than 2 days, 0:00:00 past the logical clock "
        f"({T0.isoformat()})",
    )


def test_without_a_clock_there_is_no_skew_check(world: World) -> None:
    at = T0 + dt.timedelta(days=365)
    accepted(run(world, to_bytes(outflow(world.node(COUNTY_A), occurred_at=at)), last_tick=None))


def test_tick_before_the_clock_is_rejected(world: World) -> None:
    at = T0 - dt.timedelta(seconds=1)
    assert_rejected(
        run(world, to_bytes(tick(world.region_key, at)), last_tick=T0),
        "clock_regression",
        f"tick {at.isoformat()} is before {T0.isoformat()}",
    )


def test_the_last_tick_sent_again_is_admitted(world: World) -> None:
    # A tick at the clock's own instant is no regression: the clock service may send its
    # last tick again after a restart, and applying a tick twice changes nothing.
    assert accepted(run(world, to_bytes(tick(world.region_key, T0)), last_tick=T0)).tick == T0


# --- the registry


def registry_rejection(
    world: World, event: CountyRegistered | PublisherRegistered
) -> RegistryRejection:
    before = dict(world.registry.publishers), dict(world.registry.counties)
    with pytest.raises(RegistryRejection) as caught:
        apply(world.registry, event)
    assert (world.registry.publishers, world.registry.counties) == before, "registry changed"
    assert_specific(caught.value.reason)
    return caught.value


def test_registered_counties_and_publishers(world: World) -> None:
    assert set(world.registry.counties) == {COUNTY_A, COUNTY_B, COUNTY_C}
    office = world.registry.publisher(OFFICE_A_IN_B)
    assert office is not None
    assert (office.county, office.role, office.stationed_in) == (
        COUNTY_A,
        "outposted_office",
        COUNTY_B,
    )
    assert office.event_types == frozenset({"inflow_registered"})
    region = world.registry.publisher(region_id())
    assert region is not None
    assert region.role == "region"


def test_county_registration_signed_by_another_key_is_refused(world: World) -> None:
    event = county_registered(world.node(COUNTY_A), "610922", Ed25519PrivateKey.generate())
    error = registry_rejection(world, event)
    assert error.code == "bad_signature"
    assert error.reason == f"signature does not verify for {region_id()}"


def test_county_registration_by_a_county_node_is_refused(world: World) -> None:
    event = county_registered(
        world.node(COUNTY_A),
        "610922",
        Ed25519PrivateKey.generate(),
        source_county=COUNTY_A,
        publisher_id=node_id(COUNTY_A),
    )
    error = registry_rejection(world, event)
    assert error.code == "county_mismatch"
    assert error.reason == f"only {region_id()} may publish this registration"


def test_unsigned_county_registration_is_refused(world: World) -> None:
    event = county_registered(world.region_key, "610922", Ed25519PrivateKey.generate())
    error = registry_rejection(world, event.model_copy(update={"signature": None}))
    assert error.code == "bad_signature"


def test_county_registration_by_another_region_is_refused(world: World) -> None:
    other_region = Ed25519PrivateKey.generate()
    event = county_registered(
        other_region, "610922", Ed25519PrivateKey.generate(), source_county="610800"
    )
    error = registry_rejection(world, event)
    assert error.code == "county_mismatch"
    assert region_id() in error.reason


def test_publisher_registration_by_another_countys_node_is_refused(world: World) -> None:
    event = publisher_registered(
        world.node(COUNTY_B),
        COUNTY_A,
        f"{COUNTY_A}/spy",
        Ed25519PrivateKey.generate(),
        role="police",
        event_types=("outflow_registered",),
        source_county=COUNTY_B,
    )
    error = registry_rejection(world, event)
    assert error.code == "county_mismatch"
    assert error.reason == (
        f"only {node_id(COUNTY_A)} or {region_id()} may publish this registration"
    )


def test_publisher_registration_signed_by_another_countys_key_is_refused(world: World) -> None:
    event = publisher_registered(
        world.node(COUNTY_B),
        COUNTY_A,
        f"{COUNTY_A}/spy",
        Ed25519PrivateKey.generate(),
        role="police",
        event_types=("outflow_registered",),
    )
    error = registry_rejection(world, event)
    assert error.code == "bad_signature"
    assert error.reason == f"signature does not verify for {node_id(COUNTY_A)}"


def test_publisher_registration_for_an_unregistered_county_is_refused(world: World) -> None:
    key = Ed25519PrivateKey.generate()
    event = publisher_registered(
        key, "610922", "610922/police", key, role="police", event_types=("outflow_registered",)
    )
    error = registry_rejection(world, event)
    assert error.code == "unknown_publisher"
    assert error.reason == "610922/node is not registered"


def test_publisher_may_not_be_delegated_region_event_types(world: World) -> None:
    event = publisher_registered(
        world.node(COUNTY_A),
        COUNTY_A,
        f"{COUNTY_A}/clock",
        Ed25519PrivateKey.generate(),
        role="police",
        event_types=("outflow_registered", "clock_ticked"),
    )
    error = registry_rejection(world, event)
    assert error.code == "out_of_scope"
    assert error.reason == "a county cannot delegate ['clock_ticked']"


@pytest.mark.parametrize("publisher", [f"{COUNTY_B}/police", f"{COUNTY_A}/x/node", "police"])
def test_publisher_id_must_belong_to_the_county(world: World, publisher: str) -> None:
    event = publisher_registered(
        world.node(COUNTY_A),
        COUNTY_A,
        publisher,
        Ed25519PrivateKey.generate(),
        role="police",
        event_types=("outflow_registered",),
    )
    error = registry_rejection(world, event)
    assert error.code == "bad_publisher_id"
    assert error.reason == f"publisher ids of {COUNTY_A} look like {COUNTY_A}/<name>"


# --- one reading of every admitted message


def test_a_signed_event_with_a_forged_first_copy_of_a_key_is_refused(world: World) -> None:
    # Python keeps the last value (the signed one, so the signature verifies); a reader that
    # keeps the first would see 610113. The bytes are ambiguous: refused, whoever signed.
    genuine = to_bytes(outflow(world.node(COUNTY_A)))
    forged = b'{"destination_county": "610113", ' + genuine[1:]
    assert_rejected(
        run(world, forged),
        "duplicate_key",
        "key 'destination_county' appears more than once in the event",
    )
    admitted = accepted(run(world, genuine)).event
    assert isinstance(admitted, OutflowRegistered)
    assert admitted.destination_county == COUNTY_B
