"""Two-way assessment (双向考核): the log folded into indicators per county, period and side.
Pure: no I/O, no await, no wall clock.

``fold(state, event)`` takes the events of the obligations topic, the agreement coverage of
the alerts topic, and two kinds of validated county events (``inquiry_sent`` says which
inquiries are certificate checks, ``arrival_not_found`` which arrival registrations found no
one). It keeps one record per obligation; the figures of a period are computed from those
records on demand (:func:`tally`), so they do not depend on the order in which partitions
and topics were read, only on which events were. What each indicator counts is written in
``docs/assessment.md``; the catalog, weights and scoring are in :mod:`agents.assessment_config`.

The period of an obligation is the month and the quarter of its ``opened_at`` (UTC, event
time; :mod:`contracts.periods`). :func:`publications` decides, from the state and the
newest scorecard already published per (county, period), which scorecards to publish: a
period's first scorecards once event time is ``close_after_days`` past its end, and a new
revision whenever a county's figures for a published period change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from agents import assessment_config as cfg
from agents.assessment_config import AssessmentConfig, Side
from contracts import divisions, periods
from contracts import league as league_module
from contracts import obligation_vocabulary as vocabulary
from contracts.envelope import Envelope
from contracts.events.cooperation import InquirySent
from contracts.events.derived import (
    AgreementCoveragePublished,
    CoverageFigure,
    IndicatorValue,
    ObligationBreached,
    ObligationCancelled,
    ObligationEscalated,
    ObligationFulfilled,
    ObligationOpened,
    ScorecardPublished,
)
from contracts.events.migration import ArrivalNotFound

# Fixed forever: scorecard ids are uuid5 under it, so a re-run publishes the same ids.
NAMESPACE = uuid.UUID("9d3e5a27-41c8-5b6f-8e02-6a1f4c7b2d93")
REGION_SCOPE = "region"
OBLIGATION_OUTCOMES = (
    ObligationFulfilled,
    ObligationBreached,
    ObligationEscalated,
    ObligationCancelled,
)
# Kinds whose responsible county reveals the person's home (origin) county, and how.
_HOME_FROM_RESPONSIBLE = frozenset({"origin_confirmation", "receipt_acknowledgement"})
_HOME_FROM_COUNTERPART = frozenset({"arrival_registration"})
# Kinds whose side depends on whether the responsible county is the person's home; the
# fallback applies while no obligation has revealed the home (see docs/assessment.md).
_FALLBACK_SIDE: dict[str, Side] = {
    "inquiry_answer": "origin",  # certificates are the home county's to confirm
    "case_takeover": "destination",
    "verification_result": "destination",
}
_FIXED_SIDE: dict[str, Side] = {
    "arrival_registration": "destination",
    "handover_notice": "destination",
    "origin_confirmation": "origin",
    "receipt_acknowledgement": "origin",
}

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


# --- the fold ----------------------------------------------------------------------------------


def fold(state: AssessmentState, event: Envelope) -> AssessmentState:
    """Fold one event into ``state`` (in place, for speed) and return it."""
    event_id = str(event.event_id)
    if event_id in state.seen:
        return state
    if isinstance(event, InquirySent | ArrivalNotFound):
        state.seen.add(event_id)
        _county_event(state, event)
        return state
    if isinstance(event, AgreementCoveragePublished):
        state.seen.add(event_id)
        _advance_clock(state, event)
        _coverage(state, event)
        return state
    if isinstance(event, ObligationOpened):
        state.seen.add(event_id)
        _advance_clock(state, event)
        _opened(state, event)
        return state
    if isinstance(event, OBLIGATION_OUTCOMES):
        state.seen.add(event_id)
        _advance_clock(state, event)
        ob = state.obligations.get(event.obligation_id)
        if ob is None:  # per-person order makes this rare; keep it for when opened arrives
            state.orphans.setdefault(event.obligation_id, []).append(event)
            return state
        _outcome(state, ob, event)
        return state
    if hasattr(event, "obligation_id") or event.event_type == "verification_task_assigned":
        state.seen.add(event_id)
        _advance_clock(state, event)  # reminders and task notices: time only
    return state


def fold_all(events: Iterable[Envelope], state: AssessmentState | None = None) -> AssessmentState:
    state = state if state is not None else AssessmentState()
    for event in events:
        fold(state, event)
    return state


def _advance_clock(state: AssessmentState, event: Envelope) -> None:
    if state.clock is None or event.occurred_at > state.clock:
        state.clock = event.occurred_at
        state.clock_event = str(event.event_id)


def _opened(state: AssessmentState, e: ObligationOpened) -> None:
    if e.obligation_id in state.obligations:
        return  # the same obligation opened under another event id: keep the first
    ob = AssessedObligation(
        obligation_id=e.obligation_id,
        kind=e.kind,
        person_key=e.person_key,
        responsible=e.responsible_county,
        counterpart=e.counterpart_county,
        opened_at=e.opened_at,
        due_at=e.due_at,
        cause=str(e.causation_id) if e.causation_id else "",
        events=[str(e.event_id)],
        periods=periods_of(e.opened_at),
    )
    state.obligations[ob.obligation_id] = ob
    for period in ob.periods:
        state.by_period.setdefault(period, set()).add(ob.obligation_id)
    state.by_person.setdefault(ob.person_key, []).append(ob.obligation_id)
    if ob.cause:
        state.by_cause.setdefault(ob.cause, []).append(ob.obligation_id)
    _touch_person(state, ob.person_key, e)
    for orphan in state.orphans.pop(ob.obligation_id, []):
        _outcome(state, ob, orphan)


def _outcome(state: AssessmentState, ob: AssessedObligation, e: Envelope) -> None:
    ob.events.append(str(e.event_id))
    if isinstance(e, ObligationFulfilled):
        ob.fulfilled, ob.late = True, e.late
        ob.breached = ob.breached or e.late
        ob.fulfil_cause = str(e.causation_id) if e.causation_id else None
        if ob.fulfil_cause:
            state.by_cause.setdefault(ob.fulfil_cause, []).append(ob.obligation_id)
    elif isinstance(e, ObligationBreached):
        ob.breached = True
    elif isinstance(e, ObligationEscalated):
        ob.escalated = True
    elif isinstance(e, ObligationCancelled):
        ob.cancelled = True
    _touch_person(state, ob.person_key, e)


def _county_event(state: AssessmentState, e: InquirySent | ArrivalNotFound) -> None:
    if isinstance(e, InquirySent):
        state.inquiry_kinds[str(e.event_id)] = e.kind
    else:
        state.not_found.add(str(e.event_id))
    # Obligations opened or fulfilled by it may already be folded (the topics are read side by
    # side): their figures change now.
    for obligation_id in state.by_cause.get(str(e.event_id), []):
        _touch_person(state, state.obligations[obligation_id].person_key, e)


def _coverage(state: AssessmentState, e: AgreementCoveragePublished) -> None:
    # Each agent partition publishes its own figures (e.partition); a county's are the sum.
    key = (e.period, e.partition)
    old = state.coverage.get(key)
    if old is not None and (old.at, old.event_id) >= (e.occurred_at, str(e.event_id)):
        return  # an older publication read late: the newest stands
    figures = {f.scope: _by_side(f) for f in e.figures if f.scope != REGION_SCOPE}
    state.coverage[key] = Coverage(e.occurred_at, str(e.event_id), figures)
    before = old.figures if old else {}
    try:
        month = periods.parse(e.period, ("month",))
    except periods.PeriodError:
        return  # not a month: nothing to attribute it to
    for county in sorted(set(before) | set(figures)):
        if before.get(county) != figures.get(county):
            for period in (month.text, periods.quarter_of(month.start).text):
                _touch(state, county, period, (e.event_type, str(e.event_id), e.occurred_at))


def _by_side(f: CoverageFigure) -> SideCoverage:
    origin = None
    if f.outflows is not None and f.outflows_covered is not None:
        origin = (f.outflows, f.outflows_covered)
    destination = None
    if f.inflows is not None and f.inflows_covered is not None:
        destination = (f.inflows, f.inflows_covered)
    return {"origin": origin, "destination": destination}


def _touch_person(state: AssessmentState, person: str, e: Envelope) -> None:
    """A person's event may change every figure their obligations take part in (the home
    county, service coverage), so it touches the counties and periods of all of them."""
    cause = (e.event_type, str(e.event_id), e.occurred_at)
    for obligation_id in state.by_person.get(person, []):
        ob = state.obligations[obligation_id]
        for period in ob.periods:
            _touch(state, ob.responsible, period, cause)
            _touch(state, ob.counterpart, period, cause)


def _touch(
    state: AssessmentState, county: str, period: str, cause: tuple[str, str, dt.datetime]
) -> None:
    inside = cause[2] < period_bounds(period)[1]
    touch = state.touched.get((county, period))
    if touch is None:
        state.touched[(county, period)] = Touch(cause, cause if inside else None)
        return
    if touch.first[1] == cause[1]:
        return
    touch.count += 1
    if inside and touch.first_late is None:
        touch.first_late = cause


# --- figures -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Lineage:
    """What one indicator value is made of: units counted, obligations and events behind them."""

    numerator_units: set[str] = field(default_factory=set)
    denominator_units: set[str] = field(default_factory=set)
    numerator_obligations: set[str] = field(default_factory=set)
    denominator_obligations: set[str] = field(default_factory=set)
    numerator_events: set[str] = field(default_factory=set)
    denominator_events: set[str] = field(default_factory=set)
    numerator_count: int = 0  # counted figures (agreement coverage) rather than units
    denominator_count: int = 0

    @property
    def numerator(self) -> int:
        return len(self.numerator_units) + self.numerator_count

    @property
    def denominator(self) -> int:
        return len(self.denominator_units) + self.denominator_count


CountyFigures = dict[tuple[Side, str], Lineage]


class _Tally:
    def __init__(self, state: AssessmentState, *, lineage: bool) -> None:
        self.state = state
        self.lineage = lineage  # False: counts only (publishing needs no event lists)
        self.out: dict[str, CountyFigures] = {}
        self._homes: dict[str, str | None] = {}

    def at(self, county: str, side: Side, name: str) -> Lineage:
        figures = self.out.setdefault(county, {})
        lineage = figures.get((side, name))
        if lineage is None:
            lineage = figures[(side, name)] = Lineage()
        return lineage

    def count(
        self,
        county: str,
        side: Side,
        name: str,
        ob: AssessedObligation,
        *,
        numerator: bool,
        unit: str | None = None,
        extra: Iterable[AssessedObligation] = (),
    ) -> None:
        lineage = self.at(county, side, name)
        unit = unit or ob.obligation_id
        lineage.denominator_units.add(unit)
        if numerator:
            lineage.numerator_units.add(unit)
        if not self.lineage:
            return
        obs = [ob, *extra]
        events = self.events(obs)
        lineage.denominator_obligations.update(o.obligation_id for o in obs)
        lineage.denominator_events.update(events)
        if numerator:
            lineage.numerator_obligations.update(o.obligation_id for o in obs)
            lineage.numerator_events.update(events)

    def events(self, obs: Iterable[AssessedObligation]) -> list[str]:
        out: list[str] = []
        for ob in obs:
            out += ob.events
            if ob.kind == "inquiry_answer" and ob.cause in self.state.inquiry_kinds:
                out.append(ob.cause)
            if self.found_nobody(ob) and ob.fulfil_cause:
                out.append(ob.fulfil_cause)
        return out

    def found_nobody(self, ob: AssessedObligation) -> bool:
        return ob.fulfil_cause is not None and ob.fulfil_cause in self.state.not_found

    def home(self, person: str) -> str | None:
        """The person's home county: from the earliest obligation that reveals it."""
        if person not in self._homes:
            best: tuple[dt.datetime, str, str] | None = None
            for obligation_id in self.state.by_person.get(person, []):
                ob = self.state.obligations[obligation_id]
                if ob.kind in _HOME_FROM_RESPONSIBLE:
                    candidate = (ob.opened_at, ob.obligation_id, ob.responsible)
                elif ob.kind in _HOME_FROM_COUNTERPART:
                    candidate = (ob.opened_at, ob.obligation_id, ob.counterpart)
                else:
                    continue
                if best is None or candidate < best:
                    best = candidate
            self._homes[person] = best[2] if best else None
        return self._homes[person]

    def side(self, ob: AssessedObligation) -> Side:
        fixed = _FIXED_SIDE.get(ob.kind)
        if fixed is not None:
            return fixed
        home = self.home(ob.person_key)
        if home is None:
            return _FALLBACK_SIDE.get(ob.kind, "destination")
        return "origin" if ob.responsible == home else "destination"


def _other(side: Side) -> Side:
    return "destination" if side == "origin" else "origin"


def tally(state: AssessmentState, period: str, *, lineage: bool = True) -> dict[str, CountyFigures]:
    """Every county's indicator values for ``period``, with their lineage unless not asked."""
    t = _Tally(state, lineage=lineage)
    for obligation_id in sorted(state.by_period.get(period, ())):
        _obligation(t, state.obligations[obligation_id])
    months = set(months_in(period))
    for (month, _partition), cov in sorted(state.coverage.items()):
        if month not in months:
            continue
        for county, by_side in cov.figures.items():
            for side in cfg.SIDES:
                directed = by_side[side]
                if directed is None:
                    continue  # published before directions were counted: unknown
                flows, covered = directed
                figure = t.at(county, side, "agreement_coverage")
                figure.denominator_count += flows
                figure.numerator_count += covered
                if t.lineage:
                    figure.denominator_events.add(cov.event_id)
                    if covered:
                        figure.numerator_events.add(cov.event_id)
    return t.out


def _obligation(t: _Tally, ob: AssessedObligation) -> None:
    kind, r, c = ob.kind, ob.responsible, ob.counterpart
    side = t.side(ob)
    # Registration coverage counts acts of registering, whether or not anything is due yet.
    if kind == "arrival_registration":
        t.count(c, "origin", "registration_coverage", ob, numerator=True)
    elif kind == "origin_confirmation":
        t.count(r, "origin", "registration_coverage", ob, numerator=False)
        t.count(c, "destination", "registration_coverage", ob, numerator=True)
        _lives_at(t, ob, c)
    if not ob.settled:
        return
    if kind == "arrival_registration":
        t.count(r, side, "registration_coverage", ob, numerator=ob.fulfilled)
        t.count(r, side, "registration_timeliness", ob, numerator=ob.on_time)
        if ob.fulfilled and not t.found_nobody(ob):
            _lives_at(t, ob, r)
    elif kind in ("origin_confirmation", "case_takeover"):
        t.count(r, side, "registration_timeliness", ob, numerator=ob.on_time)
        if kind == "case_takeover" and side == "destination" and ob.fulfilled:
            _lives_at(t, ob, r)
    elif kind == "inquiry_answer":
        certificate = t.state.inquiry_kinds.get(ob.cause) == "certificate"
        name = "certificate_answers_on_time" if certificate else "inquiry_answers_on_time"
        t.count(r, side, name, ob, numerator=ob.on_time)
    elif kind == "receipt_acknowledgement":
        t.count(r, side, "receipt_rate", ob, numerator=ob.fulfilled)
    elif kind == "verification_result":
        t.count(r, side, "verification_on_time", ob, numerator=ob.on_time)
    t.count(r, side, "feedback_rate", ob, numerator=ob.fulfilled)
    t.count(r, side, "breaches", ob, numerator=ob.breached)
    t.count(r, side, "escalations", ob, numerator=ob.escalated)
    # 一地问题两地有责: the counterpart shares in a breach on its side of the flow.
    t.count(c, _other(side), "partner_breaches", ob, numerator=ob.breached)


def _lives_at(t: _Tally, arrival: AssessedObligation, county: str) -> None:
    """Service coverage: a person who came to live at ``county`` in the period counts once;
    in the numerator if ``county`` recorded any service for them (a receipt obligation)."""
    services = [
        t.state.obligations[i]
        for i in t.state.by_person.get(arrival.person_key, [])
        if t.state.obligations[i].kind == "receipt_acknowledgement"
        and t.state.obligations[i].counterpart == county
    ]
    t.count(
        county,
        "destination",
        "service_coverage",
        arrival,
        numerator=bool(services),
        unit=arrival.person_key,
        extra=services,
    )


def values(figures: CountyFigures | None) -> tuple[IndicatorValue, ...]:
    """The published form: every indicator of both sides, in catalog order (0/0 included)."""
    figures = figures or {}
    out = []
    for side in cfg.SIDES:
        for name in cfg.names(side):
            lineage = figures.get((side, name))
            numerator = lineage.numerator if lineage else 0
            denominator = lineage.denominator if lineage else 0
            out.append(
                IndicatorValue(name=name, side=side, numerator=numerator, denominator=denominator)
            )
    return tuple(out)


def as_figures(indicators: Iterable[IndicatorValue]) -> cfg.Figures:
    return {(i.side, i.name): (i.numerator, i.denominator) for i in indicators}


# --- publication -------------------------------------------------------------------------------


def closed(state: AssessmentState, period: str, config: AssessmentConfig) -> bool:
    end = period_bounds(period)[1] + dt.timedelta(days=config.close_after_days)
    return state.clock is not None and state.clock >= end


def publications(
    state: AssessmentState,
    published: Mapping[tuple[str, str], ScorecardPublished],
    config: AssessmentConfig,
    *,
    region: str,
    at_start: bool = False,
) -> list[ScorecardPublished]:
    """The scorecards to publish now: first revisions of periods that just closed, new
    revisions of (county, period)s whose figures differ from their newest one.

    Clears what it has dealt with from ``state.touched`` (the caller publishes the result).
    ``at_start``: the state was folded from the whole log, so what changed since the newest
    revision cannot be named event by event; the reason says so.
    """
    by_period: dict[str, set[str]] = {}
    for county, period in state.touched:
        by_period.setdefault(period, set()).add(county)
    out: list[ScorecardPublished] = []
    for period in sorted(by_period):
        if not closed(state, period, config):
            continue
        figures = tally(state, period, lineage=False)
        for county in sorted(by_period[period] | set(figures)):
            touch = state.touched.pop((county, period), None)
            card = _card(state, county, period, figures.get(county), published, config, region)
            if card is not None:
                out.append(_with_reason(card, published, touch, at_start))
    return out


def _card(
    state: AssessmentState,
    county: str,
    period: str,
    figures: CountyFigures | None,
    published: Mapping[tuple[str, str], ScorecardPublished],
    config: AssessmentConfig,
    region: str,
) -> ScorecardPublished | None:
    if not _assessable(county, region):
        return None
    indicators = values(figures)
    s = cfg.scores(as_figures(indicators), config)
    origin, destination, combined = s.origin, s.destination, s.combined
    previous = published.get((county, period))
    if previous is None and all(i.denominator == 0 for i in indicators):
        return None  # touched, but nothing to assess
    if previous is not None and (
        previous.indicators,
        previous.origin_score,
        previous.destination_score,
        previous.combined_score,
    ) == (indicators, origin, destination, combined):
        return None
    revision = previous.revision + 1 if previous else 1
    digest = hashlib.sha256(
        json.dumps([[i.model_dump() for i in indicators], origin, destination, combined]).encode()
    ).hexdigest()[:16]
    event_id = uuid.uuid5(NAMESPACE, f"scorecard:{county}:{period}:{revision}:{digest}")
    if state.clock is None:  # closed() held, so never; this tells the type checker
        return None
    return ScorecardPublished(
        event_id=event_id,
        schema_version=ScorecardPublished.SCHEMA_VERSION,
        occurred_at=state.clock,  # event time: never the wall clock
        recorded_at=state.clock,
        source_county=region,
        publisher_id=f"{region}/assessment",
        correlation_id=uuid.uuid5(NAMESPACE, f"scorecard:{county}:{period}"),
        causation_id=uuid.UUID(state.clock_event) if state.clock_event else None,
        county=county,
        period=period,
        revision=revision,
        reason="first publication",
        indicators=indicators,
        origin_score=origin,
        destination_score=destination,
        combined_score=combined,
    )


def _assessable(county: str, region: str) -> bool:
    """Only current county-level codes are assessed (never the region acting as one)."""
    return county != region and divisions.county(county) is not None


def _with_reason(
    card: ScorecardPublished,
    published: Mapping[tuple[str, str], ScorecardPublished],
    touch: Touch | None,
    at_start: bool,
) -> ScorecardPublished:
    previous = published.get((card.county, card.period))
    if previous is None:
        return card
    if at_start or touch is None:
        same = previous.indicators == card.indicators
        what = "scores (the weights changed)" if same else "figures"
        reason = f"recomputed at start: {what} differ from revision {previous.revision}"
        return card.model_copy(update={"reason": reason})
    cause = touch.first_late or touch.first
    label = "late event" if touch.first_late else "update"
    more = f" (+{touch.count - 1} more)" if touch.count > 1 else ""
    reason = f"{label} {cause[0]} {cause[1]} for {card.period}{more}"
    return card.model_copy(update={"reason": reason, "causation_id": uuid.UUID(cause[1])})


# --- reading the results --------------------------------------------------------------------


def standings(
    state: AssessmentState,
    period: str,
    config: AssessmentConfig,
    *,
    region: str,
    scope: league_module.Scope,
) -> league_module.League:
    """The league of ``period`` computed from the fold under ``config`` (what-if)."""
    figures = tally(state, period, lineage=False)
    rows = []
    for county in sorted(figures):
        if not _assessable(county, region):
            continue
        indicators = values(figures[county])
        if all(i.denominator == 0 for i in indicators):
            continue
        rows.append(league_module.Standing(county, cfg.scores(as_figures(indicators), config)))
    return league_module.league(rows, region=region, scope=scope)


def newest(cards: Iterable[ScorecardPublished]) -> dict[tuple[str, str], ScorecardPublished]:
    """The newest revision per (county, period)."""
    out: dict[tuple[str, str], ScorecardPublished] = {}
    for card in cards:
        key = (card.county, card.period)
        if key not in out or card.revision > out[key].revision:
            out[key] = card
    return out


def explain(state: AssessmentState, county: str, period: str, side: Side, name: str) -> Lineage:
    return tally(state, period).get(county, {}).get((side, name)) or Lineage()


def iter_obligations(state: AssessmentState, ids: Iterable[str]) -> Iterator[AssessedObligation]:
    for obligation_id in sorted(ids):
        ob = state.obligations.get(obligation_id)
        if ob is not None:
            yield ob
