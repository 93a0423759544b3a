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
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from contracts.envelope import Envelope
from contracts.events.agreements import AgreementSigned
from contracts.events.campaigns import CampaignOpened
from contracts.events.clock import ClockTicked
from contracts.events.cooperation import (
    InquiryAnswered,
    InquirySent,
    ReceiptAcknowledged,
    ServiceRecorded,
)
from contracts.events.migration import (
    ArrivalNotFound,
    CaseTakenOver,
    InflowRegistered,
    MovedOn,
    OriginAnswered,
    OutflowRegistered,
    ReturnedHome,
)
from contracts.identity import check_char
from simulation.geography import REGION, Geography, build_geography

DAY = 86_400
OFFICE_OPEN = 1_800  # 00:30 UTC = 08:30 Beijing time
OFFICE_CLOSE = 34_200  # 09:30 UTC = 17:30 Beijing time
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

# The rules' default deadlines, in days (contracts.agreement_terms.Defaults): what "on time" means.
ARRIVAL_DAYS = 30
ORIGIN_CONFIRMATION_DAYS = 15
INQUIRY_DAYS = {"certificate": 7, "urgent": 15, "other": 30}
RECEIPT_DAYS = 30
RECEIPT_URGENT_DAYS = 15
HANDOVER_DAYS = 30
URGENT_SERVICES = frozenset({"pregnancy", "birth"})

# 春节 (first day of the lunar year), Gregorian dates.
SPRING_FESTIVAL = {
    2020: dt.date(2020, 1, 25),
    2021: dt.date(2021, 2, 12),
    2022: dt.date(2022, 2, 1),
    2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
    2031: dt.date(2031, 1, 23),
    2032: dt.date(2032, 2, 11),
    2033: dt.date(2033, 1, 31),
    2034: dt.date(2034, 2, 19),
    2035: dt.date(2035, 2, 8),
}
RETURN_WAVE_DAYS = 14  # home-going in the two weeks before the festival
DEPARTURE_WAVE_DAYS = 21  # leaving again in the three weeks after
# Departures by month outside the festival waves (spring hiring high, winter low).
MONTH_WEIGHT = (0.8, 1.0, 1.4, 1.0, 0.9, 0.8, 1.1, 1.0, 1.0, 0.9, 0.7, 0.6)

MAX_STAYS = 2
_K_BITS = 7  # steps per person plan: at most 127
_IDX_BITS = 27  # persons: at most 134 million
_MAX_STEPS = (1 << _K_BITS) - 1


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
        if self.persons < 0 or self.persons >= 1 << _IDX_BITS:
            raise ValueError(f"persons must be between 0 and {(1 << _IDX_BITS) - 1}")
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


def involved_counties(config: SimulationConfig) -> tuple[str, ...]:
    """Every county that can publish or be named: what the region must register first."""
    return _Scenario(config).geo.involved()


def county_rates(config: SimulationConfig) -> dict[str, CountyRates]:
    """Each county's own late and missing rates, as the generator uses them."""
    return dict(_Scenario(config).county_rates)


def generate(config: SimulationConfig) -> Iterator[SimEvent]:
    """The scenario's events in non-decreasing event time, ticks first on each day."""
    return _Scenario(config).events()


def _share(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a share between 0 and 1, got {value}")


class _Person(NamedTuple):
    idx: int
    origin: str
    national_id: str
    female: bool
    born: dt.date


_Step = tuple[int, str, type[Envelope], dict[str, object]]  # (t seconds, county, class, fields)


class _Plan:
    """One person's steps, in causal order; sorted by time once complete."""

    __slots__ = ("end", "nid", "steps")

    def __init__(self, national_id: str, end: int) -> None:
        self.nid = national_id
        self.end = end
        self.steps: list[_Step] = []

    def add(self, t: int, county: str, event: type[Envelope], /, **fields: object) -> None:
        if t < self.end:  # past the final tick nothing is published
            fields["national_id"] = self.nid
            self.steps.append((t, county, event, fields))


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

    # -- the stream ---------------------------------------------------------------------

    def events(self) -> Iterator[SimEvent]:
        config = self.config
        start = config.start
        first = self._first_departures
        heap: list[int] = []
        cache: OrderedDict[int, list[_Step]] = OrderedDict()
        idx_mask = (1 << _IDX_BITS) - 1
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
            limit = (day + 1) * DAY << (_IDX_BITS + _K_BITS)
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
        return (((t << _IDX_BITS) | idx) << _K_BITS) | k

    def _remember(
        self, cache: OrderedDict[int, list[_Step]], idx: int, steps: list[_Step]
    ) -> list[_Step]:
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

    def _plan(self, idx: int, day: int | None = None) -> list[_Step]:
        rng = _rng(self._seed_key | idx)
        origin = self.geo.origin_draw.draw(rng)
        person = self._person(idx, origin)
        if day is None:
            day = bisect.bisect_right(self._first_departures, idx) - 1
        plan = _Plan(person.national_id, self.end)
        depart: int | None = _office(rng, day)
        for stay in range(MAX_STAYS):
            if depart is None:
                break
            depart = self._stay(plan, rng, person, depart, stay)
        plan.steps.sort(key=lambda step: step[0])  # stable: causes stay before their answers
        return plan.steps[: _MAX_STEPS + 1]

    def _person(self, idx: int, origin: str) -> _Person:
        a, b, space, earliest = self._id_permutation
        x = (a * idx + b) % space
        born = earliest + dt.timedelta(days=x // 999)
        sequence = x % 999 + 1  # odd for men, even for women (GB 11643)
        first17 = f"{origin}{born:%Y%m%d}{sequence:03d}"
        return _Person(idx, origin, first17 + check_char(first17), sequence % 2 == 0, born)

    def _reply(self, rng: random.Random, county: str, t: int, due_days: int) -> int | None:
        """When ``county`` answers something due ``due_days`` after ``t``; None: never."""
        rates = self.county_rates[county]
        u = rng.random()
        if u < rates.missing:
            return None
        if u < rates.missing + rates.late:
            delay = (due_days + 1 + rng.random() * 29) * DAY  # a day or more past due
        else:
            delay = max(3_600.0, due_days * 0.95 * rng.random() ** 1.6 * DAY)
        at = t + int(delay)
        day, second = divmod(at, DAY)
        return day * DAY + min(max(second, OFFICE_OPEN), OFFICE_CLOSE)

    def _stay(
        self, plan: _Plan, rng: random.Random, person: _Person, t0: int, stay: int
    ) -> int | None:
        """One stay away from home; returns the next departure, if the person leaves again."""
        anomalies = self.config.anomalies
        origin = person.origin
        dest = self.geo.destination(rng, origin)
        if rng.random() >= anomalies.unannounced:
            plan.add(
                t0,
                origin,
                OutflowRegistered,
                origin_county=origin,
                destination_county=dest,
                reason=_reason(rng, person, t0, self.config.start),
            )
            lost = rng.random() < anomalies.not_found
            t_in = self._reply(rng, dest, t0, ARRIVAL_DAYS)
            if t_in is None:
                return None  # never registered: an outflow the campaign must chase
            if lost:
                plan.add(t_in, dest, ArrivalNotFound, origin_county=origin, destination_county=dest)
                return None
            plan.add(t_in, dest, InflowRegistered, origin_county=origin, destination_county=dest)
        else:
            t_in = t0
            plan.add(t_in, dest, InflowRegistered, origin_county=origin, destination_county=dest)
            answer = "not_ours" if rng.random() < anomalies.not_ours else "confirmed"
            t_ans = self._reply(rng, origin, t_in, ORIGIN_CONFIRMATION_DAYS)
            if t_ans is not None:
                plan.add(
                    t_ans,
                    origin,
                    OriginAnswered,
                    origin_county=origin,
                    destination_county=dest,
                    answer=answer,
                )
            if answer == "not_ours":
                return None
        if rng.random() < anomalies.duplicate:
            self._duplicate(plan, rng, person, dest, t_in)
        if rng.random() < anomalies.stale:
            return None
        exit_at, exit_kind = self._exit(rng, t_in)
        until = exit_at if exit_at is not None else self.horizon
        self._inquiries(plan, rng, person, dest, t_in, until, stay)
        self._services(plan, rng, person, dest, t_in, until, stay)
        if exit_at is None:
            return None
        if exit_kind == "move_on":
            third = self.geo.destination(rng, origin, avoid=dest)
            plan.add(exit_at, dest, MovedOn, from_county=dest, to_county=third)
            taken = self._reply(rng, third, exit_at, HANDOVER_DAYS)
            if taken is not None:
                plan.add(taken, third, CaseTakenOver, from_county=dest, by_county=third)
            return None
        plan.add(exit_at, dest, ReturnedHome, from_county=dest, home_county=origin)
        taken = self._reply(rng, origin, exit_at, HANDOVER_DAYS)
        if taken is not None:
            plan.add(taken, origin, CaseTakenOver, from_county=dest, by_county=origin)
        if exit_kind != "festival" or rng.random() >= self.config.behaviour.redeparture:
            return None
        fest = self._festival_after(exit_at)
        offset = rng.choices(range(DEPARTURE_WAVE_DAYS), _WAVE_WEIGHTS)[0]
        again = _office(rng, fest + offset)
        if taken is None or taken >= again or again >= self.horizon:
            return None  # leaves only once home is on record, and within the months
        return again

    def _duplicate(
        self, plan: _Plan, rng: random.Random, person: _Person, dest: str, t_in: int
    ) -> None:
        other = self.geo.destination(rng, person.origin, avoid=dest)
        at = _office(rng, t_in // DAY + rng.randint(3, 60))
        if at >= self.horizon:
            return
        origin = person.origin
        plan.add(at, other, InflowRegistered, origin_county=origin, destination_county=other)
        answered = self._reply(rng, origin, at, ORIGIN_CONFIRMATION_DAYS)
        if answered is not None:
            plan.add(
                answered,
                origin,
                OriginAnswered,
                origin_county=origin,
                destination_county=other,
                answer="confirmed",
            )

    def _exit(self, rng: random.Random, t_in: int) -> tuple[int | None, str]:
        """When and how a stay ends: home for the festival, home, moved on, or not at all."""
        behaviour = self.config.behaviour
        earliest_day = t_in // DAY + 7
        exit_at: int | None = None
        kind = ""
        for fest in self._festivals:
            first_day = max(fest - RETURN_WAVE_DAYS, earliest_day)
            if first_day >= fest:
                continue
            if rng.random() < behaviour.festival_return:
                days = range(first_day, min(fest, self.horizon // DAY))
                if not days:
                    continue
                weights = [d - (fest - RETURN_WAVE_DAYS) + 1 for d in days]  # up to the eve
                day = rng.choices(days, weights)[0]
                exit_at, kind = _office(rng, day), "festival"
                break
        hazards = (
            ("move_on", behaviour.move_on_per_year),
            ("home", behaviour.return_home_per_year),
        )
        for other, per_year in hazards:
            if per_year <= 0:
                continue
            day = earliest_day + int(rng.expovariate(per_year) * 365)
            if day * DAY < self.horizon and (exit_at is None or day * DAY < exit_at):
                exit_at, kind = _office(rng, day), other
        if exit_at is not None and exit_at >= self.horizon:
            return None, ""
        return exit_at, kind

    def _festival_after(self, at: int) -> int:
        return next(f for f in self._festivals if f * DAY > at)

    def _inquiries(
        self,
        plan: _Plan,
        rng: random.Random,
        person: _Person,
        dest: str,
        since: int,
        until: int,
        stay: int,
    ) -> None:
        mean = self.config.behaviour.inquiries
        for n in range(_geometric(rng, mean, 3)):
            at = _within(rng, since + DAY, until)
            if at is None:
                return
            asker, asked = (dest, person.origin) if rng.random() < 0.7 else (person.origin, dest)
            kind = rng.choices(("certificate", "other", "urgent"), (0.55, 0.3, 0.15))[0]
            if kind == "urgent" and not person.female:
                kind = "other"
            inquiry_id = f"inq-{person.idx}-{stay}-{n}"
            plan.add(at, asker, InquirySent, inquiry_id=inquiry_id, to_county=asked, kind=kind)
            answered = self._reply(rng, asked, at, INQUIRY_DAYS[kind])
            if answered is not None:
                answer = rng.choices(("confirmed", "denied", "unknown"), (0.8, 0.1, 0.1))[0]
                plan.add(
                    answered,
                    asked,
                    InquiryAnswered,
                    inquiry_id=inquiry_id,
                    to_county=asker,
                    answer=answer,
                )

    def _services(
        self,
        plan: _Plan,
        rng: random.Random,
        person: _Person,
        dest: str,
        since: int,
        until: int,
        stay: int,
    ) -> None:
        behaviour = self.config.behaviour
        years = max(0, until - since) / (365 * DAY)
        services: list[tuple[int, str]] = []
        for _ in range(_poisson(rng, behaviour.services_per_year * years, 5)):
            at = _within(rng, since + DAY, until)
            if at is not None:
                fertile = person.female and 20 <= _age(person, at, self.config.start) < 50
                kind = "contraception" if fertile and rng.random() < 0.5 else "check_up"
                services.append((at, kind))
        age = _age(person, since, self.config.start)
        if person.female and 20 <= age < 40 and rng.random() < behaviour.pregnancy:
            recorded = _within(rng, since + DAY, until)
            if recorded is not None:
                weeks = rng.randint(6, 30)  # of pregnancy when the destination records it
                to_birth = (40 - weeks) * 7 + rng.randint(-10, 10)
                prenatal = rng.randint(14, max(15, to_birth - 14))
                for kind, days in (("pregnancy", 0), ("prenatal", prenatal), ("birth", to_birth)):
                    at = _office(rng, recorded // DAY + days) if days else recorded
                    if at < until:
                        services.append((at, kind))
        for n, (at, kind) in enumerate(services):
            service_id = f"svc-{person.idx}-{stay}-{n}"
            plan.add(
                at,
                dest,
                ServiceRecorded,
                service_id=service_id,
                origin_county=person.origin,
                service=kind,
            )
            due = RECEIPT_URGENT_DAYS if kind in URGENT_SERVICES else RECEIPT_DAYS
            acknowledged = self._reply(rng, person.origin, at, due)
            if acknowledged is not None:
                plan.add(
                    acknowledged,
                    person.origin,
                    ReceiptAcknowledged,
                    service_id=service_id,
                    to_county=dest,
                )


_WAVE_WEIGHTS = [1.0 + 4.0 * max(0.0, 1.0 - abs(d - 7) / 14) for d in range(DEPARTURE_WAVE_DAYS)]


def _rng(seed: int | str) -> random.Random:
    return random.Random(seed)  # noqa: S311 - invented data: reproducible, not secret


def _office(rng: random.Random, day: int) -> int:
    """An instant in office hours (Beijing time) on ``day``."""
    return day * DAY + rng.randrange(OFFICE_OPEN, OFFICE_CLOSE)


def _within(rng: random.Random, since: int, until: int) -> int | None:
    if until // DAY <= since // DAY:
        return None
    return _office(rng, rng.randrange(since // DAY, until // DAY))


def _geometric(rng: random.Random, mean: float, cap: int) -> int:
    p = mean / (1.0 + mean)
    n = 0
    while n < cap and rng.random() < p:
        n += 1
    return n


def _poisson(rng: random.Random, mean: float, cap: int) -> int:
    threshold, n, product = math.exp(-mean), 0, rng.random()
    while product > threshold and n < cap:
        n += 1
        product *= rng.random()
    return n


def _age(person: _Person, at: int, start: dt.datetime) -> float:
    return ((start.date() - person.born).days + at / DAY) / 365.25


def _reason(rng: random.Random, person: _Person, at: int, start: dt.datetime) -> str:
    if _age(person, at, start) < 24 and rng.random() < 0.3:
        return "study"
    return rng.choices(("work", "business", "family", "other"), (0.78, 0.1, 0.08, 0.04))[0]
