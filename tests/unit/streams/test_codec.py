"""The codec: every event round-trips through bytes, and every kind of bad input is refused."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import operator
import re
import types
import typing
import uuid
from typing import Any

import annotated_types
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel, StringConstraints, ValidationError
from pydantic.fields import FieldInfo
from pydantic.functional_validators import AfterValidator

from contracts import types as ctypes
from contracts import unions
from contracts.envelope import Envelope
from contracts.events.migration import OutflowRegistered
from streams import topics
from streams.codec import (
    DEFAULT_MAX_BYTES,
    Codec,
    Decoded,
    DecodeError,
    encode,
    union_members,
)

# Real GB/T 2260 codes: Ankang's ten counties and a few from elsewhere.
COUNTIES = (
    "610902",
    "610921",
    "610922",
    "610923",
    "610924",
    "610925",
    "610926",
    "610927",
    "610929",
    "610981",
    "110105",
    "440308",
)
AUTHORITIES = (*COUNTIES, "610900", "610000")
ZONES = (
    dt.UTC,
    dt.timezone(dt.timedelta(hours=8)),
    dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
)
INSTANTS = st.datetimes(
    min_value=dt.datetime(1990, 1, 1),
    max_value=dt.datetime(2100, 1, 1),
    timezones=st.sampled_from(ZONES),
)
EXAMPLES = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# The patterns of contracts.types, drawn from bytes or alphabets: from_regex draws them one
# character at a time, which is what made this suite slow. Checked against the pattern below.
FAST_PATTERNS: dict[str, st.SearchStrategy[str]] = {
    r"^[0-9a-f]{64}$": st.binary(min_size=32, max_size=32).map(bytes.hex),
    r"^[A-Za-z0-9+/]{43}=$": st.binary(min_size=32, max_size=32).map(
        lambda raw: base64.b64encode(raw).decode()
    ),
    r"^[A-Za-z0-9+/]{86}==$": st.binary(min_size=64, max_size=64).map(
        lambda raw: base64.b64encode(raw).decode()
    ),
    r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$": st.builds(
        operator.add,
        st.sampled_from(_ALNUM),
        st.text(alphabet=_ALNUM + "._:/-", max_size=127),
    ),
}


# ---------------------------------------------------------------------------------------------
# A generic strategy builder over model_fields: each field's strategy follows from its type and
# constraints, so a field added later is generated without touching this file.


def _flatten(metadata: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            flat.extend(_flatten(list(item.metadata)))
        else:
            flat.append(item)
    return flat


def _bound(metadata: list[Any], kind: type[Any], attribute: str) -> Any:
    for item in metadata:
        if isinstance(item, kind):
            return getattr(item, attribute)
    return None


def _string(metadata: list[Any]) -> st.SearchStrategy[Any]:
    validators = {item.func for item in metadata if isinstance(item, AfterValidator)}
    if ctypes._county in validators:
        return st.sampled_from(COUNTIES)
    if ctypes._authority in validators:
        return st.sampled_from(AUTHORITIES)
    pattern = next(
        (item.pattern for item in metadata if isinstance(item, StringConstraints) and item.pattern),
        None,
    )
    if isinstance(pattern, str):
        if pattern in FAST_PATTERNS:
            return FAST_PATTERNS[pattern]
        return st.from_regex(pattern, fullmatch=True)
    max_length = next(
        (
            item.max_length
            for item in metadata
            if isinstance(item, StringConstraints) and item.max_length
        ),
        _bound(metadata, annotated_types.MaxLen, "max_length"),
    )
    return st.text(max_size=max_length or 300)


def strategy_for(annotation: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    metadata = _flatten(metadata)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return strategy_for(args[0], metadata + list(annotation.__metadata__))
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in args if arg is not type(None)]
        assert len(inner) == 1, annotation
        return st.none() | strategy_for(inner[0], metadata)
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is tuple:
        assert args[1] is Ellipsis, annotation
        return st.lists(
            strategy_for(args[0], []),
            min_size=_bound(metadata, annotated_types.MinLen, "min_length") or 0,
            max_size=_bound(metadata, annotated_types.MaxLen, "max_length") or 4,
        ).map(tuple)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return models(annotation)
    if annotation is AwareDatetime:
        return INSTANTS
    if annotation is uuid.UUID:
        return st.uuids()
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        low = _bound(metadata, annotated_types.Ge, "ge")
        high = _bound(metadata, annotated_types.Le, "le")
        return st.integers(min_value=low, max_value=high if high is not None else 2**53)
    if annotation is float:
        low = _bound(metadata, annotated_types.Gt, "gt")
        high = _bound(metadata, annotated_types.Lt, "lt")
        return st.floats(
            min_value=low if low is not None else _bound(metadata, annotated_types.Ge, "ge"),
            max_value=high if high is not None else _bound(metadata, annotated_types.Le, "le"),
            exclude_min=low is not None,
            exclude_max=high is not None,
            allow_nan=False,
            allow_infinity=False,
        )
    if annotation is str:
        return _string(metadata)
    raise AssertionError(f"no strategy for {annotation!r}: extend strategy_for")


@functools.cache
def fields_of(cls: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            name: strategy_for(info.annotation, list(info.metadata))
            for name, info in cls.model_fields.items()
        }
    )


@st.composite
def models(draw: st.DrawFn, cls: type[BaseModel]) -> BaseModel:
    fields = draw(fields_of(cls))
    if issubclass(cls, Envelope):
        fields["schema_version"] = cls.SCHEMA_VERSION
        _satisfy_cross_field_rules(draw, fields)
    try:
        return cls.model_validate(fields)
    except ValidationError:
        assume(False)  # a cross-field rule (two distinct counties, say) not met: draw again
        raise


def _satisfy_cross_field_rules(draw: st.DrawFn, fields: dict[str, Any]) -> None:
    """Nudge the rare combinations the model validators require, so few draws are wasted."""
    if "period_start" in fields:
        start, end, deadline = sorted(
            (fields["period_start"], fields["period_end"], fields["deadline"])
        )
        fields.update(period_start=start, period_end=end, deadline=deadline)
    if fields.get("effective_to") is not None:
        first, last = sorted((fields["effective_from"], fields["effective_to"]))
        fields.update(effective_from=first, effective_to=last)
    if "result" in fields:
        moved = fields["result"] == "moved_on"
        fields["moved_to"] = draw(st.sampled_from(COUNTIES)) if moved else None
        duplicate = fields["result"] == "duplicate"
        fields["duplicate_of"] = (
            draw(st.from_regex(r"[A-Za-z0-9]{1,20}", fullmatch=True)) if duplicate else None
        )
    if "publisher" in fields and "county" in fields:
        name = draw(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True))
        fields["publisher"] = f"{fields['county']}/{name}"
    if "stationed_in" in fields:
        role = draw(st.sampled_from(["police", "civil_affairs", "health", "outposted_office"]))
        fields["role"] = role
        fields["stationed_in"] = (
            draw(st.sampled_from(COUNTIES)) if role == "outposted_office" else None
        )


@pytest.mark.parametrize("pattern", sorted(FAST_PATTERNS))
@EXAMPLES
@given(data=st.data())
def test_fast_pattern_strategies_match_their_patterns(pattern: str, data: st.DataObject) -> None:
    assert re.fullmatch(pattern.strip("^$"), data.draw(FAST_PATTERNS[pattern]))


def topic_union(cls: type[Envelope]) -> Any:
    for spec in topics.CATALOG:
        if cls in union_members(spec.union).values():
            return spec.union
    raise AssertionError(f"{cls.__name__} is on no topic")


@pytest.mark.parametrize("cls", unions.ALL_EVENTS, ids=lambda cls: cls.__name__)
@EXAMPLES
@given(data=st.data())
def test_every_event_round_trips_through_its_topic_codec(
    cls: type[Envelope], data: st.DataObject
) -> None:
    event = data.draw(models(cls))
    assert isinstance(event, Envelope)
    wire = encode(event)
    decoded: Decoded[Any] = Codec(topic_union(cls)).decode(wire)
    assert decoded.event == event
    assert type(decoded.event) is cls
    assert decoded.raw == json.loads(wire)


def test_every_event_class_is_on_exactly_one_kind_of_topic() -> None:
    for cls in unions.ALL_EVENTS:
        containing = {
            id(spec.union) for spec in topics.CATALOG if cls in union_members(spec.union).values()
        }
        assert len(containing) == 1, cls.__name__


# ---------------------------------------------------------------------------------------------
# Bad input: a stable code and a reason that says what is wrong.

PERSON = "0123456789abcdef" * 4
COUNTY_CODEC: Codec[Any] = Codec(unions.CountyEvent)


def outflow_json(**changes: Any) -> dict[str, Any]:
    event_id = str(uuid.UUID(int=1))
    obj: dict[str, Any] = {
        "event_id": event_id,
        "event_type": "outflow_registered",
        "schema_version": 2,
        "occurred_at": "2024-03-01T08:00:00Z",
        "recorded_at": "2024-03-01T08:00:05Z",
        "source_county": "610902",
        "publisher_id": "610902/node",
        "correlation_id": event_id,
        "causation_id": None,
        "signature": None,
        "person_key": PERSON,
        "origin_county": "610902",
        "destination_county": "610981",
        "reason": "work",
    }
    obj.update(changes)
    return obj


def as_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def refusal(data: bytes | None, codec: Codec[Any] = COUNTY_CODEC) -> DecodeError:
    with pytest.raises(DecodeError) as caught:
        codec.decode(data)
    assert caught.value.reason.strip(), "a refusal needs a reason"
    assert str(caught.value) == f"{caught.value.code}: {caught.value.reason}"
    return caught.value


def without(obj: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != key}


def test_the_base_message_is_valid() -> None:
    decoded = COUNTY_CODEC.decode(as_bytes(outflow_json()))
    assert isinstance(decoded.event, OutflowRegistered)


BAD_INPUTS: list[tuple[str, bytes | None, str, str]] = [
    ("empty", None, "empty_message", "the message has no value"),
    (
        "oversize",
        as_bytes(outflow_json()) + b" " * DEFAULT_MAX_BYTES,
        "oversize",
        f"exceeds the limit of {DEFAULT_MAX_BYTES}",
    ),
    ("not_utf8", b'{"event_type": "\xff\xfe"}', "not_utf8", "invalid UTF-8 at byte 16"),
    ("truncated", as_bytes(outflow_json())[:-7], "malformed_json", "at line 1 column"),
    ("not_json", b"outflow_registered", "malformed_json", "Expecting value at line 1 column 1"),
    ("array", as_bytes([outflow_json()]), "not_an_object", "expected a JSON object, got list"),
    ("string", b'"outflow_registered"', "not_an_object", "got str"),
    (
        "no_type",
        as_bytes(without(outflow_json(), "event_type")),
        "missing_event_type",
        "no string event_type",
    ),
    (
        "int_type",
        as_bytes(outflow_json(event_type=7)),
        "missing_event_type",
        "no string event_type",
    ),
    (
        "unknown_type",
        as_bytes(outflow_json(event_type="teleported")),
        "unknown_event_type",
        "'teleported'",
    ),
    (
        "other_topic_type",
        as_bytes(outflow_json(event_type="obligation_opened")),
        "unknown_event_type",
        "'obligation_opened'",
    ),
    (
        "person_key_int",
        as_bytes(outflow_json(person_key=12)),
        "invalid_fields",
        "person_key: Input should be a valid string",
    ),
    (
        "person_key_upper",
        as_bytes(outflow_json(person_key=PERSON.upper())),
        "invalid_fields",
        "person_key: String should match pattern",
    ),
    (
        "version_str",
        as_bytes(outflow_json(schema_version="2")),
        "invalid_fields",
        "schema_version: Input should be a valid integer",
    ),
    (
        "version_bool",
        as_bytes(outflow_json(schema_version=True)),
        "invalid_fields",
        "schema_version: Input should be a valid integer",
    ),
    (
        "version_null",
        as_bytes(outflow_json(schema_version=None)),
        "invalid_fields",
        "schema_version",
    ),
    (
        "unknown_county",
        as_bytes(outflow_json(destination_county="999999")),
        "invalid_fields",
        "999999 is not a current GB/T 2260 county-level code",
    ),
    (
        "abolished_county",
        as_bytes(outflow_json(destination_county="610928")),
        "invalid_fields",
        "GB/T 2260",
    ),
    (
        "prefecture_as_county",
        as_bytes(outflow_json(origin_county="610900")),
        "invalid_fields",
        "610900 is not a current GB/T 2260 county-level code",
    ),
    (
        "unknown_source",
        as_bytes(outflow_json(source_county="999999")),
        "invalid_fields",
        "999999 is not a current GB/T 2260 division code",
    ),
    (
        "extra_field",
        as_bytes(outflow_json(national_id="11010519491231002X")),
        "invalid_fields",
        "national_id: Extra inputs are not permitted",
    ),
    (
        "missing_field",
        as_bytes(without(outflow_json(), "person_key")),
        "invalid_fields",
        "person_key: Field required",
    ),
    (
        "future_version",
        as_bytes(outflow_json(schema_version=3)),
        "unsupported_schema_version",
        "outflow_registered is at schema version 2 (accepted: 1, 2); got 3",
    ),
    (
        "version_zero",
        as_bytes(outflow_json(schema_version=0)),
        "unsupported_schema_version",
        "outflow_registered is at schema version 2 (accepted: 1, 2); got 0",
    ),
    (
        "naive_datetime",
        as_bytes(outflow_json(occurred_at="2024-03-01T08:00:00")),
        "invalid_fields",
        "occurred_at: Input should have timezone info",
    ),
    (
        "not_a_datetime",
        as_bytes(outflow_json(recorded_at="yesterday")),
        "invalid_fields",
        "recorded_at",
    ),
    ("bad_uuid", as_bytes(outflow_json(event_id="not-a-uuid")), "invalid_fields", "event_id"),
    (
        "bad_reason",
        as_bytes(outflow_json(reason="fleeing")),
        "invalid_fields",
        "reason: Input should be",
    ),
    (
        "bad_signature_shape",
        as_bytes(outflow_json(signature="c2lnbmVk")),
        "invalid_fields",
        "signature",
    ),
    (
        "same_counties",
        as_bytes(outflow_json(destination_county="610902")),
        "invalid_fields",
        "an outflow cannot name its origin as its destination",
    ),
    (
        "inflow_from_itself",
        as_bytes(
            without(
                outflow_json(
                    event_type="inflow_registered", schema_version=1, origin_county="610981"
                ),
                "reason",
            )
        ),
        "invalid_fields",
        "an inflow cannot name its destination as its origin",
    ),
]


@pytest.mark.parametrize(
    ("data", "code", "reason"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_is_refused_with_its_code_and_reason(
    data: bytes | None, code: str, reason: str
) -> None:
    error = refusal(data)
    assert error.code == code
    assert reason in error.reason


def test_oversize_is_judged_on_bytes_against_the_configured_limit() -> None:
    data = as_bytes(outflow_json())
    assert (
        Codec(unions.CountyEvent, max_bytes=len(data)).decode(data).event.event_type
        == "outflow_registered"
    )
    error = refusal(data, Codec(unions.CountyEvent, max_bytes=len(data) - 1))
    assert (error.code, error.reason) == (
        "oversize",
        f"{len(data)} bytes exceeds the limit of {len(data) - 1}",
    )


def test_string_where_an_int_goes_is_refused() -> None:
    dead = {
        "event_id": str(uuid.UUID(int=2)),
        "event_type": "dead_lettered",
        "schema_version": 1,
        "occurred_at": "2024-03-01T08:00:00Z",
        "recorded_at": "2024-03-01T08:00:00Z",
        "source_county": "610900",
        "publisher_id": "610900/gate",
        "correlation_id": str(uuid.UUID(int=2)),
        "reason_code": "malformed_json",
        "reason": "Expecting value",
        "raw": "eA==",
        "source_topic": "liudong.county-events",
        "source_partition": 0,
        "source_offset": 12,
    }
    codec: Codec[Any] = Codec(unions.DeadLetterEvent)
    assert codec.decode(as_bytes(dead)).event.event_type == "dead_lettered"
    error = refusal(as_bytes(dead | {"source_offset": "12"}), codec)
    assert error.code == "invalid_fields"
    assert "source_offset: Input should be a valid integer" in error.reason


def test_many_problems_are_summarized() -> None:
    error = refusal(as_bytes({"event_type": "outflow_registered", "schema_version": 2}))
    assert error.code == "invalid_fields"
    assert "event_id: Field required" in error.reason
    assert error.reason.endswith("more)")


def test_unknown_event_type_is_cut_short_in_the_reason() -> None:
    error = refusal(as_bytes(outflow_json(event_type="x" * 10_000)))
    assert error.code == "unknown_event_type"
    assert len(error.reason) < 100


# Decoding must never raise anything but DecodeError: anything else crashes the gate agent on a
# poison message, and it crashes again on every restart.


def test_huge_integer_is_refused_not_raised() -> None:
    # json.loads raises a plain ValueError (int max_str_digits) for integers over 4300 digits.
    data = as_bytes(outflow_json())[:-1] + b', "n": ' + b"1" * 5000 + b"}"
    assert len(data) < DEFAULT_MAX_BYTES
    error = refusal(data)
    assert error.code in {"malformed_json", "invalid_fields"}


@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_deeply_nested_json_is_refused_not_raised(opener: bytes) -> None:
    # json.loads raises RecursionError for nesting deeper than the interpreter's limit.
    data = opener * (DEFAULT_MAX_BYTES // len(opener) - 1)
    assert len(data) < DEFAULT_MAX_BYTES
    error = refusal(data)
    assert error.code in {"malformed_json", "not_an_object"}


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:00:00-08:00"])
def test_instant_out_of_range_in_utc_is_refused_not_raised(instant: str) -> None:
    # Instant's after-validator converts to UTC; datetime.astimezone raises OverflowError,
    # which pydantic does not turn into a ValidationError.
    error = refusal(as_bytes(outflow_json(occurred_at=instant)))
    assert error.code == "invalid_fields"
    assert "occurred_at" in error.reason


# ---------------------------------------------------------------------------------------------
# Upcasting: a v1 outflow is read as v2, and the raw dict is kept as received (it is what was
# signed).


def outflow_v1() -> dict[str, Any]:
    v1 = without(outflow_json(schema_version=1), "reason")
    v1["to_county"] = v1.pop("destination_county")
    return v1


def test_v1_outflow_is_upcast_to_v2() -> None:
    received = outflow_v1()
    decoded = COUNTY_CODEC.decode(as_bytes(received))
    event = decoded.event
    assert isinstance(event, OutflowRegistered)
    assert event.schema_version == OutflowRegistered.SCHEMA_VERSION == 2
    assert event.destination_county == "610981"
    assert event.origin_county == "610902"
    assert event.reason == "unspecified"
    assert event.person_key == PERSON


def test_upcast_keeps_the_raw_v1_dict_as_received() -> None:
    received = outflow_v1()
    decoded = COUNTY_CODEC.decode(as_bytes(received))
    assert decoded.raw == received
    assert decoded.raw["schema_version"] == 1
    assert "to_county" in decoded.raw
    assert "destination_county" not in decoded.raw
    assert "reason" not in decoded.raw


def test_v1_outflow_without_to_county_is_refused() -> None:
    error = refusal(as_bytes(without(outflow_v1(), "to_county")))
    assert error.code == "invalid_fields"
    assert error.reason == (
        "destination_county: Field required (as upcast from version 1: version 1 named the "
        "destination `to_county` and had no `reason` (read as `unspecified`))"
    )


def test_v1_outflow_with_v2_field_names_is_refused_naming_the_versions() -> None:
    v1_with_v2_names = without(outflow_json(schema_version=1), "reason")
    error = refusal(as_bytes(v1_with_v2_names))
    assert error.code == "unsupported_schema_version"
    assert error.reason == (
        "outflow_registered is at schema version 2; got 1 with version-2 fields "
        "(destination_county): send schema_version 2"
    )


# --- one reading: a key twice, at any depth, is refused ---------------------------------------


def twice(text: str, key: str, value: str) -> bytes:
    """``text`` (a JSON object) with ``"key": value`` added again right after its first brace."""
    return ("{" + f'"{key}": {value}, ' + text[1:]).encode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            twice(json.dumps(outflow_json()), "destination_county", '"610113"'),
            "key 'destination_county' appears more than once in the event",
        ),
        (
            b'{"terms": {"arrival_days": 10, "arrival_days": 30}, "event_type": "x"}',
            "key 'arrival_days' appears more than once in terms",
        ),
        (
            b'{"a": [{"k": 1}, {"k": 1, "k": 1}], "event_type": "x"}',
            "key 'k' appears more than once in a[1]",
        ),
        (
            b'{"event_type": "x", "event_type": "x"}',  # even with the same value twice
            "key 'event_type' appears more than once in the event",
        ),
        (
            b'{"\\u0000\\u001b": 1, "\\u0000\\u001b": 2}',
            "key '\\x00\\x1b' appears more than once in the event",
        ),
    ],
    ids=["top level", "nested", "in a list", "same value", "control characters"],
)
def test_a_key_twice_at_any_depth_is_refused_naming_it(data: bytes, reason: str) -> None:
    error = refusal(data)
    assert (error.code, error.reason) == ("duplicate_key", reason)


def test_the_same_keys_in_sibling_objects_are_not_duplicates() -> None:
    data = b'{"a": {"k": 1}, "b": {"k": 2}, "c": [{"k": 3}, {"k": 4}], "event_type": 7}'
    assert refusal(data).code == "missing_event_type"  # parsed, then judged on its fields
