"""Lines of a county system's JSON-lines export, turned into signed events at the node.

A line is one JSON object: ``event_type``, ``occurred_at``, the event's own fields, and for
events about a person ``national_id`` in place of ``person_key`` (hashed here, never sent).
``event_id`` is optional: without it the id derives from the county and the line's content,
and ``recorded_at`` (optional too) defaults to ``occurred_at``, so publishing the same
export twice publishes nothing new (the gate drops the repeats as duplicates).
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from contracts.envelope import Envelope
from contracts.events.migration import PersonEvent
from contracts.identity import InvalidNationalId
from contracts.unions import EVENT_CLASSES
from streams.codec import union_members
from streams.topics import COUNTY_EVENTS

EXPORT_NAMESPACE = uuid.UUID("a3f6c1d2-7b4e-4f0a-8c55-1d9e2b7a6c31")
PUBLISHABLE = frozenset(union_members(COUNTY_EVENTS.union))
ENVELOPE_FIELDS = frozenset({"event_id", "correlation_id", "causation_id", "occurred_at"})

Builder = Callable[..., Envelope]  # CountyNode.build
Hasher = Callable[[str], str]  # CountyNode.person_key


class LineError(ValueError):
    """Why one line of the export was refused, with the reason code the gate would give
    (``invalid_national_id`` is the node's own: the gate never sees the number)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def parse_line(line: str, *, county: str, build: Builder, hash_id: Hasher) -> Envelope:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LineError("malformed_json", f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(obj, dict):
        raise LineError("not_an_object", "expected a JSON object")
    event_type = obj.pop("event_type", None)
    if event_type not in PUBLISHABLE:
        raise LineError("unknown_event_type", f"unknown or unpublishable event_type {event_type!r}")
    cls = EVENT_CLASSES[event_type]
    for forbidden in ("person_key", "signature", "source_county", "publisher_id"):
        if forbidden in obj:
            raise LineError("invalid_fields", f"{forbidden} is set by the node, not the export")
    if issubclass(cls, PersonEvent):
        obj["person_key"] = _hash(obj.pop("national_id", None), hash_id)
    if "occurred_at" not in obj:
        raise LineError("invalid_fields", "occurred_at is required")
    # Taken as recorded when it occurred unless the line says otherwise: the same line must
    # make the same bytes, or publishing it again would reuse its id on other content.
    obj.setdefault("recorded_at", obj["occurred_at"])
    if "event_id" not in obj:
        obj["event_id"] = uuid.uuid5(EXPORT_NAMESPACE, county + "\n" + line.strip())
    try:
        return build(cls, **obj)
    except ValidationError as exc:
        raise LineError("invalid_fields", _first_errors(exc)) from None
    except TypeError as exc:
        raise LineError("invalid_fields", str(exc)) from None


def _hash(national_id: Any, hash_id: Hasher) -> str:
    if not isinstance(national_id, str):
        raise LineError(
            "invalid_national_id", "national_id (a string) is required for an event about a person"
        )
    try:
        return hash_id(national_id)
    except InvalidNationalId as exc:
        raise LineError("invalid_national_id", str(exc)) from None


def _first_errors(exc: ValidationError, limit: int = 3) -> str:
    parts = [
        f"{'.'.join(str(p) for p in err['loc']) or 'event'}: {err['msg']}"
        for err in exc.errors(include_url=False)[:limit]
    ]
    return "; ".join(parts)


def read_lines(source: str) -> Iterable[tuple[int, str]]:
    stream: TextIO = sys.stdin if source == "-" else Path(source).open(encoding="utf-8")  # noqa: SIM115
    with stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                yield number, line
