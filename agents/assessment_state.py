"""The two-way assessment's state: one record per obligation, the coverage published per
flow, the persons it touched, and the periods they fall in. Pure, no I/O. The fold that
builds it is :func:`agents.assessment_rules.fold`; the figures read from it are
:mod:`agents.assessment_figures`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field

from agents.assessment_config import Side
from contracts import obligation_vocabulary as vocabulary
from contracts import periods
from contracts.envelope import Envelope
from contracts.events.derived import (
    ObligationBreached,
    ObligationCancelled,
    ObligationEscalated,
    ObligationFulfilled,
)

# Fixed forever: scorecard ids are uuid5 under it, so a re-run publishes the same ids.
NAMESPACE = uuid.UUID("9d3e5a27-41c8-5b6f-8e02-6a1f4c7b2d93")
REGION_SCOPE = "region"
OBLIGATION_OUTCOMES = (
    ObligationFulfilled,
    ObligationBreached,
    ObligationEscalated,
    ObligationCancelled,
)


# --- periods -----------------------------------------------------------------------------------

ASSESSED_KINDS: tuple[periods.Kind, ...] = ("month", "quarter")


def periods_of(at: dt.datetime) -> tuple[str, str]:
    return periods.month_of(at).text, periods.quarter_of(at).text


def period_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """A month or quarter -> [start, end) in UTC; PeriodError (a ValueError) for anything else."""
    p = periods.parse(period, ASSESSED_KINDS)
    return p.start, p.end


def months_in(period: str) -> tuple[str, ...]:
    return tuple(m.text for m in periods.parse(period, ASSESSED_KINDS).months())


# --- state -------------------------------------------------------------------------------------


@dataclass(slots=True)
class AssessedObligation:
    """One obligation as the log tells it so far."""

    obligation_id: str
    kind: str
    person_key: str
    responsible: str
    counterpart: str
    opened_at: dt.datetime
    due_at: dt.datetime
    cause: str  # the event that opened it (an inquiry_sent's id names the inquiry's kind)
    events: list[str]  # this obligation's own events, in log order
    fulfilled: bool = False
    late: bool = False
    breached: bool = False
    escalated: bool = False
    cancelled: bool = False
    fulfil_cause: str | None = None  # the county event that fulfilled it
    periods: tuple[str, str] = ("", "")  # month and quarter of opened_at (set on open)

    @property
    def state(self) -> vocabulary.LifecycleState:
        """As far as the vocabulary's counts tell states apart (reminders change none)."""
        if self.cancelled:
            return "cancelled"
        if self.fulfilled:
            return "fulfilled"
        if self.escalated:
            return "escalated"
        return "breached" if self.breached else "opened"

    @property
    def settled(self) -> bool:
        """Decided either way (the vocabulary's ``settled``): open ones not yet due and
        cancelled ones count against nobody."""
        return vocabulary.settled(self)

    @property
    def on_time(self) -> bool:
        return vocabulary.holds("fulfilled_on_time", self)


# A county's coverage by side: (flows, covered) as origin (its outflows) and as destination
# (its inflows); None where the publication did not count directions.
SideCoverage = dict[Side, tuple[int, int] | None]


@dataclass(slots=True)
class Coverage:
    """The newest agreement coverage one agent partition published for one month."""

    at: dt.datetime
    event_id: str
    figures: dict[str, SideCoverage]  # county -> its flows and covered ones, by side


@dataclass(slots=True)
class Touch:
    """What changed a (county, period) since its last scorecard: named in the next reason."""

    first: tuple[str, str, dt.datetime]  # event type, id, occurred_at
    first_late: tuple[str, str, dt.datetime] | None = None  # first one inside the period
    count: int = 1


@dataclass(slots=True)
class AssessmentState:
    """Everything the fold keeps. Rebuilt from the log on every start (it is not stored)."""

    obligations: dict[str, AssessedObligation] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)  # event ids folded: re-deliveries are no-ops
    by_period: dict[str, set[str]] = field(default_factory=dict)  # period -> obligation ids
    by_person: dict[str, list[str]] = field(default_factory=dict)  # person -> obligation ids
    by_cause: dict[str, list[str]] = field(default_factory=dict)  # county event -> obligations
    inquiry_kinds: dict[str, str] = field(default_factory=dict)  # inquiry_sent id -> kind
    not_found: set[str] = field(default_factory=set)  # arrival_not_found event ids
    coverage: dict[tuple[str, int], Coverage] = field(default_factory=dict)  # month, agent part.
    orphans: dict[str, list[Envelope]] = field(default_factory=dict)  # outcomes before opened
    clock: dt.datetime | None = None  # the newest event time of obligations and alerts
    clock_event: str | None = None
    touched: dict[tuple[str, str], Touch] = field(default_factory=dict)

    def digest(self) -> str:
        """A fingerprint of the folded figures (what-if must leave it unchanged)."""
        rows = sorted(
            (o.obligation_id, o.fulfilled, o.late, o.breached, o.escalated, o.cancelled)
            for o in self.obligations.values()
        )
        cov = sorted((k, v.event_id) for k, v in self.coverage.items())
        payload = json.dumps([rows, cov, sorted(self.inquiry_kinds.items())], default=str)
        return hashlib.sha256(payload.encode()).hexdigest()
