"""Batch replay of the validated topic: the cases agent's decisions, without Faust or I/O.

:class:`PartitionReplay` is :class:`agents.partition_cases.PartitionCases`, the very engine
the live cases agent feeds, with its cases in a dict and its outputs returned rather than
sent. ``tests/unit/test_replay_engine.py`` still drives the real ``CasesAgent`` (dict
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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from agents import case_rules, coverage_rules
from agents.agreement_terms import Defaults
from agents.case_rules import CaseState
from agents.partition_cases import Output, PartitionCases
from contracts import obligation_vocabulary as vocabulary
from contracts import unions
from contracts.envelope import Envelope
from streams.codec import Codec, DecodeError
from streams.event_counts import COUNTY_EVENTS, MESSAGES, counts_once
from streams.human_time import LOCAL, Zone
from streams.replay import digest as digest_module

MAX_EVENT_BYTES = 10 * 1024 * 1024  # as the cases agent's codec

__all__ = ["Output", "PartitionReplay", "Replay", "Summary"]


@dataclass
class PartitionReplay(PartitionCases):
    """One validated-topic partition's cases, rebuilt in log order. No I/O."""

    cases: dict[str, CaseState] = field(default_factory=dict)
    as_of: dt.datetime | None = None
    applied: int = 0  # events applied (whatever their effect)
    cut: bool = False  # reached an event past as_of: nothing more is applied
    first_cut: dt.datetime | None = None  # the event time of the event it stopped at

    def apply(self, event: Envelope) -> list[Output]:
        """Apply one decoded event; returns what the agent would have sent for it."""
        if self.cut:
            return []
        if self.as_of is not None and event.occurred_at > self.as_of:
            self.cut = True
            self.first_cut = event.occurred_at
            return []
        self.applied += 1
        return super().apply(event)


@dataclass(frozen=True, slots=True)
class Summary:
    events: int  # messages read (streams.event_counts)
    applied: int  # events applied (before each partition's cut)
    undecodable: int
    cases: int
    obligations: int
    counts: Mapping[str, int]  # the vocabulary's counts (contracts.obligation_vocabulary)
    clock: dt.datetime | None  # the logical clock reached: the newest tick applied
    alerts: int  # distinct alert ids raised
    coverage: Mapping[str, tuple[int, int]]  # period -> (flows, covered), region scope
    positions: Mapping[int, int]  # partition -> next offset read
    cut: tuple[int, ...]  # partitions stopped by as_of
    digest: str
    first_event: dt.datetime | None = None  # event time of the earliest event applied
    last_event: dt.datetime | None = None  # and of the newest
    county_events: int = 0  # the events among the messages, a broadcast one once

    def as_json(self, zone: Zone = LOCAL) -> dict[str, Any]:
        return {
            "events": self.events,
            "messages": self.events,
            "county_events": self.county_events,
            "applied": self.applied,
            "undecodable": self.undecodable,
            "cases": self.cases,
            "obligations": self.obligations,
            "counts": dict(self.counts),
            "clock": zone.iso(self.clock),
            "first_event": zone.iso(self.first_event),
            "last_event": zone.iso(self.last_event),
            "alerts": self.alerts,
            "coverage": {
                period: {"flows": f, "covered": c, "ratio": coverage_rules.ratio(f, c)}
                for period, (f, c) in sorted(self.coverage.items())
            },
            "positions": {str(p): o for p, o in sorted(self.positions.items())},
            "cut_by_as_of": list(self.cut),
            "digest": self.digest,
        }

    def lines(self, zone: Zone = LOCAL) -> list[str]:
        out = [
            f"{MESSAGES} read    {self.events} ({self.county_events} {COUNTY_EVENTS}: a broadcast"
            f" event is one message per partition; {self.applied} applied, "
            f"{self.undecodable} undecodable)",
            f"cases            {self.cases}",
            f"logical clock    {zone.show(self.clock)}",
            f"obligations      {self.obligations}",
        ]
        for c in vocabulary.COUNTS:
            out.append(f"  {c.name:<17} {self.counts[c.name]:>7}  {c.zh} / {c.en}")
        out.append(f"alerts           {self.alerts}")
        for period, (flows, covered) in sorted(self.coverage.items()):
            pct = 100 * coverage_rules.ratio(flows, covered)
            out.append(f"coverage {period}  {covered}/{flows} flows covered ({pct:.1f}%)")
        out.append(f"digest           {self.digest}")
        return out


class Replay:
    """Every partition's replay; ``feed`` decodes and applies one partition's batch.

    Without ``keep_outputs`` the partitions build no derived events (``derive=False``): the
    digest and summary depend on the cases alone, and the alerts raised are the partitions'
    alert pairs.
    """

    def __init__(
        self,
        *,
        region: str,
        defaults: Defaults | None = None,
        as_of: dt.datetime | None = None,
        keep_outputs: bool = False,
    ) -> None:
        self.region = region
        self.defaults = defaults or Defaults()
        self.as_of = as_of
        self.partitions: dict[int, PartitionReplay] = {}
        self.codec: Codec[Any] = Codec(unions.CountyEvent, max_bytes=MAX_EVENT_BYTES)
        self._events: TypeAdapter[Any] = TypeAdapter(unions.CountyEvent)
        self.positions: dict[int, int] = {}
        self.read = 0
        self.county_events = 0
        self.undecodable = 0
        self.outputs: list[Output] | None = [] if keep_outputs else None
        self.first_event: dt.datetime | None = None
        self.last_event: dt.datetime | None = None

    def partition(self, number: int) -> PartitionReplay:
        replay = self.partitions.get(number)
        if replay is None:
            replay = self.partitions[number] = PartitionReplay(
                number,
                self.region,
                defaults=self.defaults,
                derive=self.outputs is not None,
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
            self.apply(replay, event)
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
        if value is not None and len(value) <= MAX_EVENT_BYTES:
            try:
                event = self._events.validate_json(value)
            except ValidationError:
                pass
            else:
                return event
        event = self.codec.decode(value).event
        return event

    def apply(self, replay: PartitionReplay, event: Envelope) -> None:
        outputs = replay.apply(event)
        if not replay.cut:
            at = event.occurred_at
            if self.first_event is None or at < self.first_event:
                self.first_event = at
            if self.last_event is None or at > self.last_event:
                self.last_event = at
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

    def summary(self) -> Summary:
        rows = self.rows()
        coverage: dict[str, tuple[int, int]] = {}
        for p in self.partitions.values():
            for period, scopes in p.coverage.periods.items():
                flows, covered = scopes.get(coverage_rules.REGION_SCOPE, [0, 0])[:2]
                old = coverage.get(period, (0, 0))
                coverage[period] = (old[0] + flows, old[1] + covered)
        clock = self.clock()
        obligations = [ob for case in self.cases() for ob in case.obligations]
        return Summary(
            events=self.read,
            applied=sum(p.applied for p in self.partitions.values()),
            undecodable=self.undecodable,
            cases=sum(len(p.cases) for p in self.partitions.values()),
            obligations=len(rows),
            counts=vocabulary.counts(obligations, clock),
            clock=clock,
            alerts=len(self.alert_ids()),
            coverage=coverage,
            positions=dict(self.positions),
            cut=tuple(sorted(n for n, p in self.partitions.items() if p.cut)),
            digest=digest_module.digest(rows),
            first_event=self.first_event,
            last_event=self.last_event,
            county_events=self.county_events,
        )
