"""The cases agent: obligations between counties, on the validated topic, per partition.

Thin over :mod:`agents.case_rules` (one person's case), :mod:`agents.agreement_terms` (the
agreements in force) and :mod:`agents.coverage_rules`. State lives in Faust tables keyed
by ``<partition>:<...>`` so it recovers from the changelogs with its partition:

* ``cases``: ``<p>:<person key>`` -> the person's case;
* ``case-partitions``: ``<p>:agreements`` (agreement events seen, in log order) and
  ``<p>:clock`` (the newest tick whose coverage figures were published).

Everything else a partition needs is rebuilt from its cases when it is (re)assigned: the
index of cases due on the next ticks, the coverage tally, the missing-agreement alerts
already raised. Nothing is kept in two tables that a crash could leave disagreeing:
outputs are acknowledged before state is written (:mod:`agents.emit`), and a tick
delivered twice fires nothing twice (each transition is recorded in its case).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import faust
import structlog
from mode.types.signals import BaseSignalT

from agents import case_rules, coverage_rules
from agents.agreement_terms import AgreementBook, Defaults
from agents.case_rules import CaseState, Derived
from agents.emit import Output, send_all
from contracts import unions
from contracts.envelope import Envelope
from contracts.events.agreements import AgreementAmended, AgreementRevoked, AgreementSigned
from contracts.events.clock import ClockTicked
from contracts.events.derived import AlertRaised
from contracts.events.migration import PersonEvent
from streams import codec as codec_module
from streams.codec import Codec, DecodeError
from streams.worker_metrics import WorkerMetrics

log = structlog.get_logger(__name__)

AGREEMENT_EVENTS = (AgreementSigned, AgreementAmended, AgreementRevoked)


@dataclass
class PartitionView:
    """What one partition's agent knows beyond single cases, loaded from the tables."""

    book: AgreementBook = field(default_factory=AgreementBook)
    agreements: list[str] = field(default_factory=list)
    last_tick: dt.datetime | None = None
    alerts: frozenset[tuple[str, str, str]] = frozenset()
    coverage: coverage_rules.CoverageTally = field(default_factory=coverage_rules.CoverageTally)
    due: dict[str, dt.datetime] = field(default_factory=dict)  # person key -> next fire


class CasesAgent:
    metrics: WorkerMetrics | None = None  # counting only; set by register()

    def __init__(
        self,
        app: faust.App,
        *,
        obligations: faust.TopicT,
        alerts: faust.TopicT,
        region: str,
        defaults: Defaults,
    ) -> None:
        self.obligations = obligations
        self.alerts = alerts
        self.region = region
        self.defaults = defaults
        self.codec: Codec[Any] = Codec(unions.CountyEvent, max_bytes=10 * 1024 * 1024)
        # Values are JSON text: Faust cannot restore a plain dict value type from a changelog.
        self.cases = app.Table("cases", default=None, key_type=str, value_type=str)
        self.meta = app.Table("case-partitions", default=None, key_type=str, value_type=str)
        self.views: dict[int, PartitionView] = {}

    def forget(self, partitions: Iterable[int]) -> None:
        """Drop in-memory views of revoked partitions; they reload if assigned again."""
        for partition in partitions:
            self.views.pop(partition, None)

    async def handle(self, value: bytes | None, partition: int) -> None:
        try:
            event = self.codec.decode(value).event
        except DecodeError as exc:  # the gate admitted it: only a version skew gets here
            log.error("validated_event_undecodable", partition=partition, error=str(exc))
            return
        view = self._view(partition)
        if isinstance(event, AGREEMENT_EVENTS):
            self._agreement(view, event, partition)
        elif isinstance(event, ClockTicked):
            await self._tick(view, event, partition)
        elif isinstance(event, PersonEvent):
            await self._person(view, event, partition)

    def _agreement(self, view: PartitionView, event: Envelope, partition: int) -> None:
        book = view.book.apply(event)
        if book is view.book:
            return  # a re-delivery: nothing changed
        view.book = book
        view.agreements.append(codec_module.encode(event).decode())
        self.meta[f"{partition}:agreements"] = json.dumps(view.agreements)

    async def _person(self, view: PartitionView, event: PersonEvent, partition: int) -> None:
        key = f"{partition}:{event.person_key}"
        stored = self.cases.get(key)
        before = CaseState.from_json(stored) if stored else None
        after, derived = case_rules.decide(
            before, event, book=view.book, region=self.region, defaults=self.defaults
        )
        if after is before:
            return  # a re-delivery: decide() hands back the very same state
        alerts, raised = view.alerts, list[AlertRaised]()
        if len(after.flows) > (len(before.flows) if before else 0):
            alerts, raised = case_rules.missing_agreement_alerts(
                view.alerts, event, view.book, self.region
            )
        await send_all([*self._outputs(derived), *self._alert_outputs(raised)], self._sent)
        self.cases[key] = after.to_json()
        self._index(view, after)
        view.alerts = alerts
        view.coverage.add_new(before, after)

    async def _tick(self, view: PartitionView, tick: ClockTicked, partition: int) -> None:
        # No "seen this tick already" shortcut: a case whose transition was recorded will not
        # fire it again, and one whose state a crash lost fires it again with the same id.
        now = tick.occurred_at
        due = sorted((at, person) for person, at in view.due.items() if at <= now)
        updates: list[CaseState] = []
        derived: list[Derived] = []
        for _, person in due:
            state = CaseState.from_json(self.cases[f"{partition}:{person}"])
            after, out = case_rules.decide(
                state, tick, book=view.book, region=self.region, defaults=self.defaults
            )
            if out:
                updates.append(after)
                derived.extend(out)
        fresh = view.last_tick is None or now > view.last_tick
        figures = (
            coverage_rules.publish(view.coverage, tick, region=self.region, partition=partition)
            if fresh
            else []
        )
        coverage_out = [
            Output(self.alerts, f.period.encode(), codec_module.encode(f)) for f in figures
        ]
        await send_all([*self._outputs(derived), *coverage_out], self._sent)
        for state in updates:
            self.cases[f"{partition}:{state.person_key}"] = state.to_json()
            self._index(view, state)
        if fresh:
            view.coverage.changed.clear()
            view.last_tick = now
            self.meta[f"{partition}:clock"] = now.isoformat()
        if derived:
            log.info(
                "deadlines_evaluated",
                partition=partition,
                tick=now.isoformat(),
                cases=len(due),
                derived=len(derived),
            )

    def _sent(self, outputs: list[Output]) -> None:
        if self.metrics is not None:
            self.metrics.sent(outputs)

    def _outputs(self, derived: Iterable[Derived]) -> list[Output]:
        derived = list(derived)
        if self.metrics is not None:
            for e in derived:
                self.metrics.obligation_events.labels(e.event_type).inc()
        return [
            Output(self.obligations, e.person_key.encode(), codec_module.encode(e)) for e in derived
        ]

    def _alert_outputs(self, raised: Iterable[AlertRaised]) -> list[Output]:
        return [
            Output(self.alerts, "-".join(a.counties).encode(), codec_module.encode(a))
            for a in raised
        ]

    @staticmethod
    def _index(view: PartitionView, state: CaseState) -> None:
        at = case_rules.next_fire(state)
        if at is None:
            view.due.pop(state.person_key, None)
        else:
            view.due[state.person_key] = at

    def _view(self, partition: int) -> PartitionView:
        view = self.views.get(partition)
        if view is None:
            view = self.views[partition] = self._load(partition)
        return view

    def _load(self, partition: int) -> PartitionView:
        """Rebuild a partition's view from the (recovered) tables."""
        view = PartitionView()
        agreements = self.meta.get(f"{partition}:agreements")
        for raw in json.loads(agreements) if agreements else []:
            view.book = view.book.apply(self.codec.decode(raw.encode()).event)
            view.agreements.append(raw)
        clock = self.meta.get(f"{partition}:clock")
        view.last_tick = dt.datetime.fromisoformat(clock) if clock else None
        prefix = f"{partition}:"
        cases = [CaseState.from_json(v) for k, v in self.cases.items() if k.startswith(prefix)]
        for case in cases:
            self._index(view, case)
        view.coverage = coverage_rules.CoverageTally.of(cases)
        view.coverage.changed.update(view.coverage.periods)  # republish after a restart
        view.alerts = frozenset(
            (f.origin, f.destination, f.period) for c in cases for f in c.flows if not f.covered
        )
        log.info(
            "partition_loaded",
            partition=partition,
            agreements=len(view.agreements),
            due=len(view.due),
        )
        return view


def register(
    app: faust.App,
    *,
    source: faust.TopicT,
    obligations: faust.TopicT,
    alerts: faust.TopicT,
    region: str,
    defaults: Defaults,
    metrics: WorkerMetrics | None = None,
) -> CasesAgent:
    agent = CasesAgent(
        app, obligations=obligations, alerts=alerts, region=region, defaults=defaults
    )
    agent.metrics = metrics
    source_name = source.get_topic_name()

    @app.agent(source, name="cases", concurrency=1)
    async def cases(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            if metrics is None:
                await agent.handle(event.message.value, event.message.partition)
                continue
            metrics.received(app, event.message)
            with metrics.timing("cases"):
                await agent.handle(event.message.value, event.message.partition)
            metrics.cases_due.set(sum(len(view.due) for view in agent.views.values()))

    async def on_revoked(
        sender: Any, /, *args: Any, signal: BaseSignalT[Any], **kwargs: Any
    ) -> None:
        revoked = args[0] if args else kwargs.get("revoked", set())
        agent.forget(tp.partition for tp in revoked if tp.topic == source_name)

    app.on_partitions_revoked.connect(on_revoked)
    return agent
