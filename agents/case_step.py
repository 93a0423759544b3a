"""The one way a rule changes a case: a :class:`CaseStep` holds the case as one event
changes it and the obligation events that change derives, with ids derived from the cause.
Pure, no I/O.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypeVar

from agents.case_state import CaseState, Derived, FlowRecord, Obligation
from agents.derivation import envelope_of
from contracts import obligation_vocabulary as vocabulary
from contracts.agreement_terms import ResolvedTerms
from contracts.envelope import Envelope
from contracts.events.derived import (
    ObligationBreached,
    ObligationCancelled,
    ObligationEscalated,
    ObligationFulfilled,
    ObligationKind,
    ObligationOpened,
    ObligationReminded,
)

# Fixed forever: derived event ids are uuid5 under it, so replays give the same ids.
NAMESPACE = uuid.UUID("5b0f6c1e-6f4a-5d2c-9a51-7c3e2f1d8b40")
D = TypeVar("D", bound=Envelope)


class CaseStep:
    """Accumulates one event's effects: the evolving state and the events derived so far.

    ``derive=False`` builds no derived events (``out`` stays empty): for a caller that only
    wants the state, as a replay that sends nothing. The state never depends on them.
    """

    def __init__(
        self,
        state: CaseState,
        cause: Envelope,
        region: str,
        *,
        derive: bool = True,
        cause_id: str | None = None,
    ) -> None:
        self.state = state
        self.cause = cause
        self._cause_id = cause_id
        self.region = region
        self.derive = derive
        self.out: list[Derived] = []
        self.flow: FlowRecord | None = None  # the new flow this event recorded, if any

    @property
    def cause_id(self) -> str:
        """The cause's event id as text (made once: a UUID's ``str`` is not free)."""
        if self._cause_id is None:
            self._cause_id = str(self.cause.event_id)
        return self._cause_id

    def derive_event(self, cls: type[Derived], key: str, transition: str, /, **fields: Any) -> None:
        """Derive an event from the cause (unless ``derive`` is off)."""
        if self.derive:
            self.out.append(self.build(cls, key, transition, **fields))

    def build(self, cls: type[D], key: str, transition: str, /, **fields: Any) -> D:
        # Positional-only: the event's own fields include obligation_id.
        cause = self.cause
        name = f"{self.state.person_key}:{self.cause_id}:{key}:{transition}"
        event_id = uuid.uuid5(NAMESPACE, name)
        return cls.model_validate(
            {
                "event_id": event_id,
                "schema_version": cls.SCHEMA_VERSION,
                **envelope_of(cause, self.region),
                **fields,
            }
        )

    def replace(self, new: Obligation) -> None:
        obligations = tuple(
            new if o.obligation_id == new.obligation_id else o for o in self.state.obligations
        )
        self.state = self.state.evolve(obligations=obligations)

    def get(self, obligation_id: str) -> Obligation:
        return next(o for o in self.state.obligations if o.obligation_id == obligation_id)

    def update(self, **fields: Any) -> None:
        self.state = self.state.evolve(**fields)

    def _base(self, ob: Obligation) -> dict[str, Any]:
        return {
            "person_key": self.state.person_key,
            "obligation_id": ob.obligation_id,
            "responsible_county": ob.responsible,
        }

    def open(
        self,
        kind: ObligationKind,
        *,
        responsible: str,
        counterpart: str,
        days: int,
        terms: ResolvedTerms,
        ref: str | None = None,
        urgent: bool = False,
        due_at: dt.datetime | None = None,
        obligation_id: str | None = None,
    ) -> Obligation:
        """Open an obligation due ``days`` after the cause (or at ``due_at``)."""
        at = self.cause.occurred_at
        due = due_at if due_at is not None else at + dt.timedelta(days=days)
        period = due - at
        ob = Obligation(
            obligation_id=obligation_id or f"{kind}:{self.cause_id}:{self.state.person_key}",
            kind=kind,
            responsible=responsible,
            counterpart=counterpart,
            ref=ref,
            opened_at=at,
            due_at=due,
            remind_at=at + period * terms.remind_fraction,
            escalate_at=due + dt.timedelta(days=terms.escalate_after_days),
            urgent=urgent,
            agreement_id=terms.agreement_id,
        )
        self.update(obligations=(*self.state.obligations, ob))
        self.derive_event(
            ObligationOpened,
            ob.obligation_id,
            "opened",
            **self._base(ob),
            kind=ob.kind,
            opened_at=ob.opened_at,
            due_at=ob.due_at,
            remind_at=ob.remind_at,
            escalate_at=ob.escalate_at,
            counterpart_county=counterpart,
            urgent=urgent,
            agreement_id=terms.agreement_id,
        )
        return ob

    def fulfil(self, ob: Obligation, *, by: str | None = None) -> None:
        """``by``: the publisher whose act fulfils it, if not the cause's (an early answer)."""
        late = self.cause.occurred_at > ob.due_at
        if late and not ob.breached:
            self.breach(ob)
            ob = ob.evolve(breached=True)
        self.replace(ob.evolve(state=vocabulary.after(ob.state, "fulfilled"), late=late))
        self.derive_event(
            ObligationFulfilled,
            ob.obligation_id,
            "fulfilled",
            **self._base(ob),
            late=late,
            fulfilled_by_publisher=by or self.cause.publisher_id,
        )

    def cancel(self, ob: Obligation, reason: str) -> None:
        self.replace(ob.evolve(state=vocabulary.after(ob.state, "cancelled")))
        self.derive_event(
            ObligationCancelled, ob.obligation_id, "cancelled", **self._base(ob), reason=reason
        )

    def breach(self, ob: Obligation) -> None:
        self.replace(ob.evolve(state=vocabulary.after(ob.state, "breached"), breached=True))
        self.derive_event(
            ObligationBreached, ob.obligation_id, "breached", **self._base(ob), due_at=ob.due_at
        )

    def remind(self, ob: Obligation) -> None:
        self.replace(ob.evolve(state=vocabulary.after(ob.state, "reminded"), reminded=True))
        self.derive_event(
            ObligationReminded, ob.obligation_id, "reminded", **self._base(ob), due_at=ob.due_at
        )

    def escalate(self, ob: Obligation) -> None:
        self.replace(ob.evolve(state=vocabulary.after(ob.state, "escalated"), escalated=True))
        self.derive_event(
            ObligationEscalated,
            ob.obligation_id,
            "escalated",
            **self._base(ob),
            escalated_to=self.region,
        )

    def find(
        self,
        kind: ObligationKind,
        responsible: str,
        *,
        counterpart: str | None = None,
        ref: str | None = None,
    ) -> Obligation | None:
        for ob in self.state.open_obligations():
            if ob.kind != kind or ob.responsible != responsible:
                continue
            if counterpart is not None and ob.counterpart != counterpart:
                continue
            if ref is not None and ob.ref != ref:
                continue
            return ob
        return None

    def fulfil_if(self, ob: Obligation | None) -> None:
        if ob is not None:
            self.fulfil(ob)
