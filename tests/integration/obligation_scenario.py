"""A scripted scenario for the agreements engine, and its expected outcome, computed here
from the rules table alone (not from the agents' code).

Six counties, 240 persons. Every answer is scripted as on time, late (after the due
instant, before escalation), very late (after escalation) or never. Events happen at 10:00
plus whole hours; ticks are daily at 00:00, so no event ever coincides with a deadline.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from contracts.events.agreements import AgreementSigned
from contracts.events.clock import ClockTicked
from contracts.events.cooperation import (
    InquiryAnswered,
    InquirySent,
    ReceiptAcknowledged,
    ServiceRecorded,
)
from contracts.events.migration import (
    ArrivalNotFound,
    InflowRegistered,
    OriginAnswered,
    OutflowRegistered,
)
from contracts.identity import check_char

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
ORIGINS = ("610902", "610921", "610922")
DESTINATIONS = ("440306", "610113", "441900")
COUNTIES = ORIGINS + DESTINATIONS
# (origin, destination) -> arrival days the agreement sets (None: the default applies)
AGREEMENTS = {("610902", "440306"): 20, ("610921", "610113"): None}
PERSONS = 240
TICK_DAYS = 130
ESCALATE_AFTER = 15
REMIND_FRACTION = 0.5

Answer = Literal["on_time", "late", "very_late", "never"]
ANSWERS: tuple[Answer, ...] = ("on_time", "late", "very_late", "never")
INQUIRY_DAYS = {"certificate": 7, "urgent": 15, "other": 30}


@dataclass(frozen=True)
class Expected:
    kind: str
    person: int
    responsible: str
    counterpart: str
    opened_at: dt.datetime
    due_at: dt.datetime
    answer: Answer
    urgent: bool = False

    @property
    def origin(self) -> str:
        """The person's home county (whose code the ID number starts with)."""
        return ORIGINS[self.person % 3]

    @property
    def answered_at(self) -> dt.datetime | None:
        return answer_time(self.opened_at, self.due_at, self.answer)

    def transitions(self) -> frozenset[str]:
        """What the rules table says happens, given daily ticks up to TICK_DAYS."""
        escalate_at = self.due_at + dt.timedelta(days=ESCALATE_AFTER)
        remind_at = self.opened_at + (self.due_at - self.opened_at) * REMIND_FRACTION
        ticks = [T0 + dt.timedelta(days=d) for d in range(TICK_DAYS + 1)]
        until = self.answered_at or dt.datetime.max.replace(tzinfo=dt.UTC)
        seen = {"opened"}
        if any(remind_at <= t <= self.due_at and t < until for t in ticks):
            seen.add("reminded")
        if self.answer != "on_time":
            seen.add("breached")
        if any(t > escalate_at and t < until for t in ticks):
            seen.add("escalated")
        if self.answered_at is not None:
            seen.add("fulfilled_late" if self.answer != "on_time" else "fulfilled")
        return frozenset(seen)


def answer_time(opened: dt.datetime, due: dt.datetime, answer: Answer) -> dt.datetime | None:
    if answer == "on_time":
        return opened + dt.timedelta(days=3, hours=2)
    if answer == "late":
        return due + dt.timedelta(days=3, hours=2)
    if answer == "very_late":
        return due + dt.timedelta(days=ESCALATE_AFTER + 5, hours=2)
    return None


@dataclass
class Scenario:
    """The events to publish, by publishing county, and what must come of them."""

    events: list[tuple[str, type[Any], dt.datetime, dict[str, Any]]] = field(default_factory=list)
    expected: list[Expected] = field(default_factory=list)
    flows: list[tuple[str, str, bool]] = field(default_factory=list)  # origin, dest, covered

    def add(self, county: str, cls: type[Any], at: dt.datetime, **fields: Any) -> None:
        self.events.append((county, cls, at, fields))

    def ordered(self) -> Iterator[tuple[str, type[Any], dt.datetime, dict[str, Any]]]:
        """Daily ticks first at midnight, then the day's events in time order."""
        ticks: list[tuple[str, type[Any], dt.datetime, dict[str, Any]]] = [
            ("610900", ClockTicked, T0 + dt.timedelta(days=d), {}) for d in range(TICK_DAYS + 1)
        ]
        yield from sorted(ticks + self.events, key=lambda e: (e[2], e[1] is not ClockTicked))


def national_id(person: int, origin: str) -> str:
    first17 = f"{origin}{1970 + person % 40:04d}{1 + person % 12:02d}{1 + person % 28:02d}"
    first17 += f"{person % 1000:03d}"
    return first17 + check_char(first17)


def build(seed: int = 7) -> Scenario:
    rng = random.Random(seed)
    sc = Scenario()
    for (origin, destination), days in AGREEMENTS.items():
        terms = {"arrival_days": days} if days else {}
        for party in (origin, destination):  # it binds once both have signed
            sc.add(
                party,
                AgreementSigned,
                T0,
                agreement_id=f"{origin}-{destination}",
                origin_county=origin,
                destination_county=destination,
                effective_from=T0,
                terms=terms,
            )
    for person in range(PERSONS):
        origin = ORIGINS[person % 3]
        destination = DESTINATIONS[(person // 3) % 3]
        opened = T0 + dt.timedelta(days=1 + person % 20, hours=10)
        covered = (origin, destination) in AGREEMENTS
        ids = {"national_id": national_id(person, origin)}
        if person % 4 == 3:
            _inflow_only(sc, rng, person, origin, destination, opened, ids)
        else:
            _outflow(sc, rng, person, origin, destination, opened, ids)
        sc.flows.append((origin, destination, covered))
        if person % 5 == 0:
            _inquiry(sc, rng, person, origin, destination, opened + dt.timedelta(hours=1), ids)
        if person % 6 == 0:
            _service(sc, rng, person, origin, destination, opened + dt.timedelta(hours=2), ids)
    return sc


def _outflow(
    sc: Scenario,
    rng: random.Random,
    person: int,
    origin: str,
    destination: str,
    opened: dt.datetime,
    ids: dict[str, str],
) -> None:
    sc.add(
        origin,
        OutflowRegistered,
        opened,
        origin_county=origin,
        destination_county=destination,
        **ids,
    )
    days = AGREEMENTS.get((origin, destination)) or 30
    due = opened + dt.timedelta(days=days)
    answer = rng.choice(ANSWERS)
    sc.expected.append(
        Expected("arrival_registration", person, destination, origin, opened, due, answer)
    )
    at = answer_time(opened, due, answer)
    if at is not None:
        cls = ArrivalNotFound if person % 10 == 1 else InflowRegistered
        sc.add(destination, cls, at, origin_county=origin, destination_county=destination, **ids)


def _inflow_only(
    sc: Scenario,
    rng: random.Random,
    person: int,
    origin: str,
    destination: str,
    opened: dt.datetime,
    ids: dict[str, str],
) -> None:
    sc.add(
        destination,
        InflowRegistered,
        opened,
        origin_county=origin,
        destination_county=destination,
        **ids,
    )
    due = opened + dt.timedelta(days=15)
    answer = rng.choice(ANSWERS)
    sc.expected.append(
        Expected("origin_confirmation", person, origin, destination, opened, due, answer)
    )
    at = answer_time(opened, due, answer)
    if at is not None:
        sc.add(
            origin,
            OriginAnswered,
            at,
            origin_county=origin,
            destination_county=destination,
            answer="confirmed" if person % 2 else "not_ours",
            **ids,
        )


def _inquiry(
    sc: Scenario,
    rng: random.Random,
    person: int,
    origin: str,
    destination: str,
    opened: dt.datetime,
    ids: dict[str, str],
) -> None:
    kind = ("certificate", "urgent", "other")[person % 3]
    sc.add(
        destination,
        InquirySent,
        opened,
        inquiry_id=f"q-{person}",
        to_county=origin,
        kind=kind,
        **ids,
    )
    due = opened + dt.timedelta(days=INQUIRY_DAYS[kind])
    answer = rng.choice(ANSWERS)
    sc.expected.append(
        Expected(
            "inquiry_answer",
            person,
            origin,
            destination,
            opened,
            due,
            answer,
            urgent=kind == "urgent",
        )
    )
    at = answer_time(opened, due, answer)
    if at is not None:
        sc.add(
            origin,
            InquiryAnswered,
            at,
            inquiry_id=f"q-{person}",
            to_county=destination,
            answer="confirmed",
            **ids,
        )


def _service(
    sc: Scenario,
    rng: random.Random,
    person: int,
    origin: str,
    destination: str,
    opened: dt.datetime,
    ids: dict[str, str],
) -> None:
    service = "pregnancy" if person % 12 == 0 else "check_up"
    sc.add(
        destination,
        ServiceRecorded,
        opened,
        service_id=f"s-{person}",
        origin_county=origin,
        service=service,
        **ids,
    )
    due = opened + dt.timedelta(days=15 if service == "pregnancy" else 30)
    answer = rng.choice(ANSWERS)
    sc.expected.append(
        Expected(
            "receipt_acknowledgement",
            person,
            origin,
            destination,
            opened,
            due,
            answer,
            urgent=service == "pregnancy",
        )
    )
    at = answer_time(opened, due, answer)
    if at is not None:
        sc.add(
            origin, ReceiptAcknowledged, at, service_id=f"s-{person}", to_county=destination, **ids
        )
