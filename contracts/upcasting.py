"""Upcasters: raw dicts of old schema versions, raised step by step to the current one.

Each step maps (event_type, version) to a pure function returning the dict at version + 1.
Signatures are checked on the bytes as published, before upcasting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.unions import EVENT_CLASSES

RawEvent = dict[str, Any]
Upcaster = Callable[[RawEvent], RawEvent]


class UnsupportedVersion(ValueError):
    """A schema version this code cannot read: newer than it knows, or with no upcaster."""


def _outflow_v1_to_v2(raw: RawEvent) -> RawEvent:
    # v1 called the destination ``to_county`` and had no reason for the move.
    upgraded = {k: v for k, v in raw.items() if k != "to_county"}
    upgraded["destination_county"] = raw.get("to_county")
    upgraded.setdefault("reason", "unspecified")
    upgraded["schema_version"] = 2
    return upgraded


def _coverage_v1_to_v2(raw: RawEvent) -> RawEvent:
    # v1 had no figures by direction; they stay unknown (null), which no reader counts.
    return {**raw, "schema_version": 2}


def _scorecard_v1_to_v2(raw: RawEvent) -> RawEvent:
    # v1 published 0.0 for a side with no figure at all (every indicator of the side 0/0):
    # that side was not assessed, which v2 says with null. Other v1 scores stand as published.
    upgraded = dict(raw)
    indicators = raw.get("indicators")
    if isinstance(indicators, list):
        sides: dict[str, bool] = {}
        for side in ("origin", "destination"):
            mine = [i for i in indicators if isinstance(i, dict) and i.get("side") == side]
            sides[side] = any(i.get("denominator") for i in mine)
            if not sides[side]:
                upgraded[f"{side}_score"] = None
        if not any(sides.values()):
            upgraded["combined_score"] = None
    upgraded["schema_version"] = 2
    return upgraded


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("outflow_registered", 1): _outflow_v1_to_v2,
    ("agreement_coverage_published", 1): _coverage_v1_to_v2,
    ("scorecard_published", 1): _scorecard_v1_to_v2,
}


def upcast(raw: RawEvent) -> RawEvent:
    """Raise ``raw`` to its type's current version; unknown types pass through unchanged."""
    event_type = raw.get("event_type")
    version = raw.get("schema_version")
    if not isinstance(event_type, str) or not isinstance(version, int) or isinstance(version, bool):
        return raw  # validation reports the precise problem
    cls = EVENT_CLASSES.get(event_type)
    if cls is None:
        return raw
    current = cls.SCHEMA_VERSION
    if version > current:
        raise UnsupportedVersion(
            f"{event_type} schema version {version} is newer than the newest known ({current})"
        )
    while version < current:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise UnsupportedVersion(f"no upcaster for {event_type} version {version}")
        raw = step(raw)
        version = raw["schema_version"]
    return raw
