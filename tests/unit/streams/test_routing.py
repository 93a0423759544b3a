"""Where events go: person events by person key, shared events to every partition."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.envelope import Envelope
from contracts.events.agreements import AgreementAmended, AgreementRevoked, AgreementSigned
from contracts.events.campaigns import CampaignClosed, CampaignExtended, CampaignOpened
from contracts.events.clock import ClockTicked
from contracts.events.cooperation import InquirySent
from contracts.events.derived import DeadLettered, ObligationReminded
from contracts.events.migration import MovedOn, PersonEvent
from streams import routing, topics
from streams.codec import union_members
from tests.unit.factories import (
    COUNTY_A,
    COUNTY_B,
    COUNTY_C,
    PERSON,
    REGION,
    T0,
    county_registered,
    inflow,
    node_id,
    outflow,
    publisher_registered,
    region_id,
    unsigned,
)

KEY = Ed25519PrivateKey.generate()
LATER = T0 + dt.timedelta(days=30)


def by_node(cls: type[Envelope], **fields: Any) -> Envelope:
    return unsigned(cls, source_county=COUNTY_A, publisher_id=node_id(COUNTY_A), **fields)


def by_region(cls: type[Envelope], **fields: Any) -> Envelope:
    return unsigned(cls, source_county=REGION, publisher_id=region_id(), **fields)


PERSON_EVENTS = [
    outflow(KEY),
    inflow(KEY),
    by_node(MovedOn, person_key=PERSON, from_county=COUNTY_B, to_county=COUNTY_C),
    by_node(InquirySent, person_key=PERSON, inquiry_id="inq-1", to_county=COUNTY_B, kind="urgent"),
]

BROADCAST_EVENTS = [
    by_node(
        AgreementSigned,
        agreement_id="ag-1",
        origin_county=COUNTY_A,
        destination_county=COUNTY_B,
        effective_from=T0,
    ),
    by_node(AgreementAmended, agreement_id="ag-1", effective_from=T0, terms={"arrival_days": 10}),
    by_node(AgreementRevoked, agreement_id="ag-1", effective_at=LATER),
    by_region(
        CampaignOpened,
        campaign_id="c-1",
        counties=(COUNTY_A, COUNTY_B),
        period_start=T0,
        period_end=LATER,
        deadline=LATER,
        checks=("stale",),
    ),
    by_region(CampaignExtended, campaign_id="c-1", deadline=LATER),
    by_region(CampaignClosed, campaign_id="c-1"),
    by_region(ClockTicked),
]


@pytest.mark.parametrize("event", PERSON_EVENTS, ids=lambda event: event.event_type)
def test_person_events_are_keyed_by_person_key(event: Envelope) -> None:
    assert isinstance(event, PersonEvent)
    target = routing.destination(event)
    assert target.topic is topics.COUNTY_EVENTS
    assert target.key == PERSON.encode()
    assert not target.broadcast


def test_events_about_one_person_share_a_key_whoever_publishes() -> None:
    keys = {routing.destination(event).key for event in PERSON_EVENTS}
    assert keys == {PERSON.encode()}
    other = routing.destination(outflow(KEY, person_key="cd" * 32))
    assert other.key == ("cd" * 32).encode()


@pytest.mark.parametrize("event", BROADCAST_EVENTS, ids=lambda event: event.event_type)
def test_agreement_campaign_and_clock_events_are_broadcast(event: Envelope) -> None:
    target = routing.destination(event)
    assert target.topic is topics.COUNTY_EVENTS
    assert target.broadcast
    assert target.key is None


def test_broadcast_types_are_exactly_the_shared_county_events() -> None:
    assert {event.event_type for event in BROADCAST_EVENTS} == routing.BROADCAST_TYPES


@pytest.mark.parametrize("partition", [0, 1, 7, 23])
def test_broadcast_copies_are_keyed_by_partition_number(partition: int) -> None:
    assert routing.broadcast_key(partition) == str(partition).encode()


def test_registry_events_go_to_the_registry_keyed_by_county() -> None:
    county = county_registered(KEY, COUNTY_B, KEY)
    publisher = publisher_registered(
        KEY, COUNTY_A, f"{COUNTY_A}/police", KEY, role="police", event_types=("moved_on",)
    )
    for event, county_code in ((county, COUNTY_B), (publisher, COUNTY_A)):
        target = routing.destination(event)
        assert target.topic is topics.REGISTRY
        assert target.key == county_code.encode()
        assert not target.broadcast


def test_region_key_of_county_registration_is_the_admitted_county_not_the_region() -> None:
    target = routing.destination(county_registered(KEY, COUNTY_C, KEY))
    assert target.key == COUNTY_C.encode() != REGION.encode()


@pytest.mark.parametrize(
    "event",
    [
        by_region(
            DeadLettered,
            reason_code="malformed_json",
            reason="Expecting value",
            raw="eA==",
            source_topic="liudong.county-events",
            source_partition=0,
            source_offset=1,
        ),
    ],
    ids=lambda event: event.event_type,
)
def test_derived_non_person_events_are_not_routed(event: Envelope) -> None:
    with pytest.raises(ValueError, match=f"{event.event_type} is not published by county nodes"):
        routing.destination(event)


def test_every_county_event_type_is_either_personal_or_broadcast() -> None:
    for event_type, cls in union_members(topics.COUNTY_EVENTS.union).items():
        personal = issubclass(cls, PersonEvent)
        assert personal != (event_type in routing.BROADCAST_TYPES), event_type


def test_derived_person_events_route_by_person_key_too() -> None:
    reminded = by_region(
        ObligationReminded,
        person_key=PERSON,
        obligation_id="ob-1",
        responsible_county=COUNTY_B,
        due_at=LATER,
    )
    assert routing.destination(reminded).key == PERSON.encode()


@pytest.mark.parametrize(
    ("person_key", "partitions", "expected"),
    [
        ("00000000" + "0" * 56, 6, 0),
        ("00000007" + "f" * 56, 6, 1),
        ("ffffffff" + "0" * 56, 6, 0xFFFFFFFF % 6),
        ("0000000a" + "1" * 56, 3, 1),
        ("12345678" + "9" * 56, 1, 0),
    ],
)
def test_person_partition_reads_the_first_eight_hex_digits(
    person_key: str, partitions: int, expected: int
) -> None:
    assert routing.person_partition(person_key, partitions) == expected


def test_person_partition_needs_a_partition() -> None:
    with pytest.raises(ValueError, match="at least one partition"):
        routing.person_partition("0" * 64, 0)


@pytest.mark.parametrize("arrived_on", [0, 1, 5])
@pytest.mark.parametrize("event", PERSON_EVENTS, ids=lambda event: event.event_type)
def test_the_gate_places_a_person_event_on_its_persons_partition(
    event: PersonEvent, arrived_on: int
) -> None:
    # PERSON is "abab...": 0xabababab = 2880154539, and 2880154539 mod 6 = 3.
    assert routing.placement(event, arrived_on, 6) == (3, PERSON.encode())


@pytest.mark.parametrize("arrived_on", [0, 4])
@pytest.mark.parametrize("event", BROADCAST_EVENTS, ids=lambda event: event.event_type)
def test_the_gate_keeps_a_broadcast_copy_on_its_own_partition(
    event: Envelope, arrived_on: int
) -> None:
    assert routing.placement(event, arrived_on, 6) == (arrived_on, str(arrived_on).encode())
