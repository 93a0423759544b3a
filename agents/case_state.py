"""A person's case as the case rules keep it: its obligations, flows, registrations,
verification tasks and early answers. Pure, no I/O. Every rule changes it through a
:class:`agents.case_step.CaseStep`; the rules are in :mod:`agents.case_rules` (person
events, by family in the modules it names), :mod:`agents.campaign_rules` (campaigns) and
:mod:`agents.early_answers`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts import event_ids, periods
from contracts import obligation_vocabulary as vocabulary
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
        # A stored case may list its ids alone, without fingerprints: each is then an id
        # whose content is unknown (event_ids.UNKNOWN), so a repeat of it is still dropped.
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
