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

from agents import assessment_config as cfg
from agents.assessment_config import AssessmentConfig, Side
from agents.assessment_figures import CountyFigures, Lineage, as_figures, tally, values
from agents.assessment_state import (
    NAMESPACE,
    OBLIGATION_OUTCOMES,
    REGION_SCOPE,
    AssessedObligation,
    AssessmentState,
    Coverage,
    SideCoverage,
    Touch,
    period_bounds,
    periods_of,
)
from contracts import divisions, periods
from contracts import league as league_module
from contracts.envelope import Envelope
from contracts.events.cooperation import InquirySent
from contracts.events.derived import (
    AgreementCoveragePublished,
    CoverageFigure,
    ObligationBreached,
    ObligationCancelled,
    ObligationEscalated,
    ObligationFulfilled,
    ObligationOpened,
    ScorecardPublished,
)
from contracts.events.migration import ArrivalNotFound

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
