"""The registry changes ``liudong region`` and ``liudong county`` publish, built from their
arguments, and the line saying what was published (no broker: the node is never started)."""

from __future__ import annotations

import argparse
import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from contracts.events.registry import (
    CountyRegistered,
    KeyRotated,
    PublisherRegistered,
    PublisherRevoked,
)
from entrypoints import registry_change
from streams.county_node import CountyNode

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
KEY = base64.b64encode(bytes(range(32))).decode()


def region() -> CountyNode:
    return CountyNode(
        county="610900",
        publisher_id="610900/region",
        private_key=Ed25519PrivateKey.generate(),
        person_key_secret=b"",
        bootstrap_servers="127.0.0.1:1",
    )


def args(action: str, **fields: object) -> argparse.Namespace:
    return argparse.Namespace(**{"action": action, "at": None, **fields})


def test_each_action_builds_its_change_at_now_or_at() -> None:
    county = registry_change.build_change(
        region(), args("register-county", county="610902", name="汉滨区", public_key=KEY), NOW
    )
    assert isinstance(county, CountyRegistered)
    assert (county.county, county.name, county.occurred_at) == ("610902", "汉滨区", NOW)
    assert registry_change.describe(county) == (
        "county_registered 610902 (汉滨区): node 610902/node"
    )
    publisher = registry_change.build_change(
        region(),
        args(
            "register-publisher",
            publisher="610902/police",
            role="police",
            public_key=KEY,
            event_types=("person_registered",),
            stationed_in=None,
        ),
        NOW,
    )
    assert isinstance(publisher, PublisherRegistered)
    assert publisher.county == "610902"
    assert registry_change.describe(publisher) == (
        "publisher_registered 610902/police (police): person_registered"
    )
    later = NOW + dt.timedelta(days=1)
    rotated = registry_change.build_change(
        region(),
        args("rotate-key", publisher="610902/node", public_key=KEY, effective=later, at=later),
        NOW,
    )
    assert isinstance(rotated, KeyRotated)
    assert rotated.occurred_at == later
    assert registry_change.describe(rotated) == (
        f"key_rotated 610902/node: old key retired {later.isoformat()}"
    )
    revoked = registry_change.build_change(
        region(), args("revoke", publisher="610902/police", effective=later, reason="moved"), NOW
    )
    assert isinstance(revoked, PublisherRevoked)
    assert registry_change.describe(revoked) == (
        f"publisher_revoked 610902/police from {later.isoformat()}"
    )


def test_an_invalid_field_is_one_line_naming_it() -> None:
    bad = args("register-county", county="610902", name="汉滨区", public_key="not a key")
    with pytest.raises(ValidationError) as raised:
        registry_change.build_change(region(), bad, NOW)
    line = registry_change.first_error(raised.value)
    assert line.startswith("public_key: ")
    assert "\n" not in line


def test_the_county_of_a_publisher_is_its_id_prefix() -> None:
    assert registry_change.county_of("610902/police") == "610902"
