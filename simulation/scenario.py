"""Deterministic migration scenarios: pure generation, no I/O, no wall clock.

``generate(config)`` yields :class:`SimEvent` tuples (publishing county, event class,
occurred_at, fields) in non-decreasing event time, with the region's daily clock tick at
00:00 of each day before that day's events. Person events carry ``national_id`` (a valid
GB 11643 number); the publisher turns it into the person key, so the raw number never leaves
the node. Everything follows from ``random.Random`` seeded by ``config.seed``.

Streaming, bounded memory: each person's plan is a pure function of (seed, person index),
so the generator keeps only a heap of packed integers (next event time, person, step) and
regenerates a person's plan when its next event is due; a cache of ``plan_cache`` recent
plans (about 2 KB each) saves most of that work. Memory is that cache plus about 40 bytes
per person whose plan is still running, never the events already produced.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
import math
import random
from collections import OrderedDict
from collections.abc import Iterator
from functools import cached_property

from contracts.events.agreements import AgreementSigned
from contracts.events.campaigns import CampaignOpened
from contracts.events.clock import ClockTicked
from contracts.identity import check_char
from simulation.config import (
    PERSON_INDEX_BITS,
    AnomalyRates,
    Behaviour,
    CountyRates,
    ResponseRates,
    SimEvent,
    SimulationConfig,
    add_months,
)
from simulation.geography import Geography, build_geography
from simulation.life import Life, Person, Plan, Step
from simulation.scenario_time import (
    DAY,
    DEPARTURE_WAVE_DAYS,
    INQUIRY_DAYS,
    MONTH_WEIGHT,
    RETURN_WAVE_DAYS,
    SPRING_FESTIVAL,
    office,
)

# The scenario's words, importable from here with the generator.
__all__ = [
    "INQUIRY_DAYS",
    "AnomalyRates",
    "Behaviour",
    "CountyRates",
    "ResponseRates",
    "SimEvent",
    "SimulationConfig",
    "add_months",
    "county_rates",
    "generate",
    "involved_counties",
]

MAX_STAYS = 2
_K_BITS = 7  # steps per person plan: at most 127
_MAX_STEPS = (1 << _K_BITS) - 1


def involved_counties(config: SimulationConfig) -> tuple[str, ...]:
    """Every county that can publish or be named: what the region must register first."""
    return _Scenario(config).geo.involved()


def county_rates(config: SimulationConfig) -> dict[str, CountyRates]:
    """Each county's own late and missing rates, as the generator uses them."""
    return dict(_Scenario(config).county_rates)


def generate(config: SimulationConfig) -> Iterator[SimEvent]:
    """The scenario's events in non-decreasing event time, ticks first on each day."""
    return _Scenario(config).events()


class _Scenario:
    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self.geo: Geography = build_geography(
            config.counties,
            _rng(f"liudong-geography:{config.seed}"),
            agreements_per_origin=config.agreements_per_origin,
        )
        self.horizon = config.activity_days * DAY  # new activity before this
        self.end = config.last_tick_day * DAY  # the final tick; events strictly before
        self._seed_key = (config.seed % (1 << 64)) << 32
        self._festivals = self._festival_days()

    # -- set-up -------------------------------------------------------------------------

    @cached_property
    def county_rates(self) -> dict[str, CountyRates]:
        rng = _rng(f"liudong-rates:{self.config.seed}")
        mean = self.config.rates
        low, high = 1.0 - mean.spread, 1.0 + mean.spread
        rates = {}
        for code in self.geo.involved():
            late, missing = (
                mean.late * rng.uniform(low, high),
                mean.missing * rng.uniform(low, high),
            )
            rates[code] = CountyRates(min(late, 0.6), min(missing, 0.3))
        return rates

    def _festival_days(self) -> list[int]:
        start = self.config.start.date()
        days = [(d - start).days for d in SPRING_FESTIVAL.values()]
        return sorted(d for d in days if -DEPARTURE_WAVE_DAYS < d < self.config.last_tick_day + 400)

    def _departure_weight(self, day: int) -> float:
        weight = MONTH_WEIGHT[(self.config.start + dt.timedelta(days=day)).month - 1]
        for fest in self._festivals:
            if fest - RETURN_WAVE_DAYS <= day < fest:
                weight *= 0.3
            elif fest <= day < fest + DEPARTURE_WAVE_DAYS:
                weight *= 2.0 + 4.0 * max(0.0, 1.0 - abs(day - fest - 7) / 14)
        return weight

    @cached_property
    def _first_departures(self) -> list[int]:
        """Cumulative persons by first departure day (largest remainder: exact and seedless)."""
        days = self.config.activity_days
        weights = [self._departure_weight(d) for d in range(days)]
        total = sum(weights)
        exact = [self.config.persons * w / total for w in weights]
        counts = [math.floor(x) for x in exact]
        short = self.config.persons - sum(counts)
        by_remainder = sorted(range(days), key=lambda d: (counts[d] - exact[d], d))
        for d in by_remainder[:short]:
            counts[d] += 1
        return [0, *itertools.accumulate(counts)]

    @cached_property
    def _id_permutation(self) -> tuple[int, int, int, dt.date]:
        """An affine bijection person index -> (birth date, sequence): IDs never collide."""
        latest = self.config.start.date().replace(year=self.config.start.year - 16)
        earliest = self.config.start.date().replace(year=self.config.start.year - 60)
        space = (latest - earliest).days * 999
        rng = _rng(f"liudong-ids:{self.config.seed}")
        a = rng.randrange(space // 3, space) | 1
        while math.gcd(a, space) != 1:
            a += 2
        return a, rng.randrange(space), space, earliest

    @cached_property
    def life(self) -> Life:
        return Life(self.config, self.geo, self.county_rates, self._festivals, self.horizon)

    # -- the stream ---------------------------------------------------------------------

    def events(self) -> Iterator[SimEvent]:
        config = self.config
        start = config.start
        first = self._first_departures
        heap: list[int] = []
        cache: OrderedDict[int, list[Step]] = OrderedDict()
        idx_mask = (1 << PERSON_INDEX_BITS) - 1
        for day in range(config.last_tick_day + 1):
            yield SimEvent(config.region, ClockTicked, start + dt.timedelta(days=day), {})
            if day == config.last_tick_day:
                return
            if day == 0:
                yield from self._agreements()
            if day == config.activity_days and 0 < config.campaign_days < config.tail_days:
                yield self._campaign(start + dt.timedelta(days=day))
            if day < config.activity_days:
                for idx in range(first[day], first[day + 1]):
                    steps = self._remember(cache, idx, self._plan(idx, day))
                    if steps:
                        heapq.heappush(heap, self._pack(steps[0][0], idx, 0))
            limit = (day + 1) * DAY << (PERSON_INDEX_BITS + _K_BITS)
            while heap and heap[0] < limit:
                packed = heapq.heappop(heap)
                k = packed & _MAX_STEPS
                idx = (packed >> _K_BITS) & idx_mask
                steps = cache.get(idx) or self._remember(cache, idx, self._plan(idx))
                t, county, kind, fields = steps[k]
                yield SimEvent(county, kind, start + dt.timedelta(seconds=t), fields)
                if k + 1 < len(steps):
                    heapq.heappush(heap, self._pack(steps[k + 1][0], idx, k + 1))
                else:
                    cache.pop(idx, None)

    @staticmethod
    def _pack(t: int, idx: int, k: int) -> int:
        return (((t << PERSON_INDEX_BITS) | idx) << _K_BITS) | k

    def _remember(
        self, cache: OrderedDict[int, list[Step]], idx: int, steps: list[Step]
    ) -> list[Step]:
        if self.config.plan_cache:
            if len(cache) >= self.config.plan_cache:
                cache.popitem(last=False)  # the oldest entry
            cache[idx] = steps
        return steps

    def _campaign(self, at: dt.datetime) -> SimEvent:
        return SimEvent(
            self.config.region,
            CampaignOpened,
            at,
            {
                "campaign_id": f"qingcha-{at:%Y%m%d}",
                "counties": tuple(self.geo.origins),
                "period_start": self.config.start,
                "period_end": at,
                "deadline": at + dt.timedelta(days=self.config.campaign_days),
                "checks": ("lost_contact", "unmatched_arrival", "duplicate", "stale"),
            },
        )

    def _agreements(self) -> Iterator[SimEvent]:
        """Each agreement signed by both its counties: it binds only then."""
        start = self.config.start
        for origin in self.geo.origins:
            for dest in self.geo.profiles[origin].agreement_partners:
                fields = {
                    "agreement_id": f"agr-{origin}-{dest}-{start.year}",
                    "origin_county": origin,
                    "destination_county": dest,
                    "effective_from": start,
                }
                for party in (origin, dest):
                    yield SimEvent(party, AgreementSigned, start, fields)

    # -- one person ---------------------------------------------------------------------

    def _plan(self, idx: int, day: int | None = None) -> list[Step]:
        rng = _rng(self._seed_key | idx)
        origin = self.geo.origin_draw.draw(rng)
        person = self._person(idx, origin)
        if day is None:
            day = bisect.bisect_right(self._first_departures, idx) - 1
        plan = Plan(person.national_id, self.end)
        depart: int | None = office(rng, day)
        for stay in range(MAX_STAYS):
            if depart is None:
                break
            depart = self.life.stay(plan, rng, person, depart, stay)
        plan.steps.sort(key=lambda step: step[0])  # stable: causes stay before their answers
        return plan.steps[: _MAX_STEPS + 1]

    def _person(self, idx: int, origin: str) -> Person:
        a, b, space, earliest = self._id_permutation
        x = (a * idx + b) % space
        born = earliest + dt.timedelta(days=x // 999)
        sequence = x % 999 + 1  # odd for men, even for women (GB 11643)
        first17 = f"{origin}{born:%Y%m%d}{sequence:03d}"
        return Person(idx, origin, first17 + check_char(first17), sequence % 2 == 0, born)


def _rng(seed: int | str) -> random.Random:
    return random.Random(seed)  # noqa: S311 - invented data: reproducible, not secret
