"""The obligations as an operator lists them: the obligations topic folded into current rows.

Folding is by obligation id and event id, so re-delivered derived events change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from contracts.envelope import Envelope
from contracts.events.derived import (
    ObligationBreached,
    ObligationCancelled,
    ObligationEscalated,
    ObligationFulfilled,
    ObligationOpened,
    ObligationReminded,
)

STATES = ("open", "reminded", "fulfilled", "late", "breached", "escalated", "cancelled")


@dataclass(frozen=True, slots=True)
class ObligationRow:
    obligation_id: str
    kind: str
    person_key: str
    responsible: str
    counterpart: str
    opened_at: dt.datetime
    due_at: dt.datetime
    state: str = "open"
    reminded: bool = False
    breached: bool = False
    escalated: bool = False
    late: bool = False
    closed_at: dt.datetime | None = None
    causes: tuple[str, ...] = field(default=())  # the derived events, in order

    def as_json(self) -> dict[str, Any]:
        return {
            "obligation_id": self.obligation_id,
            "kind": self.kind,
            "person_key": self.person_key,
            "responsible": self.responsible,
            "counterpart": self.counterpart,
            "opened_at": self.opened_at.isoformat(),
            "due_at": self.due_at.isoformat(),
            "state": self.state,
            "reminded": self.reminded,
            "breached": self.breached,
            "escalated": self.escalated,
            "late": self.late,
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
    if isinstance(event, ObligationReminded):
        return replace(row, reminded=True, state=_open_state(row, "reminded"), causes=causes)
    if isinstance(event, ObligationBreached):
        return replace(row, breached=True, state=_open_state(row, "breached"), causes=causes)
    if isinstance(event, ObligationEscalated):
        return replace(row, escalated=True, state=_open_state(row, "escalated"), causes=causes)
    if isinstance(event, ObligationFulfilled):
        state = "late" if event.late else "fulfilled"
        return replace(
            row, late=event.late, state=state, closed_at=event.occurred_at, causes=causes
        )
    if isinstance(event, ObligationCancelled):
        return replace(row, state="cancelled", closed_at=event.occurred_at, causes=causes)
    return row


def _open_state(row: ObligationRow, new: str) -> str:
    # A closed obligation keeps its closing state; a late tick cannot reopen it.
    return row.state if row.state in ("fulfilled", "late", "cancelled") else new


def select(
    rows: Iterable[ObligationRow], *, county: str | None, state: str | None
) -> list[ObligationRow]:
    chosen = [
        r
        for r in rows
        if (county is None or county in (r.responsible, r.counterpart))
        and (state is None or r.state == state)
    ]
    return sorted(chosen, key=lambda r: (r.due_at, r.obligation_id))
