"""Builders for the case-rule tests: real county codes, events in event time, no I/O."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypeVar

from agents.case_rules import decide
from agents.case_state import CaseState, Derived
from contracts.agreement_terms import AgreementBook, Defaults
from contracts.envelope import Envelope
from contracts.events.campaigns import VerificationTaskAssigned
from contracts.events.clock import ClockTicked
from contracts.events.derived import AlertRaised
from contracts.events.migration import PersonEvent

E = TypeVar("E", bound=Envelope)

REGION = "610900"  # 安康市 as the region
HANBIN = "610902"  # 汉滨区, origin
HANYIN = "610921"  # 汉阴县
BAOAN = "440306"  # 深圳市宝安区, destination
YANTA = "610113"  # 西安市雁塔区, next destination
T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
PERSON = "cd" * 32
_IDS = uuid.UUID("0e3c1a52-8d0e-4d3b-9f3e-1a2b3c4d5e6f")


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def make(
    cls: type[E],
    *,
    county: str,
    at: dt.datetime,
    publisher: str | None = None,
    person: bool = True,
    **fields: Any,
) -> E:
    """An unsigned event at its current version; ids derived from the inputs, so repeatable."""
    event_id = uuid.uuid5(
        _IDS, f"{cls.__name__}:{county}:{at.isoformat()}:{sorted(fields.items())}"
    )
    extra: dict[str, Any] = {"person_key": PERSON} if person else {}
    return cls.model_validate(
        {
            "event_id": event_id,
            "schema_version": cls.SCHEMA_VERSION,
            "occurred_at": at,
            "recorded_at": at,
            "source_county": county,
            "publisher_id": publisher or f"{county}/node",
            "correlation_id": event_id,
            **extra,
            **fields,
        }
    )


def tick(at: dt.datetime) -> ClockTicked:
    return make(ClockTicked, county=REGION, at=at, publisher=f"{REGION}/clock", person=False)


def run(
    events: list[PersonEvent | ClockTicked],
    *,
    book: AgreementBook | None = None,
    defaults: Defaults | None = None,
    state: CaseState | None = None,
) -> tuple[CaseState, list[Derived]]:
    """Feed events in order to one case; the final state and every event derived."""
    out: list[Derived] = []
    for event in events:
        state, derived = decide(
            state,
            event,
            book=book or AgreementBook(),
            region=REGION,
            defaults=defaults or Defaults(),
        )
        out.extend(derived)
    assert state is not None
    return state, out


def kinds(derived: list[Derived]) -> list[tuple[str, str]]:
    """(event type, obligation id's kind) for each derived event, in order."""
    return [
        (d.event_type, d.obligation_id.split(":")[0])
        for d in derived
        if not isinstance(d, VerificationTaskAssigned | AlertRaised)
    ]
