"""The obligations as an operator lists them: the obligations topic folded into current rows,
counted and chosen in the vocabulary's words (:mod:`contracts.obligation_vocabulary`).

Folding is by obligation id and event id, so re-delivered derived events change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from contracts import obligation_vocabulary as vocabulary
from contracts.envelope import Envelope
from contracts.events.derived import (
    ObligationBreached,
    ObligationCancelled,
    ObligationEscalated,
    ObligationFulfilled,
    ObligationOpened,
    ObligationReminded,
)
from contracts.human_time import LOCAL, Zone


@dataclass(frozen=True, slots=True)
class ObligationRow:
    obligation_id: str
    kind: str
    person_key: str
    responsible: str
    counterpart: str
    opened_at: dt.datetime
    due_at: dt.datetime
    state: vocabulary.LifecycleState = "opened"
    reminded: bool = False
    breached: bool = False
    escalated: bool = False
    late: bool = False
    reminded_at: dt.datetime | None = None
    breached_at: dt.datetime | None = None
    escalated_at: dt.datetime | None = None
    fulfilled_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    causes: tuple[str, ...] = field(default=())  # the derived events, in order

    @property
    def status(self) -> vocabulary.CountName:
        return vocabulary.status(self)

    @property
    def closed_at(self) -> dt.datetime | None:
        return self.fulfilled_at or self.cancelled_at

    def flags(self) -> list[str]:
        return [
            name
            for name, flag in (
                ("reminded", self.reminded),
                ("breached", self.breached),
                ("escalated", self.escalated),
            )
            if flag
        ]

    def as_json(self, zone: Zone = LOCAL) -> dict[str, Any]:
        return {
            "obligation_id": self.obligation_id,
            "kind": self.kind,
            "person_key": self.person_key,
            "responsible": self.responsible,
            "counterpart": self.counterpart,
            "status": self.status,
            "state": self.state,
            "reminded": self.reminded,
            "breached": self.breached,
            "escalated": self.escalated,
            "late": self.late,
            "opened_at": zone.iso(self.opened_at),
            "due_at": zone.iso(self.due_at),
            "reminded_at": zone.iso(self.reminded_at),
            "breached_at": zone.iso(self.breached_at),
            "escalated_at": zone.iso(self.escalated_at),
            "fulfilled_at": zone.iso(self.fulfilled_at),
            "cancelled_at": zone.iso(self.cancelled_at),
        }


def fold(events: Iterable[Envelope]) -> dict[str, ObligationRow]:
    rows: dict[str, ObligationRow] = {}
    seen: set[str] = set()
    for event in events:
        event_id = str(event.event_id)
        if event_id in seen:
            continue
        seen.add(event_id)
        if isinstance(event, ObligationOpened):
            rows[event.obligation_id] = ObligationRow(
                event.obligation_id,
                event.kind,
                event.person_key,
                event.responsible_county,
                event.counterpart_county,
                event.opened_at,
                event.due_at,
                causes=(event_id,),
            )
            continue
        row = rows.get(getattr(event, "obligation_id", ""))
        if row is not None:
            rows[row.obligation_id] = _advance(row, event)
    return rows


def _advance(row: ObligationRow, event: Envelope) -> ObligationRow:
    causes = (*row.causes, str(event.event_id))
    at = event.occurred_at
    if isinstance(event, ObligationReminded):
        state = vocabulary.after(row.state, "reminded")
        return replace(row, state=state, reminded=True, reminded_at=at, causes=causes)
    if isinstance(event, ObligationBreached):
        state = vocabulary.after(row.state, "breached")
        return replace(row, state=state, breached=True, breached_at=at, causes=causes)
    if isinstance(event, ObligationEscalated):
        state = vocabulary.after(row.state, "escalated")
        return replace(row, state=state, escalated=True, escalated_at=at, causes=causes)
    if isinstance(event, ObligationFulfilled):
        state = vocabulary.after(row.state, "fulfilled")
        return replace(row, state=state, late=event.late, fulfilled_at=at, causes=causes)
    if isinstance(event, ObligationCancelled):
        state = vocabulary.after(row.state, "cancelled")
        return replace(row, state=state, cancelled_at=at, causes=causes)
    return row


def select(
    rows: Iterable[ObligationRow],
    *,
    county: str | None,
    state: str | None,
    clock: dt.datetime | None = None,
) -> list[ObligationRow]:
    """The rows ``county`` is party to that ``state`` (a vocabulary count) counts, due first."""
    count = vocabulary.count(state) if state is not None else None
    chosen = [
        r
        for r in rows
        if (county is None or county in (r.responsible, r.counterpart))
        and (count is None or count.holds(r, clock))
    ]
    return sorted(chosen, key=lambda r: (r.due_at, r.obligation_id))
