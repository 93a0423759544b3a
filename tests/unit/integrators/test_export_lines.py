"""The node-side parsing of a county system's JSON-lines export: every refusal has a reason."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.envelope import Envelope
from contracts.events.migration import OutflowRegistered
from integrators.export_lines import LineError, parse_line
from streams import signing
from streams.county_node import CountyNode

GOOD_ID = "11010519491231002X"  # GB 11643's own example number


@pytest.fixture
def node() -> CountyNode:
    # Building and signing needs no broker: the producer is only made by start().
    return CountyNode(
        county="610902",
        private_key=Ed25519PrivateKey.generate(),
        person_key_secret=b"s",
        bootstrap_servers="127.0.0.1:1",
    )


def parse(node: CountyNode, obj: dict[str, Any] | str) -> Envelope:
    line = obj if isinstance(obj, str) else json.dumps(obj)
    return parse_line(line, county=node.county, build=node.build, hash_id=node.person_key)


def outflow(**overrides: Any) -> dict[str, Any]:
    line = {
        "event_type": "outflow_registered",
        "occurred_at": "2026-02-01T08:00:00+08:00",
        "national_id": GOOD_ID,
        "origin_county": "610902",
        "destination_county": "440306",
    }
    return {**line, **overrides}


def test_a_good_line_becomes_a_signed_event_without_the_raw_id(node: CountyNode) -> None:
    event = parse(node, outflow(reason="work"))
    assert isinstance(event, OutflowRegistered)
    assert event.person_key == node.person_key(GOOD_ID)
    assert event.occurred_at == dt.datetime(2026, 2, 1, 0, 0, tzinfo=dt.UTC)
    assert event.source_county == "610902"
    assert event.publisher_id == "610902/node"
    assert GOOD_ID not in event.model_dump_json()
    assert event.signature is not None


def test_the_same_line_makes_the_same_bytes_so_a_repeat_is_a_duplicate(node: CountyNode) -> None:
    first, again = parse(node, outflow()), parse(node, outflow())
    assert first.model_dump_json() == again.model_dump_json()
    assert first.recorded_at == first.occurred_at
    told = parse(node, outflow(recorded_at="2026-02-02T09:00:00+08:00"))
    assert told.recorded_at == dt.datetime(2026, 2, 2, 1, 0, tzinfo=dt.UTC)


def test_the_same_line_gets_the_same_event_id(node: CountyNode) -> None:
    assert parse(node, outflow()).event_id == parse(node, outflow()).event_id
    assert parse(node, outflow()).event_id != parse(node, outflow(reason="study")).event_id


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        (outflow(event_type="teleported"), "unknown or unpublishable event_type"),
        (outflow(event_type="obligation_opened"), "unknown or unpublishable event_type"),
        (outflow(national_id="110105194912310021"), "check digit"),
        (outflow(national_id=None), "national_id (a string) is required"),
        (outflow(person_key="ab" * 32), "person_key is set by the node"),
        (outflow(signature="x"), "signature is set by the node"),
        (outflow(destination_county="999999"), "GB/T 2260"),
        (outflow(destination_county="610902"), "origin as its destination"),
        (outflow(occurred_at="yesterday"), "occurred_at"),
        (outflow(occurred_at="2026-02-01T08:00:00"), "occurred_at"),
        (outflow(reason="fun"), "reason"),
        (outflow(colour="red"), "colour"),
    ],
)
def test_bad_lines_are_refused_with_a_reason(
    node: CountyNode, line: dict[str, Any] | str, reason: str
) -> None:
    with pytest.raises(LineError) as caught:
        parse(node, line)
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("{not json", "malformed_json"),
        ("[1, 2]", "not_an_object"),
        (outflow(event_type="teleported"), "unknown_event_type"),
        (outflow(national_id="110105194912310021"), "invalid_national_id"),
        (outflow(national_id=None), "invalid_national_id"),
        (outflow(signature="x"), "invalid_fields"),
        (outflow(destination_county="999999"), "invalid_fields"),
    ],
)
def test_bad_lines_carry_the_gates_reason_code(
    node: CountyNode, line: dict[str, Any] | str, code: str
) -> None:
    with pytest.raises(LineError) as caught:
        parse(node, line)
    assert caught.value.code == code


def test_missing_occurred_at_is_refused(node: CountyNode) -> None:
    line = outflow()
    del line["occurred_at"]
    with pytest.raises(LineError, match="occurred_at is required"):
        parse(node, line)


def test_signature_covers_the_canonical_form(node: CountyNode) -> None:
    event = parse(node, outflow())
    public = signing.load_public_key(signing.public_key_b64(node._key))
    assert signing.verify(public, json.loads(event.model_dump_json()))
    tampered = json.loads(event.model_dump_json()) | {"destination_county": "440307"}
    assert not signing.verify(public, tampered)
