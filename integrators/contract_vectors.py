"""Test vectors for county integrators: fixed keys and inputs, and what the region makes of
them. Every expected value is computed here by the code that decides live (canonical JSON
and Ed25519 in ``streams.signing``, person keys in ``contracts.identity``, partitions in
``streams.routing``, the registry in ``agents.registry``, the gate's decision in
``agents.gate_rules``), so the file cannot disagree with the code; ``liudong schema export``
writes it as ``vectors.json`` beside the schemas, and the tests check both the file and an
independent implementation (Node's built-in crypto) against it.

The messages are decided in order, as one partition of county-events would see them: the
gate remembers the ids it admitted and its logical clock from one message to the next.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agents.admission import Admission, Judgement, Repeat
from agents.gate_rules import Rejected
from agents.registry import Registry, RegistryRejection
from contracts import canonical_json, unions
from contracts.envelope import Envelope
from contracts.events.agreements import AgreementSigned
from contracts.events.clock import ClockTicked
from contracts.events.migration import InflowRegistered, OutflowRegistered
from contracts.events.registry import (
    CountyRegistered,
    KeyRotated,
    PublisherRegistered,
    RegistryChange,
)
from contracts.identity import InvalidNationalId, check_char, person_key
from contracts.publishers import node_id, region_id
from streams import routing, signing
from streams.codec import Codec

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


def _event_id(name: str) -> uuid.UUID:
    return uuid.uuid5(_IDS, name)


def _pk(national_id: str) -> str:
    return person_key(national_id, SECRET.encode())


@dataclass
class _Signer:
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
                "event_id": _event_id(ident),
                "schema_version": cls.SCHEMA_VERSION,
                "occurred_at": at,
                "recorded_at": at,
                "source_county": self.source,
                "publisher_id": self.publisher,
                "correlation_id": _event_id(ident),
                **fields,
            }
        )
        return self.sign(event.model_dump(mode="json"))

    def sign(self, obj: dict[str, Any]) -> dict[str, Any]:
        unsigned = {k: v for k, v in obj.items() if k != "signature"}
        signature = signing.sign(private_key(self.key), unsigned)
        self.made[signature] = self.key
        return {**unsigned, "signature": signature}


def _value(obj: dict[str, Any]) -> bytes:
    """The message value as a county system would send it: compact JSON, UTF-8."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class _Vectors:
    signers: dict[str, _Signer]
    made: dict[str, str] = field(default_factory=dict)  # every signature made -> key name

    def __post_init__(self) -> None:
        for signer in self.signers.values():
            signer.made = self.made

    def signature_part(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The canonical bytes, and which key made the signature and whether it verifies."""
        canonical = canonical_json.canonical_bytes(obj)
        part: dict[str, Any] = {
            "canonical": canonical.decode(),
            "canonical_base64": base64.b64encode(canonical).decode(),
        }
        signature = obj.get("signature")
        key = self.made.get(signature) if isinstance(signature, str) else None
        if key is not None:
            part["signed_with"] = key
            part["signature_verifies"] = signing.verify(private_key(key).public_key(), obj)
        return part


def _routing(obj: dict[str, Any]) -> dict[str, Any]:
    event_type = obj.get("event_type")
    if event_type in routing.BROADCAST_TYPES:
        return {"broadcast": True}
    person = obj.get("person_key")
    if isinstance(person, str) and len(person) == 64:
        return {"key": person, "partition": routing.person_partition(person, PARTITIONS)}
    return {}


def outcome(decision: Judgement) -> dict[str, Any]:
    """A judgement as the vectors record it (the gate's decision, then the cases' novelty)."""
    if isinstance(decision, Rejected):
        return {"outcome": "refused", "reason_code": decision.code, "reason": decision.reason}
    if isinstance(decision, Repeat):
        return {"outcome": "duplicate"}
    return {"outcome": "admitted"}


def _signers() -> dict[str, _Signer]:
    return {
        "region": _Signer("region", REGION, region_id(REGION)),
        "origin_node": _Signer("origin_node", ORIGIN, node_id(ORIGIN)),
        "destination_node": _Signer("destination_node", DESTINATION, node_id(DESTINATION)),
        "police": _Signer("police", ORIGIN, POLICE),
        "police_rotated": _Signer("police_rotated", ORIGIN, POLICE),
    }


def _registry_changes(s: dict[str, _Signer]) -> list[tuple[str, dict[str, Any]]]:
    public = {name: signing.public_key_b64(private_key(name)) for name in KEY_NAMES}
    region, origin = s["region"], s["origin_node"]
    return [
        (
            "the region registers the origin county's node",
            region.obj(
                CountyRegistered,
                "county-origin",
                county=ORIGIN,
                name="汉滨区",
                public_key=public["origin_node"],
            ),
        ),
        (
            "the region registers the destination county's node",
            region.obj(
                CountyRegistered,
                "county-destination",
                county=DESTINATION,
                name="宝安区",
                public_key=public["destination_node"],
            ),
        ),
        (
            "the origin's node registers its police department, allowed outflows only",
            origin.obj(
                PublisherRegistered,
                "police",
                county=ORIGIN,
                publisher=POLICE,
                role="police",
                public_key=public["police"],
                event_types=("outflow_registered",),
            ),
        ),
        (
            "the region rotates the police department's key a day later",
            region.obj(
                KeyRotated,
                "police-rotated",
                county=ORIGIN,
                publisher=POLICE,
                public_key=public["police_rotated"],
                effective_at=RETIRE,
            ),
        ),
        (
            "a county node cannot register another county: refused",
            origin.obj(
                CountyRegistered,
                "county-by-a-node",
                county="610921",
                name="汉阴县",
                public_key=public["police"],
            ),
        ),
    ]


def _registry_part(vectors: _Vectors, registry: Registry) -> list[dict[str, Any]]:
    codec: Codec[Any] = Codec(unions.RegistryEvent)
    out = []
    for about, obj in _registry_changes(vectors.signers):
        value = _value(obj)
        decoded = codec.decode(value)
        change: RegistryChange = decoded.event
        try:
            registry.apply(change, decoded.raw)
            outcome: dict[str, Any] = {"outcome": "admitted"}
        except RegistryRejection as exc:
            outcome = {"outcome": "refused", "reason_code": exc.code, "reason": exc.reason}
        out.append(
            {
                "about": about,
                "value": value.decode(),
                "key": obj["county"],
                **vectors.signature_part(obj),
                "registry": outcome,
            }
        )
    return out


def _tampered(obj: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**obj, **changes}


def _messages(s: dict[str, _Signer]) -> list[tuple[str, bytes, dict[str, Any] | None]]:
    """(what it shows, the exact bytes sent, the JSON object when it is one)."""
    region, origin, dest = s["region"], s["origin_node"], s["destination_node"]
    police, rotated = s["police"], s["police_rotated"]
    p1, p2, p3 = _pk(PERSON_1), _pk(PERSON_2), _pk(PERSON_3)
    agreement: dict[str, Any] = {
        "agreement_id": f"agr-{ORIGIN}-{DESTINATION}",
        "origin_county": ORIGIN,
        "destination_county": DESTINATION,
        "effective_from": T0,
        "terms": {"arrival_days": 20, "remind_fraction": 0.25},
    }
    outflow = origin.obj(
        OutflowRegistered,
        "outflow-1",
        at=T0 + dt.timedelta(hours=9),
        person_key=p1,
        origin_county=ORIGIN,
        destination_county=DESTINATION,
        reason="work",
    )
    v1 = origin.sign(
        {
            **{k: v for k, v in outflow.items() if k not in ("destination_county", "reason")},
            "event_id": str(_event_id("outflow-v1")),
            "correlation_id": str(_event_id("outflow-v1")),
            "schema_version": 1,
            "person_key": p2,
            "to_county": DESTINATION,
        }
    )
    mixed = origin.sign({**outflow, "event_id": str(_event_id("mixed")), "schema_version": 1})
    objects: list[tuple[str, dict[str, Any]]] = [
        (
            "the region's clock tick: admitted, and the partition's clock is now T0",
            region.obj(ClockTicked, "tick-0"),
        ),
        (
            "the origin signs an agreement: admitted, but it binds only once both have signed",
            origin.obj(AgreementSigned, "agreement-origin", **agreement),
        ),
        (
            "the destination signs the same agreement: admitted, and the agreement now binds",
            dest.obj(AgreementSigned, "agreement-destination", **agreement),
        ),
        ("an outflow (schema version 2) from the origin's node: admitted", outflow),
        ("an outflow at schema version 1 (to_county, no reason): admitted and upcast", v1),
        (
            "the destination registers the arrival: admitted",
            dest.obj(
                InflowRegistered,
                "inflow-1",
                at=T0 + dt.timedelta(hours=12),
                person_key=p1,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            ),
        ),
        (
            "the origin's police, in scope, before its key was rotated: admitted",
            police.obj(
                OutflowRegistered,
                "police-outflow",
                at=T0 + dt.timedelta(hours=10),
                person_key=p3,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            ),
        ),
        ("the same outflow sent again: a duplicate, dropped", outflow),
        (
            "the outflow's destination changed after signing: refused",
            _tampered(
                {**outflow, "event_id": str(_event_id("tampered"))}, destination_county="610921"
            ),
        ),
        (
            "no signature: refused",
            {
                k: v
                for k, v in origin.obj(
                    OutflowRegistered,
                    "unsigned",
                    person_key=p2,
                    origin_county=ORIGIN,
                    destination_county=DESTINATION,
                ).items()
                if k != "signature"
            },
        ),
        (
            "the origin's node key signing as the destination county: refused",
            origin.sign(
                {
                    **dest.obj(
                        InflowRegistered,
                        "mismatch",
                        person_key=p2,
                        origin_county=ORIGIN,
                        destination_county=DESTINATION,
                    ),
                    "publisher_id": node_id(ORIGIN),
                }
            ),
        ),
        (
            "a publisher nobody registered: refused",
            origin.sign(
                {
                    **outflow,
                    "event_id": str(_event_id("unknown")),
                    "publisher_id": f"{ORIGIN}/archive",
                }
            ),
        ),
        ("version 1 with version-2 field names: refused, naming the versions", mixed),
        (
            "a schema version this region does not know: refused",
            origin.sign({**outflow, "event_id": str(_event_id("v3")), "schema_version": 3}),
        ),
        (
            "an event type with a typo: refused",
            origin.sign(
                {**outflow, "event_id": str(_event_id("typo")), "event_type": "outflow_registred"}
            ),
        ),
        (
            "the police publishing an arrival, outside its scope: refused",
            police.obj(
                InflowRegistered,
                "police-inflow",
                person_key=p3,
                origin_county=DESTINATION,
                destination_county=ORIGIN,
            ),
        ),
        (
            "the destination registering the origin's outflow: refused",
            dest.obj(
                OutflowRegistered,
                "not-a-party",
                person_key=p2,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            ),
        ),
        (
            "a county code that does not exist: refused",
            origin.sign(
                {**outflow, "event_id": str(_event_id("bad-code")), "destination_county": "999999"}
            ),
        ),
        (
            "an admitted event's id on other content: refused",
            origin.sign({**outflow, "reason": "study"}),
        ),
        (
            "three days past the partition's clock: refused",
            origin.obj(
                OutflowRegistered,
                "far-future",
                at=T0 + dt.timedelta(days=3),
                person_key=p2,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            ),
        ),
        (
            "the police's old key after its rotation: refused",
            police.obj(
                OutflowRegistered,
                "old-police-key",
                at=RETIRE + dt.timedelta(hours=1),
                person_key=p3,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            ),
        ),
        (
            "the police's new key: admitted",
            rotated.obj(
                OutflowRegistered,
                "new-police-key",
                at=RETIRE + dt.timedelta(hours=1),
                person_key=p3,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            ),
        ),
    ]
    messages: list[tuple[str, bytes, dict[str, Any] | None]] = [
        (about, _value(obj), obj) for about, obj in objects
    ]
    messages.append(("not JSON: refused", b'{"event_type": "outflow_registered", ', None))
    return messages


def _message_part(vectors: _Vectors, registry: Registry) -> list[dict[str, Any]]:
    judge = Admission(registry)
    out = []
    for about, value, obj in _messages(vectors.signers):
        decision = judge.judge(value)
        vector: dict[str, Any] = {"about": about, "value": value.decode()}
        if obj is not None:
            vector.update(_routing(obj))
            vector.update(vectors.signature_part(obj))
        vector["gate"] = outcome(decision)
        out.append(vector)
    return out


def _person_keys() -> list[dict[str, Any]]:
    raw_forms = [
        PERSON_3,
        " 11010519491231002x ",
        "\u3000１１０１０５１９４９１２３１００２Ｘ",
        PERSON_1,
        PERSON_2,
        PERSON_3[:17] + "5",
        "110105194902300021",
        "11010519491231002",
    ]
    out: list[dict[str, Any]] = []
    for raw in raw_forms:
        try:
            key = _pk(raw)
        except InvalidNationalId as exc:
            out.append({"national_id": raw, "refused": str(exc)})
            continue
        out.append(
            {
                "national_id": raw,
                "person_key": key,
                "partition": routing.person_partition(key, PARTITIONS),
            }
        )
    return out


def vectors() -> dict[str, Any]:
    """The whole vectors document (deterministic: fixed keys, ids and instants)."""
    v = _Vectors(_signers())
    registry = Registry(REGION, private_key("region").public_key())
    registry_part = _registry_part(v, registry)
    return {
        "about": __doc__,
        "partitions": PARTITIONS,
        "keys": [
            {
                "name": name,
                "seed_hex": seed(name).hex(),
                "public_key": signing.public_key_b64(private_key(name)),
                "publisher_id": _signers()[name].publisher,
            }
            for name in KEY_NAMES
        ],
        "person_key_secret": SECRET,
        "person_keys": _person_keys(),
        "registry": registry_part,
        "county_events": _message_part(v, registry),
    }
