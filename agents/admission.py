"""What the region makes of a stream of county messages taken in order, without Kafka.

Live, two agents judge a message: the gate decides whether it is admissible
(:func:`agents.gate_rules.decide`), then the cases agent whether it is new where its id is
remembered (:mod:`contracts.event_ids`: a repeat is dropped, an id reused on other content is
refused). Tools that judge offline (``liudong contract check``, the contract's test
vectors, the bench's pure-work ceiling) take both steps here, so they answer as the running
system would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from agents.gate_rules import Accepted, GateLimits, Rejected, decide
from agents.registry import Registry
from contracts import event_ids, unions
from streams.codec import Codec


@dataclass(frozen=True, slots=True)
class Repeat:
    """An event already admitted with the same content: dropped, as a re-delivery."""

    event_id: str


Judgement = Accepted | Rejected | Repeat


@dataclass
class Admission:
    """One partition's judge: the gate's clock and the ids each scope remembers."""

    registry: Registry
    limits: GateLimits = field(default_factory=GateLimits)
    codec: Codec[Any] = field(default_factory=lambda: Codec(unions.CountyEvent))
    clock: dt.datetime | None = None
    seen: dict[str, dict[str, str]] = field(default_factory=dict)

    def judge(self, value: bytes | None) -> Judgement:
        decision = decide(
            value,
            codec=self.codec,
            registry=self.registry,
            last_tick=self.clock,
            limits=self.limits,
        )
        if isinstance(decision, Rejected):
            return decision
        if decision.tick is not None:
            self.clock = decision.tick  # never earlier: decide refuses a regression
        event = decision.event
        scope = event_ids.scope_of(event)
        if scope is None:
            return decision
        known = self.seen.setdefault(scope, {})
        event_id = str(event.event_id)
        print_ = event_ids.fingerprint(event)
        novelty = event_ids.novelty(known, event_id, print_)
        if novelty == "repeat":
            return Repeat(event_id)
        if novelty == "reused":
            reason = event_ids.reuse_reason(event, event_ids.where(event))
            return Rejected(event_ids.REUSED, reason)
        known[event_id] = print_
        return decision
