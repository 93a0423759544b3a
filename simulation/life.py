"""One person's life in a scenario: who they are, and each stay away from home as the events
the counties record (registrations, answers, inquiries, services, the way home or onwards),
each answer late or missing at its county's own rate.

Everything is drawn from the person's own ``random.Random``, in a fixed order: the same
person always lives the same life.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping
from typing import NamedTuple

from contracts.agreement_terms import URGENT_SERVICES
from contracts.envelope import Envelope
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
from simulation.config import CountyRates, SimulationConfig
from simulation.geography import Geography
from simulation.scenario_time import (
    ARRIVAL_DAYS,
    DAY,
    DEPARTURE_WAVE_DAYS,
    HANDOVER_DAYS,
    INQUIRY_DAYS,
    OFFICE_CLOSE,
    OFFICE_OPEN,
    ORIGIN_CONFIRMATION_DAYS,
    RECEIPT_DAYS,
    RECEIPT_URGENT_DAYS,
    RETURN_WAVE_DAYS,
    WAVE_WEIGHTS,
    office,
    within,
)


class Person(NamedTuple):
    idx: int
    origin: str
    national_id: str
    female: bool
    born: dt.date


Step = tuple[int, str, type[Envelope], dict[str, object]]  # (t seconds, county, class, fields)


class Plan:
    """One person's steps, in causal order; sorted by time once complete."""

    __slots__ = ("end", "nid", "steps")

    def __init__(self, national_id: str, end: int) -> None:
        self.nid = national_id
        self.end = end
        self.steps: list[Step] = []

    def add(self, t: int, county: str, event: type[Envelope], /, **fields: object) -> None:
        if t < self.end:  # past the final tick nothing is published
            fields["national_id"] = self.nid
            self.steps.append((t, county, event, fields))


class Life:
    """The stays of the persons of one scenario: its geography, its counties' rates, its
    festivals and the end of new activity (``horizon``, seconds from the start)."""

    def __init__(
        self,
        config: SimulationConfig,
        geo: Geography,
        county_rates: Mapping[str, CountyRates],
        festivals: list[int],
        horizon: int,
    ) -> None:
        self.config = config
        self.geo = geo
        self.county_rates = county_rates
        self.festivals = festivals
        self.horizon = horizon

    def reply(self, rng: random.Random, county: str, t: int, due_days: int) -> int | None:
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

    def stay(
        self, plan: Plan, rng: random.Random, person: Person, t0: int, stay: int
    ) -> int | None:
        """One stay away from home; returns the next departure, if the person leaves again."""
        anomalies = self.config.anomalies
        dest = self.geo.destination(rng, person.origin)
        t_in = self._arrive(plan, rng, person, t0, dest)
        if t_in is None:
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
        return self._leave(plan, rng, person, dest, exit_at, exit_kind)

    def _arrive(
        self, plan: Plan, rng: random.Random, person: Person, t0: int, dest: str
    ) -> int | None:
        """The registrations that open a stay: announced by the origin (an outflow, then the
        destination's inflow or not-found) or not (an inflow the origin answers for). Returns
        when the person is on record at ``dest``; None when never, or disowned."""
        anomalies = self.config.anomalies
        origin = person.origin
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
            t_in = self.reply(rng, dest, t0, ARRIVAL_DAYS)
            if t_in is None:
                return None  # never registered: an outflow the campaign must chase
            if lost:
                plan.add(t_in, dest, ArrivalNotFound, origin_county=origin, destination_county=dest)
                return None
            plan.add(t_in, dest, InflowRegistered, origin_county=origin, destination_county=dest)
            return t_in
        plan.add(t0, dest, InflowRegistered, origin_county=origin, destination_county=dest)
        answer = "not_ours" if rng.random() < anomalies.not_ours else "confirmed"
        t_ans = self.reply(rng, origin, t0, ORIGIN_CONFIRMATION_DAYS)
        if t_ans is not None:
            plan.add(
                t_ans,
                origin,
                OriginAnswered,
                origin_county=origin,
                destination_county=dest,
                answer=answer,
            )
        return None if answer == "not_ours" else t0

    def _leave(
        self,
        plan: Plan,
        rng: random.Random,
        person: Person,
        dest: str,
        exit_at: int,
        exit_kind: str,
    ) -> int | None:
        """The way onwards (moved on, taken over by the third county) or home (returned,
        taken over by the origin); returns the next departure when home was the festival's
        and the person leaves again in the weeks after it."""
        origin = person.origin
        if exit_kind == "move_on":
            third = self.geo.destination(rng, origin, avoid=dest)
            plan.add(exit_at, dest, MovedOn, from_county=dest, to_county=third)
            taken = self.reply(rng, third, exit_at, HANDOVER_DAYS)
            if taken is not None:
                plan.add(taken, third, CaseTakenOver, from_county=dest, by_county=third)
            return None
        plan.add(exit_at, dest, ReturnedHome, from_county=dest, home_county=origin)
        taken = self.reply(rng, origin, exit_at, HANDOVER_DAYS)
        if taken is not None:
            plan.add(taken, origin, CaseTakenOver, from_county=dest, by_county=origin)
        if exit_kind != "festival" or rng.random() >= self.config.behaviour.redeparture:
            return None
        fest = self._festival_after(exit_at)
        offset = rng.choices(range(DEPARTURE_WAVE_DAYS), WAVE_WEIGHTS)[0]
        again = office(rng, fest + offset)
        if taken is None or taken >= again or again >= self.horizon:
            return None  # leaves only once home is on record, and within the months
        return again

    def _duplicate(
        self, plan: Plan, rng: random.Random, person: Person, dest: str, t_in: int
    ) -> None:
        other = self.geo.destination(rng, person.origin, avoid=dest)
        at = office(rng, t_in // DAY + rng.randint(3, 60))
        if at >= self.horizon:
            return
        origin = person.origin
        plan.add(at, other, InflowRegistered, origin_county=origin, destination_county=other)
        answered = self.reply(rng, origin, at, ORIGIN_CONFIRMATION_DAYS)
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
        for fest in self.festivals:
            first_day = max(fest - RETURN_WAVE_DAYS, earliest_day)
            if first_day >= fest:
                continue
            if rng.random() < behaviour.festival_return:
                days = range(first_day, min(fest, self.horizon // DAY))
                if not days:
                    continue
                weights = [d - (fest - RETURN_WAVE_DAYS) + 1 for d in days]  # up to the eve
                day = rng.choices(days, weights)[0]
                exit_at, kind = office(rng, day), "festival"
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
                exit_at, kind = office(rng, day), other
        if exit_at is not None and exit_at >= self.horizon:
            return None, ""
        return exit_at, kind

    def _festival_after(self, at: int) -> int:
        return next(f for f in self.festivals if f * DAY > at)

    def _inquiries(
        self,
        plan: Plan,
        rng: random.Random,
        person: Person,
        dest: str,
        since: int,
        until: int,
        stay: int,
    ) -> None:
        mean = self.config.behaviour.inquiries
        for n in range(_geometric(rng, mean, 3)):
            at = within(rng, since + DAY, until)
            if at is None:
                return
            asker, asked = (dest, person.origin) if rng.random() < 0.7 else (person.origin, dest)
            kind = rng.choices(("certificate", "other", "urgent"), (0.55, 0.3, 0.15))[0]
            if kind == "urgent" and not person.female:
                kind = "other"
            inquiry_id = f"inq-{person.idx}-{stay}-{n}"
            plan.add(at, asker, InquirySent, inquiry_id=inquiry_id, to_county=asked, kind=kind)
            answered = self.reply(rng, asked, at, INQUIRY_DAYS[kind])
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
        plan: Plan,
        rng: random.Random,
        person: Person,
        dest: str,
        since: int,
        until: int,
        stay: int,
    ) -> None:
        behaviour = self.config.behaviour
        years = max(0, until - since) / (365 * DAY)
        services: list[tuple[int, str]] = []
        for _ in range(_poisson(rng, behaviour.services_per_year * years, 5)):
            at = within(rng, since + DAY, until)
            if at is not None:
                fertile = person.female and 20 <= _age(person, at, self.config.start) < 50
                kind = "contraception" if fertile and rng.random() < 0.5 else "check_up"
                services.append((at, kind))
        age = _age(person, since, self.config.start)
        if person.female and 20 <= age < 40 and rng.random() < behaviour.pregnancy:
            recorded = within(rng, since + DAY, until)
            if recorded is not None:
                weeks = rng.randint(6, 30)  # of pregnancy when the destination records it
                to_birth = (40 - weeks) * 7 + rng.randint(-10, 10)
                prenatal = rng.randint(14, max(15, to_birth - 14))
                for kind, days in (("pregnancy", 0), ("prenatal", prenatal), ("birth", to_birth)):
                    at = office(rng, recorded // DAY + days) if days else recorded
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
            acknowledged = self.reply(rng, person.origin, at, due)
            if acknowledged is not None:
                plan.add(
                    acknowledged,
                    person.origin,
                    ReceiptAcknowledged,
                    service_id=service_id,
                    to_county=dest,
                )


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


def _age(person: Person, at: int, start: dt.datetime) -> float:
    return ((start.date() - person.born).days + at / DAY) / 365.25


def _reason(rng: random.Random, person: Person, at: int, start: dt.datetime) -> str:
    if _age(person, at, start) < 24 and rng.random() < 0.3:
        return "study"
    return rng.choices(("work", "business", "family", "other"), (0.78, 0.1, 0.08, 0.04))[0]
