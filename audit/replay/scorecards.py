"""The scorecards a replay implies, and the live scorecards topic, in one comparable form. Pure.

The assessment service's scorecards are a function of the log and the weight file: the
service folds the obligations topic, the coverage figures on the alerts topic and two kinds
of validated events (:mod:`agents.assessment`). A replay folds the same things through the
same fold (:func:`agents.assessment_rules.fold`): the derived events it makes and the
validated events it reads, chosen by the same byte test the service applies.

**Across processes.** Each replay process folds its own partitions. A person's events, the
obligations derived from them, the inquiries and arrivals they answer, and one agent
partition's coverage figures all stay on one validated partition, so the figures of two
processes' folds simply add up: every indicator counts units (obligations, persons) or
figures no two partitions share. Each process asks the service's own rule which scorecards
its fold gives (:func:`agents.assessment_rules.publications`, with every period taken as
closed, so that the rule's choice of counties and its skipping of empty cards apply), and
hands back their indicators; the sums are scored with the weight file, and only periods
closed by the merged event-time clock are kept.

**Compared.** The live side is the newest revision per (county, period). A card's
comparable form is its county, period, indicators and three scores (revision numbers, ids,
times and reasons depend on when the service happened to publish, not on the log); the
digest is the SHA-256 of those forms' JSON lines, sorted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from agents import assessment_config as cfg
from agents import assessment_figures
from agents import assessment_rules as rules
from agents.assessment import WANTED
from agents.assessment_config import AssessmentConfig
from agents.assessment_state import AssessmentState
from contracts.events.derived import IndicatorValue, ScorecardPublished
from streams import topics

# Past the end of any period the log can hold: every period counts as closed.
EVERY_PERIOD_CLOSED = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
# The validated events the service folds, by its own byte test.
FOLDED_INPUTS: tuple[bytes, ...] = WANTED[topics.VALIDATED.name] or ()

Partial = dict[tuple[str, str], tuple[IndicatorValue, ...]]  # (county, period) -> indicators


def folds_input(value: bytes | None) -> bool:
    """Whether the service would fold this validated record (decoding it first)."""
    return value is not None and any(marker in value for marker in FOLDED_INPUTS)


def partial(state: AssessmentState, config: AssessmentConfig, *, region: str) -> Partial:
    """One process's scorecard indicators, every period taken as closed. Consumes what the
    state keeps of figures changed since a publication (``touched``); its clock is kept."""
    clock = state.clock
    state.clock = EVERY_PERIOD_CLOSED
    try:
        cards = rules.publications(state, {}, config, region=region)
    finally:
        state.clock = clock
    return {(card.county, card.period): card.indicators for card in cards}


@dataclass(frozen=True, slots=True)
class Card:
    county: str
    period: str
    indicators: tuple[IndicatorValue, ...]
    origin: float | None
    destination: float | None
    combined: float | None

    def line(self) -> str:
        figures = [[i.side, i.name, i.numerator, i.denominator] for i in self.indicators]
        doc = [self.county, self.period, figures, self.origin, self.destination, self.combined]
        return json.dumps(doc, separators=(",", ":"))

    def as_json(self) -> dict[str, Any]:
        return {
            "county": self.county,
            "period": self.period,
            "origin_score": self.origin,
            "destination_score": self.destination,
            "combined_score": self.combined,
            "indicators": [i.model_dump() for i in self.indicators],
        }


def combine(
    partials: Iterable[Partial], clock: dt.datetime | None, config: AssessmentConfig
) -> list[Card]:
    """The scorecards of the whole log: the processes' indicators summed, scored under the
    weight file, for the periods closed at ``clock`` (the newest event time folded)."""
    summed: dict[tuple[str, str], list[IndicatorValue]] = {}
    for part in partials:
        for key, values in part.items():
            held = summed.get(key)
            summed[key] = list(values) if held is None else add(held, values)
    at = AssessmentState(clock=clock)
    out = []
    for (county, period), figures in sorted(summed.items()):
        if not rules.closed(at, period, config):
            continue
        indicators = tuple(figures)
        s = cfg.scores(assessment_figures.as_figures(indicators), config)
        out.append(Card(county, period, indicators, s.origin, s.destination, s.combined))
    return out


def add(held: Iterable[IndicatorValue], more: Iterable[IndicatorValue]) -> list[IndicatorValue]:
    """Two processes' indicators of one card, figure by figure (catalog order on both)."""
    out = []
    for a, b in zip(held, more, strict=True):
        if (a.side, a.name) != (b.side, b.name):
            raise ValueError(f"indicators out of step: {a.side}/{a.name} and {b.side}/{b.name}")
        out.append(
            a.model_copy(
                update={
                    "numerator": a.numerator + b.numerator,
                    "denominator": a.denominator + b.denominator,
                }
            )
        )
    return out


def of_published(cards: Iterable[ScorecardPublished]) -> list[Card]:
    """The newest revision per (county, period), comparable. A card whose every figure is
    0/0 says nothing a replay would (it publishes no empty card) and is left out."""
    out = []
    for (county, period), card in sorted(rules.newest(cards).items()):
        if all(i.denominator == 0 for i in card.indicators):
            continue
        out.append(
            Card(
                county,
                period,
                tuple(card.indicators),
                card.origin_score,
                card.destination_score,
                card.combined_score,
            )
        )
    return out


def digest(cards: Iterable[Card]) -> str:
    text = "\n".join(sorted(card.line() for card in cards))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CardDifference:
    county: str
    period: str
    replayed: Card | None
    live: Card | None

    def changes(self) -> list[str]:
        a, b = self.replayed, self.live
        if a is None or b is None:
            return []
        out = [
            f"{name} replayed={x!r} live={y!r}"
            for name, x, y in (
                ("origin_score", a.origin, b.origin),
                ("destination_score", a.destination, b.destination),
                ("combined_score", a.combined, b.combined),
            )
            if x != y
        ]
        theirs = {(i.side, i.name): i for i in b.indicators}
        for i in a.indicators:
            j = theirs.get((i.side, i.name))
            if j is None or (i.numerator, i.denominator) != (j.numerator, j.denominator):
                live = f"{j.numerator}/{j.denominator}" if j else "absent"
                out.append(
                    f"{i.name} ({i.side}) replayed={i.numerator}/{i.denominator} live={live}"
                )
        return out

    def describe(self) -> str:
        what = f"scorecard {self.county} {self.period}"
        if self.live is None:
            return f"{what}: in the replay, not on the live scorecards topic"
        if self.replayed is None:
            return f"{what}: on the live scorecards topic, not in the replay"
        return f"{what}: " + "; ".join(self.changes())

    def as_json(self) -> dict[str, Any]:
        return {
            "county": self.county,
            "period": self.period,
            "changes": self.changes(),
            "replayed": self.replayed.as_json() if self.replayed else None,
            "live": self.live.as_json() if self.live else None,
        }


def first_difference(replayed: Iterable[Card], live: Iterable[Card]) -> CardDifference | None:
    mine: Mapping[tuple[str, str], Card] = {(c.county, c.period): c for c in replayed}
    theirs: Mapping[tuple[str, str], Card] = {(c.county, c.period): c for c in live}
    for key in sorted(mine.keys() | theirs.keys()):
        a, b = mine.get(key), theirs.get(key)
        if a is None or b is None or a.line() != b.line():
            return CardDifference(key[0], key[1], a, b)
    return None
