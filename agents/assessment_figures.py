"""The two-way assessment's figures: each county's indicators for a period, tallied from
the state on demand with the obligations behind each figure (its lineage). Pure, no I/O.
What each indicator counts is written in ``docs/assessment.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from agents import assessment_config as cfg
from agents.assessment_config import Side
from agents.assessment_state import (
    AssessedObligation,
    AssessmentState,
    months_in,
)
from contracts.events.derived import (
    IndicatorValue,
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
    period_tally = _Tally(state, lineage=lineage)
    for obligation_id in sorted(state.by_period.get(period, ())):
        _obligation(period_tally, state.obligations[obligation_id])
    months = set(months_in(period))
    for (month, _partition), cov in sorted(state.coverage.items()):
        if month not in months:
            continue
        for county, by_side in cov.figures.items():
            for side in cfg.SIDES:
                directed = by_side[side]
                if directed is None:
                    continue  # a publication that did not count this direction: unknown, not 0
                flows, covered = directed
                figure = period_tally.at(county, side, "agreement_coverage")
                figure.denominator_count += flows
                figure.numerator_count += covered
                if period_tally.lineage:
                    figure.denominator_events.add(cov.event_id)
                    if covered:
                        figure.numerator_events.add(cov.event_id)
    return period_tally.out


def _obligation(period_tally: _Tally, ob: AssessedObligation) -> None:
    kind, r, c = ob.kind, ob.responsible, ob.counterpart
    side = period_tally.side(ob)
    # Registration coverage counts acts of registering, whether or not anything is due yet.
    if kind == "arrival_registration":
        period_tally.count(c, "origin", "registration_coverage", ob, numerator=True)
    elif kind == "origin_confirmation":
        period_tally.count(r, "origin", "registration_coverage", ob, numerator=False)
        period_tally.count(c, "destination", "registration_coverage", ob, numerator=True)
        _lives_at(period_tally, ob, c)
    if not ob.settled:
        return
    if kind == "arrival_registration":
        period_tally.count(r, side, "registration_coverage", ob, numerator=ob.fulfilled)
        period_tally.count(r, side, "registration_timeliness", ob, numerator=ob.on_time)
        if ob.fulfilled and not period_tally.found_nobody(ob):
            _lives_at(period_tally, ob, r)
    elif kind in ("origin_confirmation", "case_takeover"):
        period_tally.count(r, side, "registration_timeliness", ob, numerator=ob.on_time)
        if kind == "case_takeover" and side == "destination" and ob.fulfilled:
            _lives_at(period_tally, ob, r)
    elif kind == "inquiry_answer":
        certificate = period_tally.state.inquiry_kinds.get(ob.cause) == "certificate"
        name = "certificate_answers_on_time" if certificate else "inquiry_answers_on_time"
        period_tally.count(r, side, name, ob, numerator=ob.on_time)
    elif kind == "receipt_acknowledgement":
        period_tally.count(r, side, "receipt_rate", ob, numerator=ob.fulfilled)
    elif kind == "verification_result":
        period_tally.count(r, side, "verification_on_time", ob, numerator=ob.on_time)
    period_tally.count(r, side, "feedback_rate", ob, numerator=ob.fulfilled)
    period_tally.count(r, side, "breaches", ob, numerator=ob.breached)
    period_tally.count(r, side, "escalations", ob, numerator=ob.escalated)
    # 一地问题两地有责: the counterpart shares in a breach on its side of the flow.
    period_tally.count(c, _other(side), "partner_breaches", ob, numerator=ob.breached)


def _lives_at(period_tally: _Tally, arrival: AssessedObligation, county: str) -> None:
    """Service coverage: a person who came to live at ``county`` in the period counts once;
    in the numerator if ``county`` recorded any service for them (a receipt obligation)."""
    services = [
        period_tally.state.obligations[i]
        for i in period_tally.state.by_person.get(arrival.person_key, [])
        if period_tally.state.obligations[i].kind == "receipt_acknowledgement"
        and period_tally.state.obligations[i].counterpart == county
    ]
    period_tally.count(
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
