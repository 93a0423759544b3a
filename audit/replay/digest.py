"""The digest of derived state: one canonical row per obligation, hashed. Pure, no I/O.

Both sides produce the same :class:`ObligationRow`: the replay from the cases it rebuilt
(:meth:`ObligationRow.of_case`), the live system from the projector's ``obligations`` table
(:meth:`ObligationRow.of_record`, columns named as in ``0001_projection.sql``). The table's
columns map onto the row as follows:

=================  ======================================================
row field          ``obligations`` column
=================  ======================================================
obligation_id      obligation_id
kind               kind (NULL only on a placeholder row)
person_key         person_key
responsible        responsible_county
counterpart        counterpart_county
opened_at          opened_at
due_at             due_at
state              state
reminded           reminded_at IS NOT NULL
breached           breached_at IS NOT NULL
escalated          escalated_at IS NOT NULL
late               COALESCE(late, false)
=================  ======================================================

Canonical form: instants in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (PostgreSQL keeps
microseconds, as Python does), each row a compact JSON array in the field order above, rows
sorted by obligation id and joined by ``\\n``; :func:`digest` is the SHA-256 of that text.

**Per partition.** A person's obligations all belong to the person's validated partition
(:func:`streams.routing.person_partition` of the row's person key), so the rows are digested
partition by partition (:func:`by_partition`) and the state's digest is :func:`combine` of
those: the SHA-256 of ``<partition> <digest>`` lines in partition order. Processes that
replayed different partitions need hand over nothing but their partitions' digests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from agents.case_state import CaseState, Obligation
from streams import routing

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
FIELDS: tuple[str, ...] = (
    "obligation_id",
    "kind",
    "person_key",
    "responsible",
    "counterpart",
    "opened_at",
    "due_at",
    "state",
    "reminded",
    "breached",
    "escalated",
    "late",
)


def instant(at: dt.datetime | None) -> str | None:
    """An instant in the digest's one textual form (UTC, microseconds, ``Z``)."""
    if at is None:
        return None
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at!r}: every instant must carry a time zone")
    # isoformat's text up to its offset is strftime's "%Y-%m-%dT%H:%M:%S.%f", made faster.
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")[:-6] + "Z"


@dataclass(frozen=True, slots=True, order=True)
class ObligationRow:
    obligation_id: str
    kind: str | None
    person_key: str
    responsible: str
    counterpart: str | None
    opened_at: str | None
    due_at: str | None
    state: str
    reminded: bool
    breached: bool
    escalated: bool
    late: bool

    @classmethod
    def of_obligation(cls, person_key: str, ob: Obligation) -> ObligationRow:
        return cls(
            obligation_id=ob.obligation_id,
            kind=ob.kind,
            person_key=person_key,
            responsible=ob.responsible,
            counterpart=ob.counterpart,
            opened_at=instant(ob.opened_at),
            due_at=instant(ob.due_at),
            state=ob.state,
            reminded=ob.reminded,
            breached=ob.breached,
            escalated=ob.escalated,
            late=ob.late,
        )

    @classmethod
    def of_record(cls, record: Mapping[str, Any]) -> ObligationRow:
        """From a row of the projector's ``obligations`` table (see the module's table)."""
        return cls(
            obligation_id=record["obligation_id"],
            kind=record["kind"],
            person_key=record["person_key"],
            responsible=record["responsible_county"],
            counterpart=record["counterpart_county"],
            opened_at=instant(record["opened_at"]),
            due_at=instant(record["due_at"]),
            state=record["state"],
            reminded=record["reminded_at"] is not None,
            breached=record["breached_at"] is not None,
            escalated=record["escalated_at"] is not None,
            late=bool(record["late"]),
        )

    def canonical(self) -> str:
        fields = [
            self.obligation_id,
            self.kind,
            self.person_key,
            self.responsible,
            self.counterpart,
            self.opened_at,
            self.due_at,
            self.state,
            self.reminded,
            self.breached,
            self.escalated,
            self.late,
        ]
        return _ENCODER.encode(fields)

    def as_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def rows_of_cases(cases: Iterable[CaseState]) -> list[ObligationRow]:
    """Every obligation of every case, sorted by obligation id (ids are unique per case)."""
    by_id = {
        ob.obligation_id: ObligationRow.of_obligation(case.person_key, ob)
        for case in cases
        for ob in case.obligations
    }
    return [by_id[k] for k in sorted(by_id)]


def combine(parts: Mapping[int, str]) -> str:
    """One digest of per-partition digests, in partition order (whoever computed them)."""
    text = "\n".join(f"{p} {d}" for p, d in sorted(parts.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def by_partition(rows: Iterable[ObligationRow], partitions: int) -> dict[int, list[ObligationRow]]:
    """The rows of each validated partition (every partition, empty ones included)."""
    out: dict[int, list[ObligationRow]] = {p: [] for p in range(partitions)}
    for row in rows:
        out[routing.person_partition(row.person_key, partitions)].append(row)
    return out


def partitioned(rows: Iterable[ObligationRow], partitions: int) -> str:
    """The state's digest: :func:`combine` of each partition's :func:`digest`."""
    return combine({p: digest(part) for p, part in by_partition(rows, partitions).items()})


def digest(rows: Iterable[ObligationRow]) -> str:
    ordered = sorted(rows, key=lambda r: r.obligation_id)
    text = "\n".join(r.canonical() for r in ordered)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Difference:
    """The first record on which two row sets disagree, by obligation id."""

    obligation_id: str
    replayed: ObligationRow | None
    live: ObligationRow | None

    @property
    def fields(self) -> tuple[str, ...]:
        if self.replayed is None or self.live is None:
            return ()
        return tuple(
            name for name in FIELDS if getattr(self.replayed, name) != getattr(self.live, name)
        )

    def describe(self) -> str:
        if self.live is None:
            return f"obligation {self.obligation_id}: in the replay, missing from the projection"
        if self.replayed is None:
            return f"obligation {self.obligation_id}: in the projection, missing from the replay"
        parts = [
            f"{name} replayed={getattr(self.replayed, name)!r} live={getattr(self.live, name)!r}"
            for name in self.fields
        ]
        return f"obligation {self.obligation_id}: " + "; ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "obligation_id": self.obligation_id,
            "fields": list(self.fields),
            "replayed": self.replayed.as_json() if self.replayed else None,
            "live": self.live.as_json() if self.live else None,
        }


def first_difference(
    replayed: Sequence[ObligationRow], live: Sequence[ObligationRow]
) -> Difference | None:
    """The smallest obligation id whose rows differ (or that only one side has)."""
    mine = {r.obligation_id: r for r in replayed}
    theirs = {r.obligation_id: r for r in live}
    for oid in sorted(mine.keys() | theirs.keys()):
        a, b = mine.get(oid), theirs.get(oid)
        if a != b:
            return Difference(oid, a, b)
    return None
