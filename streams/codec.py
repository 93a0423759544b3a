"""The one codec between bytes on Kafka and the contracts.

Decoding never raises anything but :class:`DecodeError`, whose ``code`` is a stable
machine-readable reason (it is what the dead-letter topic and the metrics count by).

A JSON object with the same key twice, at any depth, is refused (``duplicate_key``): readers
disagree on which value counts (Python's keeps the last, others the first or refuse), so
bytes that passed here could mean something else to the next reader. The bytes the gate
forwards are therefore exactly those it read, with one reading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar, get_args

from pydantic import TypeAdapter, ValidationError

from contracts.envelope import Envelope
from contracts.refusal import Refusal
from contracts.upcasting import RawEvent, UnsupportedVersion, changes_since, upcast

E = TypeVar("E", bound=Envelope)

DEFAULT_MAX_BYTES = 64 * 1024


class DecodeError(Refusal):
    """Bytes that are not a valid event of the topic's union."""


@dataclass(frozen=True, slots=True)
class Decoded(Generic[E]):
    event: E
    raw: RawEvent  # the JSON object as received (before upcasting): what was signed


def encode(event: Envelope) -> bytes:
    return event.model_dump_json().encode()


def union_members(union: Any) -> dict[str, type[Envelope]]:
    """event_type -> class for a discriminated union (or a single event class)."""
    inner = get_args(union)[0] if get_args(union) else union
    members = get_args(inner) or (inner,)
    return {cls.model_fields["event_type"].default: cls for cls in members}


class Codec(Generic[E]):
    """Decodes the messages of one topic's union."""

    def __init__(self, union: Any, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._adapter: TypeAdapter[E] = _adapter(union)
        self._members = union_members(union)
        self._max_bytes = max_bytes

    def decode(self, data: bytes | None) -> Decoded[E]:
        raw = self._parse(data)
        event_type = raw.get("event_type")
        if not isinstance(event_type, str):
            raise DecodeError("missing_event_type", "the object has no string event_type")
        if event_type not in self._members:
            raise DecodeError("unknown_event_type", f"unknown event type {event_type[:64]!r}")
        try:
            current = upcast(raw)
        except UnsupportedVersion as exc:
            raise DecodeError("unsupported_schema_version", str(exc)) from None
        payload = data if current is raw else json.dumps(current).encode()
        try:
            event = self._adapter.validate_json(payload)  # type: ignore[arg-type]
        except ValidationError as exc:
            reason = _summarize(exc)
            if current is not raw:  # name fields as the sender's version did
                version = raw["schema_version"]
                reason += (
                    f" (as upcast from version {version}: {changes_since(event_type, version)})"
                )
            raise DecodeError("invalid_fields", reason) from None
        return Decoded(event, raw)

    def _parse(self, data: bytes | None) -> RawEvent:
        if data is None:
            raise DecodeError("empty_message", "the message has no value")
        if len(data) > self._max_bytes:
            raise DecodeError(
                "oversize", f"{len(data)} bytes exceeds the limit of {self._max_bytes}"
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError("not_utf8", f"invalid UTF-8 at byte {exc.start}") from None
        try:
            obj = json.loads(text, object_pairs_hook=_object)
        except _DuplicateKey:
            where = _duplicate(json.loads(text, object_pairs_hook=_marked))
            raise DecodeError("duplicate_key", where) from None
        except json.JSONDecodeError as exc:
            raise DecodeError(
                "malformed_json", f"{exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        except (ValueError, RecursionError) as exc:
            # Over-long integers and deep nesting: valid JSON syntax Python will not read.
            raise DecodeError("malformed_json", f"unreadable JSON ({exc})"[:200]) from None
        if not isinstance(obj, dict):
            raise DecodeError("not_an_object", f"expected a JSON object, got {type(obj).__name__}")
        return obj


class _DuplicateKey(Exception):
    """An object holds a key twice (found while parsing; where, a second parse says)."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _DuplicateKey
    return obj


class _Twice(dict[str, Any]):
    """An object parsed from pairs with a key twice, and that key."""

    key: str = ""


def _marked(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = _Twice(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                obj.key = key
                break
            seen.add(key)
    return obj


def _duplicate(value: Any, path: str = "") -> str:
    """The reason for the first object with a key twice (outermost first, in document
    order)."""
    found = _find_twice(value, path)
    if found is None:  # pragma: no cover - only called once a duplicate was seen
        return "a key appears more than once"
    key, where = found
    return f"key {key[:64]!r} appears more than once in {where or 'the event'}"


def _find_twice(value: Any, path: str) -> tuple[str, str] | None:
    if isinstance(value, dict):
        if isinstance(value, _Twice) and value.key:
            return value.key, path
        for name, inner in value.items():
            found = _find_twice(inner, f"{path}.{name}" if path else name)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found = _find_twice(inner, f"{path}[{index}]")
            if found is not None:
                return found
    return None


@cache
def _adapter(union: Any) -> TypeAdapter[Any]:
    return TypeAdapter(union)


def _summarize(exc: ValidationError, limit: int = 3) -> str:
    parts = []
    for error in exc.errors(include_url=False)[:limit]:
        location = ".".join(str(p) for p in error["loc"][1:] or error["loc"]) or "event"
        parts.append(f"{location}: {error['msg']}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
