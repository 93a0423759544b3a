"""A person's case between counties and the obligations it gives rise to. Pure, no I/O.

``decide(state, event)`` is what the case agent, the replay and the unit tests all call.
Rules as implemented (days come from the agreement in force for the flow, else ``Defaults``):

- outflow A->B opens ``arrival_registration`` on B (arrival days) unless B's inflow came first;
  an outflow matching a pending inflow instead fulfils A's ``origin_confirmation``.
- inflow at B from A fulfils B's open arrival obligation for A; with none it opens
  ``origin_confirmation`` on A (origin confirmation days).
- arrival_not_found fulfils the arrival obligation; origin_answered the origin confirmation.
- inquiry_sent opens ``inquiry_answer`` on the asked county (certificate / urgent / other
  days); inquiry_answered with the same inquiry id fulfils it.
- service_recorded opens ``receipt_acknowledgement`` on the origin (receipt days; urgent days
  for pregnancy and birth); receipt_acknowledged with the same service id fulfils it.
- An answer (inquiry answered, receipt acknowledged, case taken over) that comes before its
  question is kept, and fulfils the question's obligation the moment it opens, if within
  the question's period; otherwise a tick raises ``answer_without_question``
  (``agents.early_answers``).
- moved_on B->C and returned_home B->A open ``case_takeover`` on C / A (handover days); the
  notice itself is B's handover, so no separate handover_notice is opened. B's own open
  arrival or takeover duty is cancelled (the person left before B registered them); if
  already breached, the notice closes it as fulfilled late and the breach stands.
- C's inflow from B matches the move as an inflow matches an outflow: it fulfils C's
  takeover (C's ordinary way of taking a person over is registering them) and opens nothing
  on B, who gave notice by the move. case_taken_over fulfils the takeover too, and moves the
  case owner. Should C register the inflow from B first, B's move is its confirmation: it
  fulfils the ``origin_confirmation`` the inflow opened on B, and no takeover is opened.
- Flows (agreement coverage and the ``agreement_missing`` alert) are moves between counties:
  an outflow or inflow not matching one already seen, and every moved_on and returned_home
  (B->C, B->A) that C's inflow did not already announce. The agreement asked about is the one
  signed for the flow's direction, as for the takeover's terms.
- A county acts through any of its publishers: ``610902/office-440306`` acts for 610902.
  Only the responsible county's act fulfils an obligation.
- An answer after the due instant is fulfilled late; if no tick had breached it yet, the
  breach is emitted first, so the outcome does not depend on how ticks interleave.
- Ticks: remind once at ``remind_at`` (if not yet past due), breach once after ``due_at``,
  escalate to the region once after ``escalate_at`` if still unfulfilled.
- An obligation keeps the terms it opened with: amending or revoking the agreement later
  changes only obligations opened afterwards.
- Idempotency: person events are remembered by id, each with a fingerprint of its content
  (``agents.event_ids``): the same id again is a repeat and changes nothing; whether it
  came with other content (an id reused) the caller asks ``agents.event_ids.novelty``.
  Ticks are not remembered (that would grow every case with every tick); they are
  idempotent anyway, each transition firing at most once.
- Derived event ids and obligation ids name the person as well as the cause: two cases can
  never share one, even when a county gives two persons' events the same id.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agents import early_answers, event_ids
from agents.agreement_terms import AgreementBook, Defaults, ResolvedTerms
from agents.early_answers import EarlyAnswer
from contracts import obligation_vocabulary as vocabulary
from contracts import periods
from contracts.envelope import Envelope
from contracts.events.campaigns import (
    RecordsSplit,
    VerificationResultReported,
    VerificationTaskAssigned,
)
from contracts.events.clock import ClockTicked
from contracts.events.cooperation import (
    InquiryAnswered,
    InquirySent,
    ReceiptAcknowledged,
    ServiceRecorded,
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
from contracts.events.migration import (
    ArrivalNotFound,
    CaseTakenOver,
    InflowRegistered,
    MovedOn,
    OriginAnswered,
    OutflowRegistered,
    PersonEvent,
    ReturnedHome,
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


class _Frozen(BaseModel):
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


class Obligation(_Frozen):
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


class Flow(_Frozen):
    """An outflow or inflow not yet matched by the other side."""

    origin: str
    destination: str
    event_id: str
    at: dt.datetime


class FlowRecord(_Frozen):
    """A move between counties, counted once (at the first event that tells of it) for
    agreement coverage."""

    period: str
    origin: str
    destination: str
    covered: bool


class Registration(_Frozen):
    """The person registered as living in ``county`` (an inflow there): one record."""

    record_id: str  # the registering event's id
    county: str
    since: dt.datetime
    active: bool = True
    merged_into: str | None = None  # the record it was found to duplicate (undone by a split)
    merged_by: str | None = None  # the task whose result merged it


class Task(_Frozen):
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


class CaseState(_Frozen):
    person_key: str
    origin: str | None = None
    destination: str | None = None
    owner: str | None = None
    obligations: tuple[Obligation, ...] = ()
    # The person events applied: event id -> fingerprint of its content (agents.event_ids).
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


class Step:
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

    def emit(self, cls: type[Derived], key: str, transition: str, /, **fields: Any) -> None:
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
                "occurred_at": cause.occurred_at,
                "recorded_at": cause.occurred_at,  # event time: never the wall clock
                "source_county": self.region,
                "publisher_id": f"{self.region}/agents",
                "correlation_id": cause.correlation_id,
                "causation_id": cause.event_id,
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
        self.emit(
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
        self.emit(
            ObligationFulfilled,
            ob.obligation_id,
            "fulfilled",
            **self._base(ob),
            late=late,
            fulfilled_by_publisher=by or self.cause.publisher_id,
        )

    def cancel(self, ob: Obligation, reason: str) -> None:
        self.replace(ob.evolve(state=vocabulary.after(ob.state, "cancelled")))
        self.emit(
            ObligationCancelled, ob.obligation_id, "cancelled", **self._base(ob), reason=reason
        )

    def breach(self, ob: Obligation) -> None:
        self.replace(ob.evolve(state=vocabulary.after(ob.state, "breached"), breached=True))
        self.emit(
            ObligationBreached, ob.obligation_id, "breached", **self._base(ob), due_at=ob.due_at
        )

    def remind(self, ob: Obligation) -> None:
        self.replace(ob.evolve(state=vocabulary.after(ob.state, "reminded"), reminded=True))
        self.emit(
            ObligationReminded, ob.obligation_id, "reminded", **self._base(ob), due_at=ob.due_at
        )

    def escalate(self, ob: Obligation) -> None:
        self.replace(ob.evolve(state=vocabulary.after(ob.state, "escalated"), escalated=True))
        self.emit(
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


def decide(
    state: CaseState | None,
    event: PersonEvent | ClockTicked,
    *,
    book: AgreementBook,
    region: str,
    defaults: Defaults,
    derive: bool = True,
    fingerprint: str | None = None,
) -> tuple[CaseState, list[Derived]]:
    """The case after ``event`` and the obligation events it derives (none if not ``derive``).

    A tick reaches only cases that exist (the agent iterates its table), so a tick without a
    state is a caller's error. ``fingerprint`` is ``event_ids.fingerprint(event)``, if the
    caller has it already. A person event whose id the case holds changes nothing: the very
    same state comes back.
    """
    if isinstance(event, ClockTicked):
        if state is None:
            raise ValueError("a clock tick needs an existing case")
        return _tick(state, event, region, derive)
    if state is None:
        state = CaseState(person_key=event.person_key)
    key = str(event.event_id)
    if key in state.processed:
        return state, []
    step = Step(state, event, region, derive=derive, cause_id=key)
    _apply(step, event, book, defaults)
    early_answers.settle(step, state)
    _touch(step, event, fingerprint or event_ids.fingerprint(event))
    return step.state, step.out


def _touch(step: Step, event: PersonEvent, fingerprint: str) -> None:
    """Remember the event as done, when the record last showed activity and its new flow."""
    state = step.state
    last = state.last_activity
    at = event.occurred_at
    changes: dict[str, Any] = {
        "processed": {**state.processed, step.cause_id: fingerprint},
        "last_activity": at if last is None or at > last else last,
    }
    if step.flow is not None:
        changes["flows"] = (*state.flows, step.flow)
    step.update(**changes)


def _tick(
    state: CaseState, tick: ClockTicked, region: str, derive: bool
) -> tuple[CaseState, list[Derived]]:
    step = Step(state, tick, region, derive=derive)
    now = tick.occurred_at
    for ob in state.open_obligations():
        # Each transition at most once; a tick far past several instants fires them in order.
        if not ob.reminded and not ob.breached and ob.remind_at <= now <= ob.due_at:
            step.remind(ob)
            ob = step.get(ob.obligation_id)
        if not ob.breached and now > ob.due_at:
            step.breach(ob)
            ob = step.get(ob.obligation_id)
        if not ob.escalated and now > ob.escalate_at:
            step.escalate(ob)
    early_answers.expire(step, now)
    return step.state, step.out


def _pair(state: CaseState, x: str, y: str) -> tuple[str, str]:
    """The flow whose agreement sets terms between x and y: the case's, if it is theirs."""
    origin, destination = state.origin, state.destination
    if origin is not None and destination is not None and {x, y} == {origin, destination}:
        return origin, destination
    return x, y


def _outflow(step: Step, event: OutflowRegistered, book: AgreementBook, defaults: Defaults) -> None:
    a, b = event.origin_county, event.destination_county
    _side_of_flow(step, a, b, book)
    pending = step.state.pending_inflow
    step.update(origin=a, destination=b, owner=step.state.owner or a)
    if pending is not None and (pending.origin, pending.destination) == (a, b):
        # The inflow came first: this outflow is the origin's confirmation.
        step.fulfil_if(step.find("origin_confirmation", a, counterpart=b))
        step.update(pending_inflow=None)
        return
    terms = book.terms_for(a, b, event.occurred_at, defaults)
    step.open(
        "arrival_registration", responsible=b, counterpart=a, days=terms.arrival_days, terms=terms
    )
    step.update(pending_outflow=_flow(step, a, b))


def _inflow(step: Step, event: InflowRegistered, book: AgreementBook, defaults: Defaults) -> None:
    a, b = event.origin_county, event.destination_county
    register(step, b, step.cause_id)
    move = step.state.pending_move
    if move is not None and (move.origin, move.destination) == (a, b):
        _inflow_after_move(step, event, a, b)
        return
    _side_of_flow(step, a, b, book)
    step.update(origin=a, destination=b, owner=b)
    waiting = step.find("arrival_registration", b, counterpart=a)
    if waiting is not None and acting_county(event) == b:
        step.fulfil(waiting)
        step.update(pending_outflow=None)
        return
    if acting_county(event) == a:
        # The origin's own outposted office registered the arrival: the origin has nothing
        # to confirm, and the destination's duty to register it stays the destination's.
        return
    terms = book.terms_for(a, b, event.occurred_at, defaults)
    step.open(
        "origin_confirmation",
        responsible=a,
        counterpart=b,
        days=terms.origin_confirmation_days,
        terms=terms,
    )
    step.update(pending_inflow=_flow(step, a, b))


def _inflow_after_move(step: Step, event: InflowRegistered, b: str, c: str) -> None:
    """C registered the person who moved on (or went home) from B: the move's other side.

    The move already counted as the flow, and B gave notice by it: nothing opens on B. The
    registration is C's act of taking the person over, so it fulfils C's takeover; should
    someone else (B's outposted office in C, say) have registered it, C's duty stays C's.
    """
    step.update(pending_move=None)
    if acting_county(event) != c:
        return
    step.fulfil_if(step.find("case_takeover", c, counterpart=b))
    home = c == step.state.origin
    step.update(owner=c, destination=None if home else c)


def _side_of_flow(step: Step, origin: str, destination: str, book: AgreementBook) -> None:
    """An outflow or inflow is a new flow unless the case already is that flow (its other
    side came first)."""
    state = step.state
    if (state.origin, state.destination) != (origin, destination):
        _new_flow(step, origin, destination, book)


def _new_flow(step: Step, origin: str, destination: str, book: AgreementBook) -> None:
    at = step.cause.occurred_at
    step.flow = FlowRecord(
        period=periods.month_text(at),
        origin=origin,
        destination=destination,
        covered=book.in_force(origin, destination, at) is not None,
    )


def register(step: Step, county: str, record_id: str) -> None:
    """The person is registered as living in ``county``, unless a record there is active."""
    if any(r.active and r.county == county for r in step.state.registrations):
        return
    record = Registration(record_id=record_id, county=county, since=step.cause.occurred_at)
    step.update(registrations=(*step.state.registrations, record))


def leave(step: Step, county: str) -> None:
    """The person no longer lives in ``county``: its records there lapse."""
    step.update(
        registrations=tuple(
            r.evolve(active=False) if r.active and r.county == county else r
            for r in step.state.registrations
        )
    )


def _flow(step: Step, origin: str, destination: str) -> Flow:
    return Flow(
        origin=origin, destination=destination, event_id=step.cause_id, at=step.cause.occurred_at
    )


def _not_found(step: Step, event: ArrivalNotFound, book: AgreementBook, defaults: Defaults) -> None:
    ob = step.find("arrival_registration", acting_county(event), counterpart=event.origin_county)
    step.fulfil_if(ob)
    if ob is not None:
        step.update(pending_outflow=None)


def _origin_answered(
    step: Step, event: OriginAnswered, book: AgreementBook, defaults: Defaults
) -> None:
    ob = step.find(
        "origin_confirmation", acting_county(event), counterpart=event.destination_county
    )
    step.fulfil_if(ob)
    if ob is not None:
        step.update(pending_inflow=None)


def _inquiry_sent(step: Step, event: InquirySent, book: AgreementBook, defaults: Defaults) -> None:
    sender = acting_county(event)
    terms = book.terms_for(*_pair(step.state, sender, event.to_county), event.occurred_at, defaults)
    days = {
        "certificate": terms.inquiry_certificate_days,
        "urgent": terms.inquiry_urgent_days,
        "other": terms.inquiry_other_days,
    }[event.kind]
    step.open(
        "inquiry_answer",
        responsible=event.to_county,
        counterpart=sender,
        days=days,
        terms=terms,
        ref=event.inquiry_id,
        urgent=event.kind == "urgent",
    )


def _inquiry_answered(
    step: Step, event: InquiryAnswered, book: AgreementBook, defaults: Defaults
) -> None:
    answerer = acting_county(event)
    ob = step.find("inquiry_answer", answerer, ref=event.inquiry_id)
    if ob is not None:
        step.fulfil(ob)
        return
    pair = _pair(step.state, event.to_county, answerer)
    terms = book.terms_for(*pair, event.occurred_at, defaults)
    days = max(terms.inquiry_certificate_days, terms.inquiry_urgent_days, terms.inquiry_other_days)
    early_answers.keep(
        step,
        "inquiry_answer",
        responsible=answerer,
        counterpart=event.to_county,
        ref=event.inquiry_id,
        days=days,
    )


def _service(step: Step, event: ServiceRecorded, book: AgreementBook, defaults: Defaults) -> None:
    recorder, origin = acting_county(event), event.origin_county
    terms = book.terms_for(*_pair(step.state, origin, recorder), event.occurred_at, defaults)
    urgent = event.service in URGENT_SERVICES
    step.open(
        "receipt_acknowledgement",
        responsible=origin,
        counterpart=recorder,
        days=terms.receipt_urgent_days if urgent else terms.receipt_days,
        terms=terms,
        ref=event.service_id,
        urgent=urgent,
    )


def _receipt(
    step: Step, event: ReceiptAcknowledged, book: AgreementBook, defaults: Defaults
) -> None:
    origin = acting_county(event)
    ob = step.find("receipt_acknowledgement", origin, ref=event.service_id)
    if ob is not None:
        step.fulfil(ob)
        return
    terms = book.terms_for(*_pair(step.state, origin, event.to_county), event.occurred_at, defaults)
    early_answers.keep(
        step,
        "receipt_acknowledgement",
        responsible=origin,
        counterpart=event.to_county,
        ref=event.service_id,
        days=max(terms.receipt_days, terms.receipt_urgent_days),
    )


def _handover(
    step: Step, event: MovedOn | ReturnedHome, book: AgreementBook, defaults: Defaults
) -> None:
    b, c = flow_pair(event)
    inflow = step.state.pending_inflow
    if (
        inflow is not None
        and (inflow.origin, inflow.destination) == (b, c)
        and acting_county(event) == b
    ):
        # C registered the inflow from B first; B's notice of the move confirms it.
        close_left_duties(step, b)
        leave(step, b)
        step.fulfil_if(step.find("origin_confirmation", b, counterpart=c))
        step.update(pending_inflow=None, pending_outflow=None)
        return
    move = step.state.pending_move
    if move is None or (move.origin, move.destination) != (b, c):
        _new_flow(step, b, c, book)
    handover(step, b, c, book, defaults)
    step.update(pending_move=_flow(step, b, c))


def flow_pair(event: MovedOn | ReturnedHome) -> tuple[str, str]:
    """The (from, to) counties of a move on or a return home."""
    if isinstance(event, MovedOn):
        return event.from_county, event.to_county
    return event.from_county, event.home_county


def handover(step: Step, b: str, c: str, book: AgreementBook, defaults: Defaults) -> None:
    """The person left ``b`` for ``c`` (another county, or home): ``c`` takes the case over."""
    close_left_duties(step, b)
    leave(step, b)
    terms = book.terms_for(b, c, step.cause.occurred_at, defaults)
    step.open("case_takeover", responsible=c, counterpart=b, days=terms.handover_days, terms=terms)
    step.update(destination=c, pending_outflow=None)


def close_left_duties(step: Step, county: str) -> None:
    """The person left ``county``: its duties to register or take them over lapse."""
    for ob in step.state.open_obligations():
        if ob.responsible != county or ob.kind not in ("arrival_registration", "case_takeover"):
            continue
        if ob.breached:
            step.fulfil(ob)  # the notice is the county's (late) answer; the breach stands
        else:
            step.cancel(ob, f"the person left {county} before it was due")


def _taken_over(step: Step, event: CaseTakenOver, book: AgreementBook, defaults: Defaults) -> None:
    by = acting_county(event)
    ob = step.find("case_takeover", by, counterpart=event.from_county)
    step.fulfil_if(ob)
    if ob is None and by == event.by_county:  # before the move it takes over
        terms = book.terms_for(event.from_county, by, event.occurred_at, defaults)
        early_answers.keep(
            step,
            "case_takeover",
            responsible=by,
            counterpart=event.from_county,
            ref=None,
            days=terms.handover_days,
        )
    if by == event.by_county:  # only the county itself can take the case over
        home = by == step.state.origin
        step.update(owner=by, destination=None if home else by)


def _apply(step: Step, event: PersonEvent, book: AgreementBook, defaults: Defaults) -> None:
    # A person event with no rule here (a campaign's, say) is remembered and derives nothing.
    match event:
        case OutflowRegistered():
            _outflow(step, event, book, defaults)
        case InflowRegistered():
            _inflow(step, event, book, defaults)
        case ArrivalNotFound():
            _not_found(step, event, book, defaults)
        case OriginAnswered():
            _origin_answered(step, event, book, defaults)
        case InquirySent():
            _inquiry_sent(step, event, book, defaults)
        case InquiryAnswered():
            _inquiry_answered(step, event, book, defaults)
        case ServiceRecorded():
            _service(step, event, book, defaults)
        case ReceiptAcknowledged():
            _receipt(step, event, book, defaults)
        case MovedOn() | ReturnedHome():
            _handover(step, event, book, defaults)
        case CaseTakenOver():
            _taken_over(step, event, book, defaults)
        case VerificationResultReported() | RecordsSplit():
            # Imported here: campaign_rules builds on this module's steps and helpers.
            from agents import campaign_rules

            campaign_rules.apply_answer(step, event, book, defaults)


def period_of(at: dt.datetime) -> str:
    """The calendar month of an instant (UTC), e.g. "2026-03": the alert period."""
    return periods.month_text(at)


def missing_agreement_alerts(
    seen_pairs: frozenset[tuple[str, str, str]],
    event: Envelope,
    book: AgreementBook,
    region: str,
    derive: bool = True,
) -> tuple[frozenset[tuple[str, str, str]], list[AlertRaised]]:
    """Raise agreement_missing once per (origin, destination, month) for uncovered flows.

    ``event`` is one that recorded a new flow: an outflow, an inflow, a move on (from, to)
    or a return home (from, home). ``seen_pairs`` is per agent partition; ``alert_id`` names
    the pair and month so that consumers can fold alerts raised by several partitions into
    one. Not ``derive``: the pairs only, no alert.
    """
    if isinstance(event, OutflowRegistered | InflowRegistered):
        a, b = event.origin_county, event.destination_county
    elif isinstance(event, MovedOn | ReturnedHome):
        a, b = flow_pair(event)
    else:
        return seen_pairs, []
    period = period_of(event.occurred_at)
    key = (a, b, period)
    if key in seen_pairs or book.in_force(a, b, event.occurred_at) is not None:
        return seen_pairs, []
    if not derive:
        return seen_pairs | {key}, []
    alert_id = alert_id_of(key)
    step = Step(CaseState(person_key=event.person_key), event, region)
    alert = step.build(
        AlertRaised,
        alert_id,
        "alert",
        alert_id=alert_id,
        kind="agreement_missing",
        counties=(a, b),
        period=period,
        detail=f"no agreement in force for flows {a} -> {b}",
    )
    return seen_pairs | {key}, [alert]


def alert_id_of(pair: tuple[str, str, str]) -> str:
    """The alert id of an (origin, destination, period) that had no agreement in force."""
    a, b, period = pair
    return f"agreement_missing:{a}-{b}:{period}"


def next_fire(state: CaseState) -> dt.datetime | None:
    """The earliest instant at which a tick could change this case, or None if none can.

    The agent keeps an index of these per partition, so a tick only visits cases that are
    due instead of every case in the table.
    """
    instants: list[dt.datetime] = []
    for ob in state.open_obligations():
        if not ob.reminded and not ob.breached:
            instants.append(ob.remind_at)
        if not ob.breached:
            instants.append(ob.due_at)
        if not ob.escalated:
            instants.append(ob.escalate_at)
    kept = early_answers.next_instant(state)
    if kept is not None:
        instants.append(kept)
    return min(instants, default=None)
