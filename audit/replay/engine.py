"""Batch replay of the validated topic: the cases agent's decisions, without Faust or I/O.

:class:`PartitionReplay` is :class:`agents.partition_cases.PartitionCases`, the very engine
the live cases agent feeds, with its cases in a dict and its outputs returned rather than
sent. ``tests/unit/audit/test_replay_engine.py`` still drives the real ``CasesAgent`` (dict
tables, captured sends) and a ``PartitionReplay`` through the same events and requires
identical outputs and cases, so what the agent does around the engine cannot drift either.

What the agent does only because it is live is left out: nothing is sent (nor built, unless
the outputs are kept: ``derive=False``), and the state is held as ``CaseState`` objects
rather than JSON text (``from_json(to_json(s)) == s``). Events the codec would take as they
are skip its first JSON parse (:meth:`Replay.decode`).
After a restart the live agent republishes coverage figures; a replay never restarts, so
its figures are those of one uninterrupted run.

``as_of``: a partition stops at its first event with ``occurred_at > as_of`` (a tick too),
and everything after it in that partition is left unapplied: the state is what the live
agent held when its log reached that instant. An event published later with an earlier
``occurred_at`` (backdated) is therefore not included, exactly as the live agent had not
seen it at the time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from agents import assessment_rules, case_rules
from agents.assessment_state import AssessmentState
from agents.case_state import CaseState
from agents.partition_cases import DerivedEvent, PartitionCases
from audit.replay import digest as digest_module
from audit.replay import scorecards
from audit.replay.derived import Derivation
from contracts import unions
from contracts.agreement_terms import Defaults
from contracts.envelope import Envelope
from streams import topics
from streams.codec import Codec, DecodeError
from streams.event_counts import counts_once

__all__ = ["DerivedEvent", "PartitionReplay", "Replay"]


@dataclass
class PartitionReplay(PartitionCases):
    """One validated-topic partition's cases, rebuilt in log order. No I/O."""

    cases: dict[str, CaseState] = field(default_factory=dict)
    as_of: dt.datetime | None = None
    applied: int = 0  # events applied (whatever their effect)
    cut: bool = False  # reached an event past as_of: nothing more is applied
    first_cut: dt.datetime | None = None  # the event time of the event it stopped at

    def apply(self, event: Envelope) -> list[DerivedEvent]:
        """Apply one decoded event; returns what the agent would have sent for it."""
        if self.cut:
            return []
        if self.as_of is not None and event.occurred_at > self.as_of:
            self.cut = True
            self.first_cut = event.occurred_at
            return []
        self.applied += 1
        return super().apply(event)


class Replay:
    """Every partition's replay; ``feed`` decodes and applies one partition's batch.

    What it makes besides the cases, each only when asked (the derived events cost more to
    build than the decisions):

    * ``keep_outputs``: every derived event, in order (:attr:`outputs`);
    * ``derivation``: the derived events' canonical digests per derived topic and partition
      (:mod:`audit.replay.derived`), to compare with the live topics;
    * ``assess``: the assessment fold (:attr:`assessment`) of the derived events and of the
      validated events the assessment service folds (:mod:`audit.replay.scorecards`).

    With none of them the partitions build no derived events (``derive=False``): the digest
    and summary depend on the cases alone, and the alerts raised are the partitions' alert
    pairs.
    """

    def __init__(
        self,
        *,
        region: str,
        defaults: Defaults | None = None,
        as_of: dt.datetime | None = None,
        keep_outputs: bool = False,
        derivation: Derivation | None = None,
        assess: bool = False,
        max_record_bytes: int = topics.READ_LIMIT_BYTES,
    ) -> None:
        self.region = region
        self.defaults = defaults or Defaults()
        self.as_of = as_of
        self.partitions: dict[int, PartitionReplay] = {}
        self.codec: Codec[Any] = Codec(unions.CountyEvent, max_bytes=max_record_bytes)
        self.max_record_bytes = max_record_bytes
        self._events: TypeAdapter[Any] = TypeAdapter(unions.CountyEvent)
        self.positions: dict[int, int] = {}
        self.read = 0
        self.county_events = 0  # the events among the messages read, a broadcast one once
        self.undecodable = 0
        self.outputs: list[DerivedEvent] | None = [] if keep_outputs else None
        self.derivation = derivation
        self.assessment: AssessmentState | None = AssessmentState() if assess else None
        self.derive = keep_outputs or derivation is not None or assess
        self.first_event: dt.datetime | None = None
        self.last_event: dt.datetime | None = None

    def partition(self, number: int) -> PartitionReplay:
        replay = self.partitions.get(number)
        if replay is None:
            replay = self.partitions[number] = PartitionReplay(
                number,
                self.region,
                defaults=self.defaults,
                derive=self.derive,
                as_of=self.as_of,
            )
        return replay

    def feed(self, partition: int, messages: Iterable[tuple[int, bytes | None]]) -> bool:
        """Apply ``(offset, value)`` messages in offset order; True once the partition is cut."""
        replay = self.partition(partition)
        for offset, value in messages:
            if replay.cut:
                break
            self.read += 1
            try:
                event = self.decode(value)
            except DecodeError:  # the agent logs and skips these: so does the replay
                self.undecodable += 1
                self.positions[partition] = offset + 1
                continue
            if counts_once(event.event_type, partition):
                self.county_events += 1
            self.apply(replay, event, offset, value)
            if not replay.cut:
                self.positions[partition] = offset + 1
        return replay.cut

    def decode(self, value: bytes | None) -> Envelope:
        """The codec's event for ``value``, parsed once when it can be.

        For an event at its current version, all the codec does after parsing the JSON to
        check its type and version is ``validate_json`` of the same bytes: validating the
        bytes first gives that very event, for about half the cost. Whatever does not validate
        (older versions to upcast, bad input) goes through the codec, for the upcast or the
        precise ``DecodeError``. No signature is checked here or in the codec: the gate
        verified each event before writing it to the validated topic.
        """
        event: Envelope
        if value is not None and len(value) <= self.max_record_bytes:
            try:
                event = self._events.validate_json(value)
            except ValidationError:
                pass
            else:
                return event
        event = self.codec.decode(value).event
        return event

    def apply(
        self, replay: PartitionReplay, event: Envelope, offset: int = 0, value: bytes | None = None
    ) -> None:
        """Apply one decoded event read at ``offset`` (its bytes ``value``)."""
        outputs = replay.apply(event)
        if replay.cut:
            return
        at = event.occurred_at
        if self.first_event is None or at < self.first_event:
            self.first_event = at
        if self.last_event is None or at > self.last_event:
            self.last_event = at
        if self.assessment is not None:
            if scorecards.folds_input(value):
                assessment_rules.fold(self.assessment, event)
            for out in outputs:
                assessment_rules.fold(self.assessment, out)
        if self.derivation is not None and outputs:
            self.derivation.add(replay.partition, offset, event, outputs)
        if self.outputs is not None:
            self.outputs.extend(outputs)

    def alert_ids(self) -> set[str]:
        """The distinct alerts raised: one per pair a partition raised (never restored, a
        replay's pairs are exactly those it raised alerts for)."""
        return {case_rules.alert_id_of(pair) for p in self.partitions.values() for pair in p.alerts}

    def cases(self) -> list[CaseState]:
        return [case for p in self.partitions.values() for case in p.cases.values()]

    def rows(self) -> list[digest_module.ObligationRow]:
        return digest_module.rows_of_cases(self.cases())

    def clock(self) -> dt.datetime | None:
        """The logical clock the replay reached: the newest tick any partition applied."""
        ticks = [p.last_tick for p in self.partitions.values() if p.last_tick is not None]
        return max(ticks, default=None)
