"""One partition's cases, driven event by event. Pure: no I/O, no Faust, no await.

The live cases agent (:mod:`agents.cases`) and the audit replay (:mod:`audit.replay`)
both feed their partition's events through :meth:`PartitionCases.apply`, so they cannot
drift apart: they differ only in where cases are kept (a Faust table, or a dict) and in
what happens to the outputs (sent to Kafka, or collected).

* agreement events: ``AgreementBook.apply`` (a book handed back unchanged is a repeat);
* person events: ``case_rules.decide``; if the case recorded a new flow,
  ``case_rules.missing_agreement_alerts``; then the due index (``case_rules.next_fire``)
  and the coverage tally (``CoverageTally.add_new``);
* ticks: ``decide`` on every case whose ``next_fire <= tick``, in ``(next_fire, person)``
  order; on a fresh tick (later than the last one) ``coverage_rules.publish`` and the
  tally's ``changed`` cleared, then the progress of each campaign whose tasks changed;
* campaign events: ``CampaignBook.apply``; an opening checks every case of the partition
  (in person-key order) for tasks, an extension or closing changes the campaign's tasks.

With ``derive=False`` the same decisions are made and the same state kept, but no output is
built (a replay that keeps none): ``apply`` returns nothing.

An event applied before changes nothing (its id is in its case or its book). Whether it is
a repeat or an id reused on other content, :meth:`PartitionCases.novelty` says, without
changing anything: the live agent asks it first, to count repeats and refuse reuses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from agents import campaign_progress, campaign_rules, case_rules, coverage_rules
from agents.campaign_findings import CampaignRules
from agents.case_state import CaseState, Derived
from contracts import event_ids
from contracts.agreement_terms import AgreementBook, Defaults
from contracts.campaign_book import CAMPAIGN_EVENTS, CampaignBook
from contracts.envelope import Envelope
from contracts.events.agreements import AgreementAmended, AgreementRevoked, AgreementSigned
from contracts.events.campaigns import CampaignClosed, CampaignExtended, CampaignOpened
from contracts.events.clock import ClockTicked
from contracts.events.derived import (
    AgreementCoveragePublished,
    AlertRaised,
    CampaignProgressPublished,
)
from contracts.events.migration import PersonEvent

AGREEMENT_EVENTS = (AgreementSigned, AgreementAmended, AgreementRevoked)

DerivedEvent = Derived | AlertRaised | AgreementCoveragePublished | CampaignProgressPublished


class CaseStore(Protocol):
    """Where a partition's cases live, by person key (a dict will do)."""

    def get(self, person_key: str, /) -> CaseState | None: ...

    def __setitem__(self, person_key: str, state: CaseState, /) -> None: ...

    def keys(self) -> Iterable[str]: ...


@dataclass
class PartitionCases:
    partition: int
    region: str
    cases: CaseStore
    defaults: Defaults = field(default_factory=Defaults)
    book: AgreementBook = field(default_factory=AgreementBook)
    due: dict[str, dt.datetime] = field(default_factory=dict)  # person key -> next fire
    alerts: frozenset[tuple[str, str, str]] = frozenset()  # (origin, destination, period)
    coverage: coverage_rules.CoverageTally = field(default_factory=coverage_rules.CoverageTally)
    last_tick: dt.datetime | None = None
    campaigns: CampaignBook = field(default_factory=CampaignBook)
    campaign_rules: CampaignRules = field(default_factory=CampaignRules)
    task_cases: dict[str, set[str]] = field(default_factory=dict)  # campaign -> person keys
    progress_changed: set[str] = field(default_factory=set)  # campaigns to republish
    _restoring_alerts: set[tuple[str, str, str]] = field(default_factory=set, repr=False)
    # False: the same decisions and state, but no outputs built (a replay that keeps none;
    # building the derived events costs more than deciding them).
    derive: bool = True

    def restore_case(self, case: CaseState) -> None:
        """Rebuild what is derived from a stored case (the due index, coverage, alerts
        raised), one case at a time: a partition can hold hundreds of thousands of cases,
        and only what is derived from them is kept. Then :meth:`end_restore`."""
        self._index(case)
        for flow in case.flows:
            self.coverage.add(flow)
            if not flow.covered:
                self._restoring_alerts.add((flow.origin, flow.destination, flow.period))
        self._track_tasks(case)

    def end_restore(self) -> None:
        self.alerts = self.alerts | self._restoring_alerts
        self._restoring_alerts = set()
        self.progress_changed = set(self.task_cases)  # republish after a restart

    def novelty(self, event: Envelope) -> event_ids.Novelty:
        """Whether ``event`` is new here, a repeat, or an id reused on other content.

        Person events are judged by their case, agreement and campaign events by their
        book; ticks are always new (applying one twice changes nothing).
        """
        if isinstance(event, AGREEMENT_EVENTS):
            seen = self.book.events
        elif isinstance(event, CAMPAIGN_EVENTS):
            seen = self.campaigns.events
        elif isinstance(event, PersonEvent):
            case = self.cases.get(event.person_key)
            if case is None:
                return "new"
            seen = case.processed
        else:
            return "new"
        return event_ids.novelty(seen, str(event.event_id), event_ids.fingerprint(event))

    def apply(self, event: Envelope) -> list[DerivedEvent]:
        """Apply one event; returns what it derives, in the order it must be sent."""
        if isinstance(event, AGREEMENT_EVENTS):
            self.book = self.book.apply(event)  # unchanged book: a re-delivery
            return []
        if isinstance(event, ClockTicked):
            return self._tick(event)
        if isinstance(event, PersonEvent):
            return self._person(event)
        if isinstance(event, CAMPAIGN_EVENTS):
            return self._campaign(event)
        return []

    def _person(self, event: PersonEvent) -> list[DerivedEvent]:
        before = self.cases.get(event.person_key)
        after, derived = case_rules.decide(
            before,
            event,
            book=self.book,
            region=self.region,
            defaults=self.defaults,
            derive=self.derive,
        )
        if after is before:
            return []  # a re-delivery: decide() hands back the very same state
        raised: list[AlertRaised] = []
        if len(after.flows) > (len(before.flows) if before else 0):
            self.alerts, raised = case_rules.missing_agreement_alerts(
                self.alerts, event, self.book, self.region, self.derive
            )
        self._store(after)
        self.coverage.add_new(before, after)
        return [*derived, *raised]

    def _tick(self, tick: ClockTicked) -> list[DerivedEvent]:
        # No "seen this tick already" shortcut: a case whose transition was recorded will not
        # fire it again, and one whose state a crash lost fires it again with the same id.
        now = tick.occurred_at
        due = sorted((at, person) for person, at in self.due.items() if at <= now)
        out: list[DerivedEvent] = []
        for _, person in due:
            state = self.cases.get(person)
            if state is None:  # indexed from a case the store no longer holds
                self.due.pop(person, None)
                continue
            after, derived = case_rules.decide(
                state,
                tick,
                book=self.book,
                region=self.region,
                defaults=self.defaults,
                derive=self.derive,
            )
            if after is not state:  # a transition fired (each one derives an event)
                self._store(after)
                out.extend(derived)
        if self.last_tick is None or now > self.last_tick:
            if self.derive:
                out.extend(
                    coverage_rules.publish(
                        self.coverage, tick, region=self.region, partition=self.partition
                    )
                )
                out.extend(self._progress(tick))
            self.coverage.changed.clear()
            self.progress_changed.clear()
            self.last_tick = now
        return out

    def _campaign(
        self, event: CampaignOpened | CampaignExtended | CampaignClosed
    ) -> list[DerivedEvent]:
        before = self.campaigns
        self.campaigns = before.apply(event)
        if self.campaigns.campaigns is before.campaigns:
            return []  # a repeat, or nothing to change (the book may only remember the id)
        campaign = self.campaigns.campaigns[event.campaign_id]
        out: list[DerivedEvent] = []
        # One case at a time, in person-key order: an opening checks the whole partition.
        persons = (
            sorted(self.cases.keys())
            if isinstance(event, CampaignOpened)
            else sorted(self.task_cases.get(campaign.campaign_id, ()))
        )
        held = (self.cases.get(p) for p in persons)
        cases = (c for c in held if c is not None)
        for state in cases:
            if isinstance(event, CampaignOpened):
                after, derived = campaign_rules.open_tasks(
                    state,
                    event,
                    campaign,
                    book=self.book,
                    rules=self.campaign_rules,
                    region=self.region,
                    defaults=self.defaults,
                    derive=self.derive,
                )
            elif isinstance(event, CampaignExtended):
                after, derived = campaign_rules.extend(
                    state,
                    event,
                    campaign,
                    region=self.region,
                    defaults=self.defaults,
                    derive=self.derive,
                )
            else:
                after, derived = campaign_rules.close(
                    state, event, campaign.campaign_id, region=self.region, derive=self.derive
                )
            if after is not state:
                self._store(after)
                out.extend(derived)
        self.progress_changed.add(campaign.campaign_id)
        return out

    def _progress(self, tick: ClockTicked) -> list[DerivedEvent]:
        out: list[DerivedEvent] = []
        for campaign_id in sorted(self.progress_changed):
            campaign = self.campaigns.campaigns.get(campaign_id)
            persons = self.task_cases.get(campaign_id)
            if campaign is None or not persons:
                continue
            held = (self.cases.get(p) for p in sorted(persons))
            figures = campaign_progress.progress(
                (c for c in held if c is not None), campaign, tick.occurred_at
            )
            out.append(
                campaign_progress.progress_event(
                    campaign, figures, tick=tick, region=self.region, partition=self.partition
                )
            )
        return out

    def _store(self, state: CaseState) -> None:
        self.cases[state.person_key] = state
        self._index(state)
        self._track_tasks(state)

    def _track_tasks(self, state: CaseState) -> None:
        for campaign_id in {t.campaign_id for t in state.tasks}:
            self.task_cases.setdefault(campaign_id, set()).add(state.person_key)
            self.progress_changed.add(campaign_id)

    def _index(self, state: CaseState) -> None:
        at = case_rules.next_fire(state)
        if at is None:
            self.due.pop(state.person_key, None)
        else:
            self.due[state.person_key] = at
