"""The cast of the test vectors: the region, the two counties and the police department, their
fixed keys and persons, and a signer per key that builds events as its publisher would, at
fixed instants, with fixed ids."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.envelope import Envelope
from contracts.identity import check_char, person_key
from contracts.publishers import node_id, region_id
from streams import signing

PARTITIONS = 6
REGION = "610900"  # 安康市
ORIGIN = "610902"  # 汉滨区
DESTINATION = "440306"  # 深圳市宝安区
POLICE = f"{ORIGIN}/police"
# A generated secret is 64 hex characters, used as text: its UTF-8 bytes key the HMAC.
SECRET = "5f0c2a9e7d4b1c3a8e6f9d2b4c7a1e3f5b8d0c2e4a6f8b1d3c5e7a9b2d4f6a8c"  # noqa: S105
T0 = dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)
RETIRE = T0 + dt.timedelta(days=1)  # the police key is rotated from here on
_IDS = uuid.UUID("5d8e3f0a-6c1b-4e2d-9a7f-0b1c2d3e4f50")

KEY_NAMES = ("region", "origin_node", "destination_node", "police", "police_rotated")


def _id17(prefix: str, serial: int) -> str:
    first17 = f"{prefix}{serial:03d}"
    return first17 + check_char(first17)


PERSON_1 = _id17("61090219800101", 1)
PERSON_2 = _id17("61090219921231", 42)
PERSON_3 = "11010519491231002X"  # the example in GB 11643


def seed(name: str) -> bytes:
    """A fixed 32-byte Ed25519 seed (derived from the name only so it is easy to check)."""
    return hashlib.sha256(f"liudong test vector key: {name}".encode()).digest()


def private_key(name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed(name))


def event_id(name: str) -> uuid.UUID:
    return uuid.uuid5(_IDS, name)


def pk(national_id: str) -> str:
    return person_key(national_id, SECRET.encode())


@dataclass
class Signer:
    """Builds events as the named publisher would, at fixed instants, and signs them."""

    key: str  # key name, one of KEY_NAMES
    source: str  # source_county
    publisher: str  # publisher_id
    made: dict[str, str] = field(default_factory=dict)  # signature -> key name

    def obj(
        self, cls: type[Envelope], ident: str, /, *, at: dt.datetime = T0, **fields: Any
    ) -> dict[str, Any]:
        """The event as JSON (pydantic's field order), signed."""
        event = cls.model_validate(
            {
                "event_id": event_id(ident),
                "schema_version": cls.SCHEMA_VERSION,
                "occurred_at": at,
                "recorded_at": at,
                "source_county": self.source,
                "publisher_id": self.publisher,
                "correlation_id": event_id(ident),
                **fields,
            }
        )
        return self.sign(event.model_dump(mode="json"))

    def sign(self, obj: dict[str, Any]) -> dict[str, Any]:
        unsigned = {k: v for k, v in obj.items() if k != "signature"}
        signature = signing.sign(private_key(self.key), unsigned)
        self.made[signature] = self.key
        return {**unsigned, "signature": signature}


def value(obj: dict[str, Any]) -> bytes:
    """The message value as a county system would send it: compact JSON, UTF-8."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def signers() -> dict[str, Signer]:
    return {
        "region": Signer("region", REGION, region_id(REGION)),
        "origin_node": Signer("origin_node", ORIGIN, node_id(ORIGIN)),
        "destination_node": Signer("destination_node", DESTINATION, node_id(DESTINATION)),
        "police": Signer("police", ORIGIN, POLICE),
        "police_rotated": Signer("police_rotated", ORIGIN, POLICE),
    }
