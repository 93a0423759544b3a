"""Upcasters: raw dicts of old schema versions, raised step by step to the current one.

Each step maps (event_type, version) to a pure function returning the dict at version + 1,
and names the fields the newer version introduced: an old version carrying one of them is
a client mixing versions, refused with the version named rather than upcast into nonsense.
Signatures are checked on the bytes as published, before upcasting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.unions import EVENT_CLASSES

RawEvent = dict[str, Any]


class UnsupportedVersion(ValueError):
    """A schema version this code cannot read: newer than it knows, or with no upcaster."""


@dataclass(frozen=True, slots=True)
class UpcastStep:
    change: Callable[[RawEvent], RawEvent]
    introduced: frozenset[str]  # fields that exist only from the next version on
    note: str  # what the next version changed, for integrators


def _outflow_v1_to_v2(raw: RawEvent) -> RawEvent:
    upgraded = {k: v for k, v in raw.items() if k != "to_county"}
    if "to_county" in raw:
        upgraded["destination_county"] = raw["to_county"]
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


UPCASTERS: dict[tuple[str, int], UpcastStep] = {
    ("outflow_registered", 1): UpcastStep(
        _outflow_v1_to_v2,
        frozenset({"destination_county", "reason"}),
        "version 1 named the destination `to_county` and had no `reason` (read as `unspecified`)",
    ),
    ("agreement_coverage_published", 1): UpcastStep(
        _coverage_v1_to_v2,
        frozenset({"outflows", "outflows_covered", "inflows", "inflows_covered"}),
        "version 2 adds each county's flows by direction (outflows, inflows)",
    ),
    ("scorecard_published", 1): UpcastStep(
        _scorecard_v1_to_v2,
        frozenset(),
        "version 2 makes a side's score null when the side is not assessed (不参评)",
    ),
}


def accepted_versions(event_type: str) -> tuple[int, ...]:
    """Every version of ``event_type`` the codec reads, oldest first (the current one last)."""
    current = EVENT_CLASSES[event_type].SCHEMA_VERSION
    oldest = current
    while (event_type, oldest - 1) in UPCASTERS:
        oldest -= 1
    return tuple(range(oldest, current + 1))


def changes_since(event_type: str, version: int) -> str:
    """What changed after ``version``, to explain a refusal of an upcast event."""
    notes = []
    while (event_type, version) in UPCASTERS:
        notes.append(UPCASTERS[(event_type, version)].note)
        version += 1
    return "; ".join(notes)


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
    accepted = accepted_versions(event_type)
    if version not in accepted:
        listed = ", ".join(str(v) for v in accepted)
        raise UnsupportedVersion(
            f"{event_type} is at schema version {current} (accepted: {listed}); got {version}"
        )
    while version < current:
        step = UPCASTERS[(event_type, version)]
        mixed = sorted(step.introduced & raw.keys())
        if mixed:
            raise UnsupportedVersion(
                f"{event_type} is at schema version {current}; got {version} with "
                f"version-{version + 1} fields ({', '.join(mixed)}): send schema_version "
                f"{current}"
            )
        raw = step.change(raw)
        version = raw["schema_version"]
    return raw
