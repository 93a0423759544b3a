"""Clean-up and verification campaigns (清理清查) on one person's case. Pure, no I/O.

Rules as implemented (every number is ``CampaignRules``):

- A campaign covers the cases its counties are party to (origin or destination). When it
  opens, each case is checked, at the instant it opened, for the campaign's kinds:
  ``lost_contact``: an outflow never matched by an arrival for ``lost_contact_days`` (30),
  checked by the destination; ``unmatched_arrival``: an arrival never matched by an outflow
  for ``unmatched_arrival_days`` (15), checked by the origin; ``duplicate``: active records
  in two counties at once, one task per later record, checked by that record's county;
  ``stale``: an active case with no event for ``stale_days`` (180), checked where the person
  lives (the destination, else the owner); ``revoked_agreement``: open obligations under an
  agreement since revoked, checked by the destination.
- Each task is a ``verification_result`` obligation of its assignee, due at the campaign
  deadline, so it reminds, breaches and escalates like any other. An extension re-opens
  the unanswered tasks' obligations at the new deadline (the old ones are cancelled, their
  breach, if any, stands); closing the campaign cancels the unanswered ones.
- Results, from the assignee only: ``present`` refreshes the record (and, for a lost contact,
  is the arrival; for an unmatched arrival, the origin's confirmation); ``moved_on`` to X
  hands the case over to X; ``returned_home`` closes it at the destination and gives it
  back to the origin; ``not_found`` marks the person lost contact; ``deceased`` closes the
  case and cancels what is open; ``duplicate`` merges the task's record into the one named
  (``duplicate_of``). ``records_split`` naming that task undoes the merge: both records
  are active again, and the history keeps the merge and the split.
- A task's answer after the deadline is fulfilled late; after the campaign closed it is
  recorded and applied, but there is no obligation left to fulfil.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from agents import case_moves, case_state
from agents.case_state import CaseState, Derived, Registration, Task
from agents.derivation import envelope_of
from contracts import event_ids
from contracts.agreement_terms import AgreementBook, Defaults
from contracts.envelope import Envelope
from contracts.events.campaigns import (
    CampaignClosed,
    CampaignExtended,
    CampaignOpened,
    RecordsSplit,
    VerificationResultReported,
    VerificationTaskAssigned,
)
from contracts.events.derived import CampaignProgressPublished, ProgressFigure
from contracts.types import CheckKind

CAMPAIGN_EVENTS = (CampaignOpened, CampaignExtended, CampaignClosed)
# Fixed forever: task and progress ids are uuid5 under it, so replays give the same ids.
NAMESPACE = uuid.UUID("2f7c9a4e-51d3-4b8e-9c6a-0e4d7b3a1f92")


@dataclass(frozen=True, slots=True)
class CampaignRules:
    lost_contact_days: int = 30
    unmatched_arrival_days: int = 15
    stale_days: int = 180


@dataclass(frozen=True, slots=True)
class Campaign:
    campaign_id: str
    counties: frozenset[str]
    period_start: dt.datetime
    period_end: dt.datetime
    deadline: dt.datetime
    checks: tuple[CheckKind, ...]
    closed: bool = False


def _empty() -> Mapping[str, Campaign]:
    return MappingProxyType({})


def _no_events() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class CampaignBook:
    """Every campaign seen; ``apply`` returns a new book (the same one for a repeat).

    ``events`` holds the id and fingerprint of every campaign event applied
    (contracts.event_ids): an id seen before changes nothing, and any new one changes the book,
    if only by being remembered.
    """

    campaigns: Mapping[str, Campaign] = field(default_factory=_empty)
    events: Mapping[str, str] = field(default_factory=_no_events)

    def apply(self, event: Envelope) -> CampaignBook:
        if not isinstance(event, CAMPAIGN_EVENTS):
            return self
        key = str(event.event_id)
        if key in self.events:
            return self  # a repeat, or an id reused (event_ids.novelty tells which)
        book = self._campaign(event)
        events = MappingProxyType({**self.events, key: event_ids.fingerprint(event)})
        return CampaignBook(book.campaigns, events)

    def _campaign(self, event: CampaignOpened | CampaignExtended | CampaignClosed) -> CampaignBook:
        known = self.campaigns.get(event.campaign_id)
        if isinstance(event, CampaignOpened):
            if known is not None:
                return self  # a re-delivery, or a reused id: the first opening stands
            return self._with(
                Campaign(
                    campaign_id=event.campaign_id,
                    counties=frozenset(event.counties),
                    period_start=event.period_start,
                    period_end=event.period_end,
                    deadline=event.deadline,
                    checks=event.checks,
                )
            )
        if known is None or known.closed:
            return self
        if isinstance(event, CampaignExtended):
            if event.deadline <= known.deadline:
                return self  # only ever later: a repeat or a shortening changes nothing
            return self._with(dataclasses.replace(known, deadline=event.deadline))
        if isinstance(event, CampaignClosed):
            return self._with(dataclasses.replace(known, closed=True))
        return self

    def _with(self, campaign: Campaign) -> CampaignBook:
        campaigns = MappingProxyType({**self.campaigns, campaign.campaign_id: campaign})
        return CampaignBook(campaigns, self.events)


@dataclass(frozen=True, slots=True)
class Finding:
    """An anomaly a campaign found on a case: what to check, by whom, about which record."""

    check: CheckKind
    assignee: str
    counterpart: str
    record_id: str | None = None


def findings(
    state: CaseState,
    campaign: Campaign,
    book: AgreementBook,
    at: dt.datetime,
    rules: CampaignRules,
) -> list[Finding]:
    """The campaign's checks that apply to this case at ``at``, in a fixed order."""
    if state.status == "closed" or not campaign.counties & _parties(state):
        return []
    found: list[Finding] = []
    checks = set(campaign.checks)
    out = state.pending_outflow
    if (
        "lost_contact" in checks
        and out is not None
        and at - out.at >= dt.timedelta(days=rules.lost_contact_days)
    ):
        found.append(Finding("lost_contact", out.destination, out.origin, out.event_id))
    inflow = state.pending_inflow
    if (
        "unmatched_arrival" in checks
        and inflow is not None
        and at - inflow.at >= dt.timedelta(days=rules.unmatched_arrival_days)
    ):
        found.append(
            Finding("unmatched_arrival", inflow.origin, inflow.destination, inflow.event_id)
        )
    if "duplicate" in checks:
        active = sorted((r for r in state.registrations if r.active), key=_record_order)
        for later in active[1:]:
            found.append(Finding("duplicate", later.county, active[0].county, later.record_id))
    home = state.destination or state.owner
    if "stale" in checks and state.status == "active" and home is not None:
        last = state.last_activity
        if last is not None and at - last >= dt.timedelta(days=rules.stale_days):
            found.append(Finding("stale", home, state.origin or home))
    if "revoked_agreement" in checks and state.destination is not None:
        revoked = {
            ob.agreement_id
            for ob in state.open_obligations()
            if ob.agreement_id is not None and _revoked(book, ob.agreement_id, at)
        }
        for agreement_id in sorted(revoked):
            found.append(
                Finding(
                    "revoked_agreement",
                    state.destination,
                    state.origin or state.destination,
                    agreement_id,
                )
            )
    return found


def _parties(state: CaseState) -> set[str]:
    return {c for c in (state.origin, state.destination, state.owner) if c is not None} | {
        r.county for r in state.registrations
    }


def _record_order(record: Registration) -> tuple[dt.datetime, str]:
    return record.since, record.record_id


def _revoked(book: AgreementBook, agreement_id: str, at: dt.datetime) -> bool:
    agreement = book.agreements.get(agreement_id)
    return agreement is not None and agreement.revoked_at is not None and agreement.revoked_at <= at


def task_id(campaign_id: str, person_key: str, finding: Finding) -> str:
    name = f"{campaign_id}:{finding.check}:{person_key}:{finding.record_id or ''}"
    return str(uuid.uuid5(NAMESPACE, name))


def open_tasks(
    state: CaseState,
    event: CampaignOpened,
    campaign: Campaign,
    *,
    book: AgreementBook,
    rules: CampaignRules,
    region: str,
    defaults: Defaults,
    derive: bool = True,
) -> tuple[CaseState, list[Derived]]:
    """A task (and its obligation) for each finding on this case; none twice."""
    step = case_state.CaseStep(state, event, region, derive=derive)
    known = {t.task_id for t in state.tasks}
    terms = defaults.resolve(None, None)
    for finding in findings(state, campaign, book, event.occurred_at, rules):
        tid = task_id(campaign.campaign_id, state.person_key, finding)
        if tid in known:
            continue
        ob = step.open(
            "verification_result",
            responsible=finding.assignee,
            counterpart=finding.counterpart,
            days=1,
            terms=terms,
            ref=tid,
            due_at=campaign.deadline,
            obligation_id=f"verification_result:{tid}",
        )
        task = Task(
            task_id=tid,
            campaign_id=campaign.campaign_id,
            check=finding.check,
            assignee=finding.assignee,
            counterpart=finding.counterpart,
            obligation_id=ob.obligation_id,
            record_id=finding.record_id,
        )
        step.update(tasks=(*step.state.tasks, task))
        step.derive_event(
            VerificationTaskAssigned,
            tid,
            "assigned",
            person_key=state.person_key,
            task_id=tid,
            campaign_id=campaign.campaign_id,
            check=finding.check,
            assignee_county=finding.assignee,
            due_at=campaign.deadline,
        )
    return step.state, step.out


def extend(
    state: CaseState,
    event: CampaignExtended,
    campaign: Campaign,
    *,
    region: str,
    defaults: Defaults,
    derive: bool = True,
) -> tuple[CaseState, list[Derived]]:
    """Unanswered tasks get a new obligation at the new deadline; the old one is cancelled."""
    step = case_state.CaseStep(state, event, region, derive=derive)
    terms = defaults.resolve(None, None)
    for task in _unanswered(state, campaign.campaign_id):
        ob = step.get(task.obligation_id)
        if ob.due_at >= campaign.deadline:
            continue  # opened at this deadline already (a repeat)
        step.cancel(ob, f"campaign extended to {campaign.deadline.isoformat()}")
        new = step.open(
            "verification_result",
            responsible=task.assignee,
            counterpart=task.counterpart,
            days=1,
            terms=terms,
            ref=task.task_id,
            due_at=campaign.deadline,
            obligation_id=f"verification_result:{task.task_id}:{campaign.deadline:%Y%m%dT%H%M}",
        )
        _replace_task(step, task, obligation_id=new.obligation_id)
    return step.state, step.out


def close(
    state: CaseState,
    event: CampaignClosed,
    campaign_id: str,
    *,
    region: str,
    derive: bool = True,
) -> tuple[CaseState, list[Derived]]:
    step = case_state.CaseStep(state, event, region, derive=derive)
    for task in _unanswered(state, campaign_id):
        ob = step.get(task.obligation_id)
        if not ob.closed:
            step.cancel(ob, "campaign closed before an answer")
        _replace_task(step, task, closed=True)
    return step.state, step.out


def _unanswered(state: CaseState, campaign_id: str) -> list[Task]:
    return [
        t for t in state.tasks if t.campaign_id == campaign_id and t.result is None and not t.closed
    ]


def _replace_task(step: case_state.CaseStep, task: Task, **changes: object) -> None:
    new = task.evolve(**changes)
    step.update(tasks=tuple(new if t.task_id == task.task_id else t for t in step.state.tasks))


# --- answers ---------------------------------------------------------------------------------


def apply_answer(
    step: case_state.CaseStep,
    event: VerificationResultReported | RecordsSplit,
    book: AgreementBook,
    defaults: Defaults,
) -> None:
    task = next((t for t in step.state.tasks if t.task_id == event.task_id), None)
    if task is None:
        return  # no such task on this case: remembered, nothing to apply
    if isinstance(event, RecordsSplit):
        _split(step, task, event)
        return
    if task.result is not None or case_state.acting_county(event) != task.assignee:
        return  # answered already, or not the assignee's to answer
    ob = step.get(task.obligation_id)
    if not ob.closed:
        step.fulfil(ob)
    _replace_task(step, task, result=event.result)
    _apply_result(step, task, event, book, defaults)


def _apply_result(
    step: case_state.CaseStep,
    task: Task,
    event: VerificationResultReported,
    book: AgreementBook,
    defaults: Defaults,
) -> None:
    county = task.assignee
    state = step.state
    if event.result == "present":
        step.update(status="active")
        if task.check == "lost_contact":
            # The destination found them: that is the arrival the outflow waited for.
            step.fulfil_if(step.find("arrival_registration", county))
            case_moves.register(step, county, step.cause_id)
            step.update(pending_outflow=None, destination=county, owner=county)
        elif task.check == "unmatched_arrival":
            step.fulfil_if(step.find("origin_confirmation", county))
            step.update(pending_inflow=None)
    elif event.result == "moved_on" and event.moved_to is not None:
        case_moves.handover(step, county, event.moved_to, book, defaults)
    elif event.result == "returned_home":
        home = state.origin or county
        case_moves.close_left_duties(step, county)
        case_moves.leave(step, county)
        step.update(destination=None, owner=home, pending_outflow=None, status="active")
    elif event.result == "not_found":
        step.fulfil_if(step.find("arrival_registration", county))
        case_moves.leave(step, county)
        step.update(status="lost_contact", pending_outflow=None)
    elif event.result == "deceased":
        for ob in step.state.open_obligations():
            step.cancel(ob, "the person died")
        for county_ in {r.county for r in step.state.registrations if r.active}:
            case_moves.leave(step, county_)
        step.update(status="closed", pending_outflow=None, pending_inflow=None)
    elif event.result == "duplicate" and event.duplicate_of is not None:
        _merge(step, task, event.duplicate_of)


def _merge(step: case_state.CaseStep, task: Task, keep: str) -> None:
    records = step.state.registrations
    if task.record_id is None or not any(r.record_id == keep for r in records):
        return
    step.update(
        registrations=tuple(
            r.evolve(active=False, merged_into=keep, merged_by=task.task_id)
            if r.record_id == task.record_id and r.merged_into is None
            else r
            for r in records
        )
    )


def _split(step: case_state.CaseStep, task: Task, event: RecordsSplit) -> None:
    step.update(
        registrations=tuple(
            r.evolve(active=True, merged_into=None, merged_by=None)
            if r.merged_by == task.task_id and r.merged_into == event.merged_into
            else r
            for r in step.state.registrations
        )
    )


# --- progress ----------------------------------------------------------------------------------


def progress(
    cases: Iterable[CaseState], campaign: Campaign, now: dt.datetime
) -> tuple[ProgressFigure, ...]:
    """Per assignee county and kind: assigned, answered, overdue (unanswered past due)."""
    assigned: Counter[tuple[str, CheckKind]] = Counter()
    answered: Counter[tuple[str, CheckKind]] = Counter()
    overdue: Counter[tuple[str, CheckKind]] = Counter()
    for case in cases:
        obligations = {o.obligation_id: o for o in case.obligations}
        for task in case.tasks:
            if task.campaign_id != campaign.campaign_id:
                continue
            key = (task.assignee, task.check)
            assigned[key] += 1
            if task.result is not None:
                answered[key] += 1
            elif not task.closed and obligations[task.obligation_id].due_at < now:
                overdue[key] += 1
    return tuple(
        ProgressFigure(
            county=county,
            check=check,
            assigned=n,
            answered=answered[(county, check)],
            overdue=overdue[(county, check)],
        )
        for (county, check), n in sorted(assigned.items())
    )


def progress_event(
    campaign: Campaign,
    figures: tuple[ProgressFigure, ...],
    *,
    tick: Envelope,
    region: str,
    partition: int,
) -> CampaignProgressPublished:
    event_id = uuid.uuid5(NAMESPACE, f"progress:{campaign.campaign_id}:{partition}:{tick.event_id}")
    return CampaignProgressPublished(
        event_id=event_id,
        schema_version=CampaignProgressPublished.SCHEMA_VERSION,
        **envelope_of(tick, region),
        campaign_id=campaign.campaign_id,
        partition=partition,
        closed=campaign.closed,
        figures=figures,
    )
