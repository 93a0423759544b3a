"""A person's case as the case rules keep it: its obligations, flows, registrations,
verification tasks and early answers, and the :class:`CaseStep` every rule changes it through.
Pure, no I/O. The rules themselves are in :mod:`agents.case_rules` (person events),
:mod:`agents.campaign_rules` (campaign answers) and :mod:`agents.early_answers`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agents.derivation import envelope_of
from contracts import event_ids, periods
from contracts import obligation_vocabulary as vocabulary
from contracts.agreement_terms import ResolvedTerms
from contracts.envelope import Envelope
from contracts.events.campaigns import (
    VerificationTaskAssigned,
)
from contracts.events.derived import (
    AlertRaised,
    ObligationBreached,
    ObligationCancelled,
    ObligationEscalated,
    ObligationFulfilled,
    ObligationKind,
    ObligationOpened,
    ObligationReminded,
)
from contracts.types import CheckKind, VerificationResult

# Fixed forever: derived event ids are uuid5 under it, so replays give the same ids.
NAMESPACE = uuid.UUID("5b0f6c1e-6f4a-5d2c-9a51-7c3e2f1d8b40")
URGENT_SERVICES = frozenset({"pregnancy", "birth"})
CLOSED_STATES = vocabulary.CLOSED_STATES

ObligationState = vocabulary.LifecycleState
Derived = (
    ObligationOpened
    | ObligationReminded
    | ObligationFulfilled
    | ObligationBreached
    | ObligationEscalated
    | ObligationCancelled
    | VerificationTaskAssigned
    | AlertRaised
)
D = TypeVar("D", bound=Envelope)


class CaseModel(BaseModel):
    # Not strict: from_dict reads the JSON forms (ISO strings) a Faust table gives back.
    model_config = ConfigDict(frozen=True, extra="forbid")

    def evolve(self, **changes: Any) -> Self:
        """``model_copy(update=changes)``, cheaper: decisions copy the case at every change,
        and pydantic's generic copy cost more than the rest of a decision.

        As with ``model_copy``, values are not validated (callers pass values of the fields'
        own types). The copy shares the original's fields-set, which only ``exclude_unset``
        would read; equality and the JSON forms do not depend on it.
        """
        cls = type(self)
        if not changes.keys() <= cls.__pydantic_fields__.keys():
            raise TypeError(f"{cls.__name__} has no field among {sorted(changes)}")
        new = object.__new__(cls)
        _set = object.__setattr__
        _set(new, "__dict__", {**self.__dict__, **changes})
        _set(new, "__pydantic_fields_set__", self.__pydantic_fields_set__)
        _set(new, "__pydantic_extra__", None)
        _set(new, "__pydantic_private__", None)
        return new


class Obligation(CaseModel):
    obligation_id: str
    kind: ObligationKind
    responsible: str
    counterpart: str
    ref: str | None = None  # inquiry or service id the answer must name
    opened_at: dt.datetime
    due_at: dt.datetime
    remind_at: dt.datetime
    escalate_at: dt.datetime
    urgent: bool = False
    agreement_id: str | None = None
    state: ObligationState = "opened"
    reminded: bool = False
    breached: bool = False  # stays true when fulfilled late: the breach stands
    escalated: bool = False
    late: bool = False

    @property
    def closed(self) -> bool:
        return self.state in CLOSED_STATES


class Flow(CaseModel):
    """An outflow or inflow not yet matched by the other side."""

    origin: str
    destination: str
    event_id: str
    at: dt.datetime


class FlowRecord(CaseModel):
    """A move between counties, counted once (at the first event that tells of it) for
    agreement coverage."""

    period: str
    origin: str
    destination: str
    covered: bool


class Registration(CaseModel):
    """The person registered as living in ``county`` (an inflow there): one record."""

    record_id: str  # the registering event's id
    county: str
    since: dt.datetime
    active: bool = True
    merged_into: str | None = None  # the record it was found to duplicate (undone by a split)
    merged_by: str | None = None  # the task whose result merged it


class Task(CaseModel):
    """A campaign's verification task on this case; its obligation is ``obligation_id``."""

    task_id: str
    campaign_id: str
    check: CheckKind
    assignee: str
    counterpart: str
    obligation_id: str
    record_id: str | None = None  # the record in question (the duplicate one, for duplicates)
    result: VerificationResult | None = None
    closed: bool = False  # the campaign closed before an answer


class CaseState(CaseModel):
    person_key: str
    origin: str | None = None
    destination: str | None = None
    owner: str | None = None
    obligations: tuple[Obligation, ...] = ()
    # The person events applied: event id -> fingerprint of its content (contracts.event_ids).
    processed: Mapping[str, str] = Field(default_factory=dict)
    pending_outflow: Flow | None = None
    pending_inflow: Flow | None = None
    pending_move: Flow | None = None  # a move on / return home not yet registered where it went
    # Kept in the case (not in a per-partition tally) so that coverage and missing-agreement
    # alerts are rebuilt from the cases table alone and can never disagree with it.
    flows: tuple[FlowRecord, ...] = ()
    # What the clean-up campaigns check and change (agents.campaign_rules).
    registrations: tuple[Registration, ...] = ()
    last_activity: dt.datetime | None = None
    status: Literal["active", "lost_contact", "closed"] = "active"
    tasks: tuple[Task, ...] = ()
    # Answers that came before their questions (agents.early_answers).
    early_answers: tuple[EarlyAnswer, ...] = ()

    @field_validator("processed", mode="before")
    @classmethod
    def _ids_alone(cls, value: Any) -> Any:
        # A case stored before fingerprints were kept lists the ids alone.
        if isinstance(value, list | tuple | set | frozenset):
            return dict.fromkeys(value, event_ids.UNKNOWN)
        return value

    def to_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["processed"] = dict(sorted(self.processed.items()))  # one JSON order
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseState:
        return cls.model_validate(data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> CaseState:
        return cls.model_validate_json(text)

    def open_obligations(self) -> tuple[Obligation, ...]:
        return tuple([o for o in self.obligations if o.state not in CLOSED_STATES])


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


def acting_county(event: Envelope) -> str:
    """The county an event is the act of: its publisher's county (an office acts for its own)."""
    county, _, _ = event.publisher_id.partition("/")
    return county if county.isdigit() and len(county) == 6 else event.source_county


def period_of(at: dt.datetime) -> str:
    """The calendar month of an instant (UTC), e.g. "2026-03": the alert period."""
    return periods.month_text(at)


class EarlyAnswer(BaseModel):
    """An answer kept until its question comes, or its window passes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ObligationKind  # the obligation it answers
    responsible: str  # the county that answered
    counterpart: str  # the county whose question it answers
    ref: str | None = None  # the inquiry or service id (none for a takeover)
    event_id: str
    publisher_id: str
    at: dt.datetime
    until: dt.datetime  # the longest a question may come after it

    def answers(self, ob: Obligation) -> bool:
        """This answer is the one ``ob`` asks for, and ``ob`` came within its own period."""
        if (ob.kind, ob.responsible) != (self.kind, self.responsible):
            return False
        same = ob.counterpart == self.counterpart if self.ref is None else ob.ref == self.ref
        return same and ob.opened_at - self.at <= ob.due_at - ob.opened_at
