"""What ``liudong audit`` shows of a person's or a county's history: each event with its
causation chain, the person's obligations, the county's obligations with their lifecycles,
and the audit-log row of the read; each with its JSON form (times in the zone asked for).
The reads that fill them are :mod:`audit.history`'s.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from audit import obligation_view
from contracts import obligation_vocabulary as vocabulary
from contracts.human_time import LOCAL, Zone
from infra.projection import reads


@dataclass(frozen=True, slots=True)
class Cause:
    event_id: str
    event_type: str
    occurred_at: dt.datetime | None  # None: not in the archive (not projected yet)
    publisher_id: str | None

    def as_json(self, zone: Zone = LOCAL) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "occurred_at": zone.iso(self.occurred_at),
            "publisher_id": self.publisher_id,
        }

    def label(self, zone: Zone = LOCAL) -> str:
        at = f" {zone.minutes(self.occurred_at)}" if self.occurred_at else ""
        return f"{self.event_type} {self.event_id}{at}"


@dataclass(frozen=True, slots=True)
class Entry:
    event_id: str
    event_type: str
    derived: bool  # written by the region's agents (not reported by a county)
    occurred_at: dt.datetime
    source_county: str
    publisher_id: str
    fields: dict[str, Any]
    causes: tuple[Cause, ...]  # the causation chain, nearest cause first

    def as_json(self, zone: Zone = LOCAL) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "derived": self.derived,
            "occurred_at": zone.iso(self.occurred_at),
            "source_county": self.source_county,
            "publisher_id": self.publisher_id,
            "fields": self.fields,
            "causation_chain": [c.as_json(zone) for c in self.causes],
        }

    def detail(self, width: int = 70) -> str:
        text = ", ".join(f"{k}={_short(v)}" for k, v in sorted(self.fields.items()))
        return text if len(text) <= width else text[: width - 1] + "…"


@dataclass
class PersonReport:
    person_key: str
    as_of: dt.datetime | None
    timeline: list[Entry] = field(default_factory=list)
    obligations: list[obligation_view.ObligationRow] = field(default_factory=list)
    read: reads.AuditedRead | None = None

    def as_json(self, zone: Zone = LOCAL) -> dict[str, Any]:
        return {
            "person_key": self.person_key,
            "as_of": zone.iso(self.as_of),
            "timeline": [e.as_json(zone) for e in self.timeline],
            "obligations": [r.as_json(zone) for r in self.obligations],
            "audit": _audit_json(self.read, zone),
        }


@dataclass(frozen=True, slots=True)
class CountyObligation:
    record: dict[str, Any]
    lifecycle: tuple[Entry, ...]

    def as_json(self, zone: Zone = LOCAL) -> dict[str, Any]:
        return {
            **{k: jsonable(v, zone) for k, v in self.record.items()},
            "status": vocabulary.status(vocabulary.Row.of(self.record)),
            "lifecycle": [e.as_json(zone) for e in self.lifecycle],
        }


@dataclass
class CountyReport:
    county: str
    period: str
    start: dt.datetime
    end: dt.datetime
    obligations: list[CountyObligation] = field(default_factory=list)
    read: reads.AuditedRead | None = None

    def as_json(self, zone: Zone = LOCAL) -> dict[str, Any]:
        return {
            "county": self.county,
            "period": self.period,
            "from": zone.iso(self.start),
            "until": zone.iso(self.end),
            "obligations": [o.as_json(zone) for o in self.obligations],
            "audit": _audit_json(self.read, zone),
        }


def jsonable(value: Any, zone: Zone = LOCAL) -> Any:
    if isinstance(value, dt.datetime):
        return zone.iso(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _audit_json(read: reads.AuditedRead | None, zone: Zone = LOCAL) -> dict[str, Any] | None:
    if read is None:
        return None
    return {
        "read_id": str(read.read_id),
        "operator": read.operator,
        "read_at": zone.iso(read.read_at),
        "rows_returned": read.rows,
    }


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text[:24] + "…" if len(text) > 25 else text
