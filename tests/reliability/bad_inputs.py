"""The bad-input corpus: every kind of refusable message, with the refusal it must earn.

Each kind is, apart from its one defect, a valid and correctly signed event (mutations are
re-signed with the right key), so the refusal it earns is the one its defect explains and
not an earlier check tripping on something else. ``code`` is the reason code the gate must
give and ``reason_has`` a fragment its reason text must contain.

Pure: no I/O. :func:`build` needs the keys the test registered, the last clock tick's
instant, and a valid outflow and agreement published before the corpus (for the reused
event ids).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.envelope import Envelope
from contracts.events.clock import ClockTicked
from contracts.events.cooperation import InquirySent
from contracts.events.migration import InflowRegistered, OutflowRegistered
from contracts.events.registry import CountyRegistered
from contracts.identity import InvalidNationalId, check_char, person_key
from streams import codec, signing
from streams.signing import public_key_b64

ORIGIN = "610902"  # 汉滨区
DESTINATION = "440306"  # 宝安区
THIRD = "610921"  # 汉阴县
UNREGISTERED = "610925"  # 镇坪县: a real county code that never registered a key
OFFICE = f"{ORIGIN}/office-{DESTINATION}"  # 汉滨区's outposted office in 宝安区
OFFICE_TYPES = ("inflow_registered", "inquiry_sent")
REGION = "610900"

COUNTY_EVENTS = "county-events"
REGISTRY = "registry"

Raw = dict[str, Any]


@dataclass(frozen=True, slots=True)
class BadInput:
    kind: str
    code: str  # the reason code the dead letter must carry
    reason_has: str  # a fragment of the reason text
    value: bytes | None  # None: a tombstone (a message without a value)
    key: bytes
    topic: str = COUNTY_EVENTS  # catalog name, without the prefix
    hides: str = ""  # an ID number in the message that its dead letter must not keep
    # The gate admits it (nothing is wrong with it alone); the cases agent refuses it from
    # the validated topic, where the case or book that already holds its id is.
    admitted: bool = False


@dataclass(frozen=True, slots=True)
class Signers:
    region: Ed25519PrivateKey
    counties: dict[str, Ed25519PrivateKey]  # the registered county nodes' keys
    office: Ed25519PrivateKey  # OFFICE's key
    secret: bytes  # the person-key secret


def national_id(n: int) -> str:
    """A valid GB 11643 number (check digit computed) born in 汉滨区."""
    first17 = f"{ORIGIN}{1960 + n % 45:04d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + check_char(first17)


def with_bad_check_digit(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def signed(
    cls: type[Envelope],
    key: Ed25519PrivateKey,
    *,
    source: str,
    at: dt.datetime,
    publisher_id: str | None = None,
    event_id: uuid.UUID | None = None,
    **fields: Any,
) -> Raw:
    """A valid event as the JSON object a node sends, signed by ``key``."""
    event_id = event_id or uuid.uuid4()
    event = cls.model_validate(
        {
            "event_id": event_id,
            "schema_version": cls.SCHEMA_VERSION,
            "occurred_at": at,
            "recorded_at": at,
            "source_county": source,
            "publisher_id": publisher_id or f"{source}/node",
            "correlation_id": event_id,
            **fields,
        },
        strict=False,
    )
    obj: Raw = json.loads(codec.encode(event))
    return resign(obj, key)


def resign(obj: Raw, key: Ed25519PrivateKey) -> Raw:
    out = {k: v for k, v in obj.items() if k != "signature"}
    out["signature"] = signing.sign(key, out)
    return out


def encode(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def sized(obj: Raw, size: int, key: Ed25519PrivateKey) -> Raw:
    """``obj`` with its ``remarks`` padded so that, signed again, it is ``size`` bytes."""
    padded = resign({**obj, "remarks": ""}, key)
    padded["remarks"] = "x" * (size - len(encode(padded)))
    out = resign(padded, key)
    assert len(encode(out)) == size
    return out


def build(
    s: Signers, *, at: dt.datetime, original: Envelope, agreement: Envelope
) -> list[BadInput]:
    """Every kind, in the order they are sent."""
    a = s.counties[ORIGIN]
    serial = iter(range(10_000, 20_000))

    def pkey() -> str:
        return person_key(national_id(next(serial)), s.secret)

    def outflow(key: Ed25519PrivateKey = a, when: dt.datetime = at, **over: Any) -> Raw:
        fields: Raw = {
            "person_key": pkey(),
            "origin_county": ORIGIN,
            "destination_county": DESTINATION,
            "reason": "work",
        }
        return signed(OutflowRegistered, key, source=ORIGIN, at=when, **(fields | over))

    def mutated(change: Callable[[Raw], object], key: Ed25519PrivateKey = a) -> Raw:
        """An outflow changed by ``change`` after building (so model checks are bypassed),
        then signed again by ``key``: only the change is wrong."""
        obj = outflow()
        change(obj)
        return resign(obj, key)

    out: list[BadInput] = []

    def add(kind: str, code: str, has: str, value: bytes | Raw | None, **kw: Any) -> None:
        if isinstance(value, dict):
            pk = value.get("person_key")
            kw.setdefault("key", pk.encode() if isinstance(pk, str) else b"0")
            value = encode(value)
        kw.setdefault("key", b"0")
        out.append(BadInput(kind, code, has, value, **kw))

    good = encode(outflow())

    # --- the bytes ---------------------------------------------------------------------------
    add("truncated JSON", "malformed_json", "line 1", good[: len(good) // 2])
    add("not UTF-8", "not_utf8", "invalid UTF-8", b'{"event_type": "outflow\xff\xfe"}')
    add("UTF-8 byte-order mark", "malformed_json", "BOM", b"\xef\xbb\xbf" + good)
    add("empty message", "empty_message", "no value", b"")
    add("tombstone (no value)", "empty_message", "no value", None)
    add(
        "oversize payload (within the topic's slack for record overhead)",
        "oversize",
        "exceeds the limit",
        sized(mutated(lambda o: o.update(remarks="")), codec.DEFAULT_MAX_BYTES + 256, a),
    )
    add("deeply nested JSON", "malformed_json", "unreadable JSON", b"[" * 30_000 + b"]" * 30_000)
    add("integer too long", "malformed_json", "unreadable JSON", b'{"n": ' + b"9" * 5000 + b"}")
    add("JSON array", "not_an_object", "list", encode([json.loads(good)]))
    add("JSON string", "not_an_object", "str", b'"outflow_registered"')
    add("JSON null", "not_an_object", "NoneType", b"null")

    # --- one reading of every message --------------------------------------------------------
    add(
        "a key twice, the forged value first (the signed one last)",
        "duplicate_key",
        "'destination_county' appears more than once in the event",
        b'{"destination_county": "610113", ' + encode(outflow())[1:],
    )
    nested = encode(json.loads(codec.encode(agreement)))
    add(
        "a key twice inside a nested object",
        "duplicate_key",
        "'arrival_days' appears more than once in terms",
        nested.replace(b'"terms": {', b'"terms": {"arrival_days": 60, ', 1),
    )

    # --- the event's shape -------------------------------------------------------------------
    add("no event_type", "missing_event_type", "event_type", mutated(lambda o: o.pop("event_type")))
    add(
        "event_type not a string",
        "missing_event_type",
        "event_type",
        mutated(lambda o: o.update(event_type=7)),
    )
    add(
        "unknown event type",
        "unknown_event_type",
        "person_teleported",
        mutated(lambda o: o.update(event_type="person_teleported")),
    )
    add(
        "derived event forged by a county",
        "unknown_event_type",
        "obligation_fulfilled",
        mutated(lambda o: o.update(event_type="obligation_fulfilled")),
    )
    add(
        "registry event on the county topic",
        "unknown_event_type",
        "county_registered",
        signed(
            CountyRegistered,
            s.region,
            source=REGION,
            at=at,
            publisher_id=f"{REGION}/region",
            county=UNREGISTERED,
            name="镇坪县",
            public_key=public_key_b64(Ed25519PrivateKey.generate()),
        ),
    )
    add(
        "future schema version",
        "unsupported_schema_version",
        "is at schema version 2 (accepted: 1, 2); got 3",
        mutated(lambda o: o.update(schema_version=3)),
    )
    add(
        "old schema version with no upcaster",
        "unsupported_schema_version",
        "is at schema version 2 (accepted: 1, 2); got 0",
        mutated(lambda o: o.update(schema_version=0)),
    )
    add(
        "schema version as a string",
        "invalid_fields",
        "schema_version",
        mutated(lambda o: o.update(schema_version="2")),
    )
    add(
        "wrong type: county code as a number",
        "invalid_fields",
        "destination_county",
        mutated(lambda o: o.update(destination_county=440306)),
    )
    add(
        "wrong type: occurred_at as a number",
        "invalid_fields",
        "occurred_at",
        mutated(lambda o: o.update(occurred_at=1_767_225_600)),
    )
    add(
        "occurred_at without a time zone",
        "invalid_fields",
        "occurred_at",
        mutated(lambda o: o.update(occurred_at="2026-03-01T08:00:00")),
    )
    add(
        "null person_key",
        "invalid_fields",
        "person_key",
        mutated(lambda o: o.update(person_key=None)),
        key=b"null-person",
    )
    add("null event_id", "invalid_fields", "event_id", mutated(lambda o: o.update(event_id=None)))
    add(
        "event_id not a UUID",
        "invalid_fields",
        "event_id",
        mutated(lambda o: o.update(event_id="evt-1")),
    )
    add(
        "required field missing",
        "invalid_fields",
        "destination_county",
        mutated(lambda o: o.pop("destination_county")),
    )
    add(
        "extra field",
        "invalid_fields",
        "remarks",
        mutated(lambda o: o.update(remarks="called twice, no answer")),
    )
    raw_number = national_id(next(serial))
    add(
        "raw national ID sent instead of its key",
        "invalid_fields",
        "national_id",
        mutated(lambda o: (o.pop("person_key"), o.update(national_id=raw_number))),
        hides=raw_number,
    )
    bad_digit = with_bad_check_digit(national_id(next(serial)))
    try:  # the node refuses it before hashing (GB 11643 check digit) ...
        person_key(bad_digit, s.secret)
    except InvalidNationalId:
        pass
    else:  # pragma: no cover - would mean the node's check is gone
        raise AssertionError("the node hashed an ID with a bad check digit")
    add(  # ... and a system that bypasses the node and sends the number itself is refused
        "ID number with a bad check digit as person_key",
        "invalid_fields",
        "person_key",
        mutated(lambda o: o.update(person_key=bad_digit)),
        key=bad_digit.encode(),
    )
    add(
        "unknown county code",
        "invalid_fields",
        "GB/T 2260",
        mutated(lambda o: o.update(destination_county="999999")),
    )
    add(
        "unknown source county",
        "invalid_fields",
        "source_county",
        mutated(lambda o: o.update(source_county="000000")),
    )

    def self_inflow(o: Raw) -> None:
        # The destination registers an arrival "from" itself.
        del o["reason"]
        o.update(
            event_type="inflow_registered",
            schema_version=1,
            origin_county=DESTINATION,
            source_county=DESTINATION,
            publisher_id=f"{DESTINATION}/node",
        )

    add(
        "inflow naming itself as origin",
        "invalid_fields",
        "cannot name its destination as its origin",
        mutated(self_inflow, s.counties[DESTINATION]),
    )
    add(
        "outflow to its own county",
        "invalid_fields",
        "cannot name its origin as its destination",
        mutated(lambda o: o.update(destination_county=ORIGIN)),
    )
    add(
        "NUL and ESC in a field's name (escaped in the reason)",
        "invalid_fields",
        "a\\x00\\x1b[2J: Extra inputs are not permitted",
        mutated(lambda o: o.update({"a\x00\x1b[2J": 1})),
    )
    add(  # no UTF-8 for it, so it cannot be signed: sent as a JSON escape
        "a lone surrogate as a field's name",
        "invalid_fields",
        "Invalid JSON",
        json.dumps({**outflow(), "\ud800": 1}).encode(),
    )
    id_as_type = national_id(next(serial))
    add(
        "a national ID number as the event type (masked in the reason)",
        "unknown_event_type",
        "unknown event type '******************'",
        mutated(lambda o: o.update(event_type=id_as_type)),
        hides=id_as_type,
    )
    add(
        "signature not base64",
        "invalid_fields",
        "signature",
        {**outflow(), "signature": "not a signature"},
    )

    # --- who signed ----------------------------------------------------------------------------
    unsigned = outflow()
    unsigned.pop("signature")
    add("missing signature", "missing_signature", "not signed", unsigned)
    add(
        "signed by an unregistered key",
        "bad_signature",
        "does not verify",
        outflow(key=Ed25519PrivateKey.generate()),
    )
    tampered = outflow()
    tampered["destination_county"] = "610113"  # changed after signing, not re-signed
    add("content changed after signing", "bad_signature", "does not verify", tampered)
    add(
        "a county's key signing for another county",
        "county_mismatch",
        f"cannot publish as county {ORIGIN}",
        mutated(lambda o: o.update(publisher_id=f"{THIRD}/node"), s.counties[THIRD]),
    )
    add(
        "another county's key under this county's name",
        "bad_signature",
        f"{ORIGIN}/node",
        outflow(key=s.counties[THIRD]),
    )
    add(
        "unknown publisher",
        "unknown_publisher",
        f"{UNREGISTERED}/node",
        mutated(
            lambda o: o.update(
                source_county=UNREGISTERED,
                publisher_id=f"{UNREGISTERED}/node",
                origin_county=UNREGISTERED,
            ),
            Ed25519PrivateKey.generate(),
        ),
    )
    add(
        "office publishing outside its scope",
        "out_of_scope",
        "may not publish outflow_registered",
        mutated(lambda o: o.update(publisher_id=OFFICE), s.office),
    )
    add(
        "region-only event from a county",
        "out_of_scope",
        "may not publish clock_ticked",
        signed(ClockTicked, a, source=ORIGIN, at=at),
    )
    add(
        "outflow for another county's resident",
        "not_a_party",
        f"must come from {THIRD}",
        mutated(lambda o: o.update(origin_county=THIRD)),
    )
    add(
        "arrival registered by a county that is not the destination",
        "not_a_party",
        f"cannot register arrivals in {DESTINATION}",
        signed(
            InflowRegistered,
            s.counties[THIRD],
            source=THIRD,
            at=at,
            person_key=pkey(),
            origin_county=ORIGIN,
            destination_county=DESTINATION,
        ),
    )
    add(
        "inquiry addressed to its own county",
        "not_a_party",
        "cannot address its own county",
        signed(
            InquirySent,
            a,
            source=ORIGIN,
            at=at,
            person_key=pkey(),
            inquiry_id="q-self",
            to_county=ORIGIN,
            kind="certificate",
        ),
    )

    # --- when, and whether it is new -------------------------------------------------------------
    add(
        "occurred_at beyond the allowed clock skew",
        "clock_skew",
        "past the logical clock",
        outflow(when=at + dt.timedelta(days=30)),
    )
    add(
        "clock tick before the last one",
        "clock_regression",
        "is before",
        signed(
            ClockTicked,
            s.region,
            source=REGION,
            at=at - dt.timedelta(days=1),
            publisher_id=f"{REGION}/region",
        ),
        key=b"0",
    )
    reused = json.loads(codec.encode(original))
    reused["reason"] = "family" if reused.get("reason") != "family" else "study"
    add(
        "replayed event id on other content, same person",
        "event_id_reused",
        f"event id {original.event_id} was already used in this case",
        resign(reused, a),
        admitted=True,
    )
    other_agreement = json.loads(codec.encode(agreement))
    other_agreement["agreement_id"] = "a-610902-610921"
    other_agreement["destination_county"] = THIRD
    add(
        "replayed agreement event id on other content",
        "event_id_reused",
        f"event id {agreement.event_id} was already used in this book",
        resign(other_agreement, a),
        admitted=True,
        key=b"0",
    )

    # --- the registry topic --------------------------------------------------------------------
    forged = signed(
        CountyRegistered,
        s.counties[THIRD],
        source=THIRD,
        at=at,
        county=UNREGISTERED,
        name="镇坪县",
        public_key=public_key_b64(Ed25519PrivateKey.generate()),
    )
    add(
        "county registration by a county key",
        "county_mismatch",
        f"only {REGION}/region",
        forged,
        topic=REGISTRY,
        key=UNREGISTERED.encode(),
    )
    forged_region = signed(
        CountyRegistered,
        Ed25519PrivateKey.generate(),
        source=REGION,
        at=at,
        publisher_id=f"{REGION}/region",
        county=UNREGISTERED,
        name="镇坪县",
        public_key=public_key_b64(Ed25519PrivateKey.generate()),
    )
    add(
        "county registration not signed by the region's key",
        "bad_signature",
        f"{REGION}/region",
        forged_region,
        topic=REGISTRY,
        key=UNREGISTERED.encode(),
    )
    add(
        "registry message with a key twice",
        "duplicate_key",
        "'county' appears more than once in the event",
        b'{"county": "610925", "county": "610925", "event_type": "county_registered"}',
        topic=REGISTRY,
        key=UNREGISTERED.encode(),
    )
    add(
        "malformed registry message",
        "malformed_json",
        "line 1",
        b'{"event_type": "county_registered", ',
        topic=REGISTRY,
        key=UNREGISTERED.encode(),
    )
    return out
