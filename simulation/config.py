"""What a scenario is asked for (:class:`SimulationConfig`: counties, persons, months, seed,
and the rates of answers, anomalies and behaviour) and what it yields (:class:`SimEvent`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from contracts.envelope import Envelope
from simulation.geography import REGION
from simulation.scenario_time import SPRING_FESTIVAL, START

# Persons are numbered in this many bits in the generator's heap (at most 134 million).
PERSON_INDEX_BITS = 27


class SimEvent(NamedTuple):
    """One event to publish: who publishes it, what, when, and its fields.

    Person events carry ``national_id`` in ``fields`` instead of ``person_key``.
    """

    county: str
    kind: type[Envelope]
    occurred_at: dt.datetime
    fields: dict[str, object]


@dataclass(frozen=True, slots=True)
class ResponseRates:
    """Mean shares of answers that come late or never; each county varies around them."""

    late: float = 0.12
    missing: float = 0.06
    spread: float = 0.8  # a county's rate is mean x U(1 - spread, 1 + spread)

    def __post_init__(self) -> None:
        _share("late", self.late)
        _share("missing", self.missing)
        _share("spread", self.spread)
        if self.late + self.missing > 0.9:
            raise ValueError("late + missing must leave most answers on time (<= 0.9)")


@dataclass(frozen=True, slots=True)
class AnomalyRates:
    """What clean-up and verification campaigns (清理清查) are there to find."""

    unannounced: float = 0.08  # an arrival registered with no outflow
    not_found: float = 0.02  # announced, never arrived: the destination reports not found
    duplicate: float = 0.02  # registered as arrived in a second destination too
    stale: float = 0.05  # registered, then no activity ever again
    not_ours: float = 0.1  # of unannounced arrivals, the origin disowns

    def __post_init__(self) -> None:
        for name in ("unannounced", "not_found", "duplicate", "stale", "not_ours"):
            _share(name, getattr(self, name))


@dataclass(frozen=True, slots=True)
class Behaviour:
    festival_return: float = 0.4  # away at the Spring Festival: goes home for it
    redeparture: float = 0.7  # home for the festival: leaves again in the three weeks after
    return_home_per_year: float = 0.1  # goes home at some other time (a yearly hazard)
    move_on_per_year: float = 0.12  # moves on to a third county (a yearly hazard)
    inquiries: float = 0.5  # mean inquiries (协查) per stay
    services_per_year: float = 1.5  # check-ups and contraception per person-year away
    pregnancy: float = 0.1  # a woman of 20-40 has a pregnancy recorded during a stay

    def __post_init__(self) -> None:
        for name in ("festival_return", "redeparture", "pregnancy"):
            _share(name, getattr(self, name))
        if not 0 <= self.return_home_per_year <= 12 or not 0 <= self.move_on_per_year <= 12:
            raise ValueError("return_home_per_year and move_on_per_year must be in [0, 12]")
        if not 0 <= self.inquiries <= 10 or not 0 <= self.services_per_year <= 12:
            raise ValueError("inquiries must be in [0, 10] and services_per_year in [0, 12]")


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    counties: int = 10  # origin counties: Ankang's ten first, then Shaanxi, then national
    persons: int = 1_000
    months: int = 12  # of new activity; answers continue through the tail
    seed: int = 2026
    start: dt.datetime = START  # the first tick; ticks follow at the same time each day
    tail_days: int = 60  # days of ticks (and late answers) after the last month
    region: str = REGION
    rates: ResponseRates = field(default_factory=ResponseRates)
    anomalies: AnomalyRates = field(default_factory=AnomalyRates)
    behaviour: Behaviour = field(default_factory=Behaviour)
    agreements_per_origin: int = 3
    # The region opens a clean-up campaign (清理清查) over the origin counties when new
    # activity ends, due this many days later; 0, or a tail too short for it: no campaign.
    campaign_days: int = 30
    plan_cache: int = 100_000  # plans kept between their events: about 2 KB each (vs speed)

    def __post_init__(self) -> None:
        if self.persons < 0 or self.persons >= 1 << PERSON_INDEX_BITS:
            raise ValueError(f"persons must be between 0 and {(1 << PERSON_INDEX_BITS) - 1}")
        if not 1 <= self.months <= 120:
            raise ValueError("months must be between 1 and 120")
        if not 0 <= self.tail_days <= 3650:
            raise ValueError("tail_days must be between 0 and 3650")
        if self.start.tzinfo is None:
            raise ValueError("start must carry a time zone")
        if self.agreements_per_origin < 0 or self.plan_cache < 0 or self.campaign_days < 0:
            raise ValueError(
                "agreements_per_origin, plan_cache and campaign_days must not be negative"
            )
        last = add_months(self.start, self.months) + dt.timedelta(days=self.tail_days)
        missing = [y for y in range(self.start.year, last.year + 2) if y not in SPRING_FESTIVAL]
        if missing:
            raise ValueError(
                f"no Spring Festival date for {missing[0]}: the table covers "
                f"{min(SPRING_FESTIVAL)}-{max(SPRING_FESTIVAL)}"
            )

    @property
    def activity_days(self) -> int:
        return (add_months(self.start, self.months) - self.start).days

    @property
    def last_tick_day(self) -> int:
        return self.activity_days + self.tail_days


@dataclass(frozen=True, slots=True)
class CountyRates:
    late: float
    missing: float


def add_months(at: dt.datetime, months: int) -> dt.datetime:
    month = at.month - 1 + months
    year, month = at.year + month // 12, month % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, 28))


def _share(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a share between 0 and 1, got {value}")
