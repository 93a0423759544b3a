"""The gate: the only reader of what county nodes publish, as two policies on the runtime.

Thin by design. :class:`GatePolicy` decides each county message with
:func:`agents.gate_rules.decide` and forwards the untouched bytes to the validated topic where
:func:`streams.routing.placement` puts them (a person event on its person's partition,
whatever partition it arrived on; a broadcast copy on its own partition number), or writes a
bounded dead letter (:mod:`streams.dead_letters`). It never raises on input. Its only state,
per source partition, is the logical clock (the last tick admitted); the runtime writes it
with the input position in one record batch, so a crash keeps both or neither (a clock ahead
of its position would refuse the re-applied ticks before it as regressions).

The registry is read by :class:`streams.registry_reader.RegistryReader`, beside the gate.
A refusal that a registry change not yet read could lift (an unknown publisher, a bad
signature, a retired key) reads the registry up to its end first and is decided again; a
batch that may carry a clock tick reads it first too, so that a change written before the
tick (a rotation effective by then) applies to what follows it. :class:`RegistryGatePolicy`
dead-letters the registry changes the reader left out, each once, in order.

Counts: county-events in = forwarded + dead-lettered (``gate_counts``, logged every 10 s,
and the worker's metrics).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from agents import refusals
from agents.gate_rules import Accepted, GateLimits, Rejected, decide
from agents.registry import Registry
from contracts.publishers import gate_id
from infra.worker_metrics import WorkerMetrics
from streams import routing
from streams.codec import Codec
from streams.registry_reader import RegistryReader
from streams.runtime import Output, Record, Refresh, State
from streams.runtime.kafka_sink import is_too_large

log = structlog.get_logger(__name__)

# Refusals a registry change not yet read could turn into an admission: read it, decide again.
REGISTRY_CODES = frozenset({"unknown_publisher", "bad_signature", "key_retired"})
CLOCK_KEY = "clock"  # the last tick admitted on the partition, ISO 8601


@dataclass
class DeadLetters:
    """How the gate writes a refused message's dead letter, and counts it."""

    topic: str
    region: str
    counts: Counter[str]
    metrics: WorkerMetrics | None = None

    def of(self, record: Record, code: str, reason: str) -> Output:
        self.counts["dead_lettered"] += 1
        self.counts[f"reason:{code}"] += 1
        return refusals.dead_letter(
            record,
            code,
            reason,
            topic=self.topic,
            region_code=self.region,
            publisher_id=gate_id(self.region),
            metrics=self.metrics,
        )


@dataclass
class GatePolicy:
    """The county-events gate (a :class:`streams.runtime.Policy`)."""

    reader: RegistryReader[Registry]
    codec: Codec[Any]
    limits: GateLimits
    validated: str  # the validated topic's name
    validated_partitions: int
    dead: DeadLetters

    @property
    def counts(self) -> Counter[str]:
        return self.dead.counts

    def open(self, partition: int, state: State) -> GatePartition:
        stored = state.get(CLOCK_KEY)
        return GatePartition(self, state, dt.datetime.fromisoformat(stored) if stored else None)

    def close(self, partition: int) -> None:
        """Nothing is kept per partition beyond what :meth:`open` returned."""


class GatePartition:
    def __init__(self, gate: GatePolicy, state: State, clock: dt.datetime | None) -> None:
        self.gate = gate
        self.state = state
        self.clock = clock
        self._read_registry_for: int | None = None  # the offset the registry was last read for

    def before(self, records: Sequence[Record]) -> Refresh | None:
        """The registry, read up to its end before a batch that may carry a tick: a change
        written before the tick (a rotation effective by then) applies to what follows it,
        and it was written before the batch was fetched. A false match costs one read."""
        if not self.gate.reader.ready:
            return Refresh("the registry is not read yet", self.gate.reader.started)
        if any(_may_tick(r.value) for r in records):
            return Refresh("a tick: registry changes before it apply after", self.gate.reader.sync)
        return None

    def apply(self, record: Record) -> Sequence[Output]:
        gate = self.gate
        value = record.value
        decision = decide(
            value,
            codec=gate.codec,
            registry=gate.reader.registry,
            last_tick=self.clock,
            limits=gate.limits,
        )
        if isinstance(decision, Rejected):
            if decision.code in REGISTRY_CODES and self._read_registry_for != record.offset:
                raise self._read_registry(record, f"refused as {decision.code}")
            gate.counts["in"] += 1
            return [gate.dead.of(record, decision.code, decision.reason)]
        gate.counts["in"] += 1
        gate.counts["valid"] += 1
        self._admit(decision)
        # The bytes as received (the codec found them unambiguous): the signature stays
        # verifiable downstream.
        target, key = routing.placement(decision.event, record.partition, gate.validated_partitions)
        return [Output(gate.validated, key, value or b"", target)]

    def _admit(self, decision: Accepted) -> None:
        if decision.tick is not None:
            self.clock = decision.tick  # never earlier: gate_rules refuses a regression
            self.state[CLOCK_KEY] = decision.tick.isoformat()

    def _read_registry(self, record: Record, why: str) -> Refresh:
        self._read_registry_for = record.offset
        return Refresh(why, self.gate.reader.sync)

    def unsendable(self, output: Output, cause: Record, error: BaseException) -> Output | None:
        """An admitted event the validated topic refuses as too large is dead-lettered (the
        topic is smaller than LIUDONG_MAX_EVENT_BYTES admits); nothing stands in for any
        other output refused for good: the configuration must change."""
        if output.topic != self.gate.validated or not is_too_large(error):
            return None
        self.gate.counts["valid"] -= 1
        return self.gate.dead.of(
            cause, "forward_refused", f"the validated topic refused it: {error!r}"
        )


@dataclass
class RegistryGatePolicy:
    """Dead-letters what the registry reader refused, once per change, in order (a
    :class:`streams.runtime.Policy` on the registry topic's one partition). The reader
    applies every change itself; this policy only waits until it has read the record."""

    reader: RegistryReader[Registry]
    dead: DeadLetters

    def open(self, partition: int, state: State) -> RegistryGatePartition:
        return RegistryGatePartition(self)

    def close(self, partition: int) -> None:
        """Nothing is kept per partition."""


class RegistryGatePartition:
    def __init__(self, gate: RegistryGatePolicy) -> None:
        self.gate = gate

    def before(self, records: Sequence[Record]) -> Refresh | None:
        return None  # each record waits for the reader alone (apply)

    def apply(self, record: Record) -> Sequence[Output]:
        reader = self.gate.reader
        if not reader.read_past(record.offset):
            raise Refresh(
                "the registry reader has not read it yet",
                functools.partial(reader.wait_past, record.offset),
            )
        refused = reader.refusal(record.offset)
        return [] if refused is None else [self.gate.dead.of(record, *refused)]

    def unsendable(self, output: Output, cause: Record, error: BaseException) -> Output | None:
        return None  # a dead letter the broker refuses for good: the configuration must change


def _may_tick(value: bytes | None) -> bool:
    return value is not None and b"clock_ticked" in value
