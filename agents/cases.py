"""The cases agent: obligations between counties, on the validated topic, per partition.

Thin over :class:`agents.partition_cases.PartitionCases`, the pure engine it shares with
the audit replay. Events come in batches; each partition's events go through its engine in
log order, then the outputs are sent and acknowledged, then the changed state is written
and its changelog acknowledged (:mod:`agents.emit`), and only then is the batch done.
State lives in Faust tables keyed by ``<partition>:<...>`` so it recovers from the
changelogs with its partition:

* ``cases``: ``<p>:<person key>`` -> the person's case;
* ``case-partitions``: ``<p>:agreements`` and ``<p>:campaigns`` (the agreement and campaign
  events that changed their book, in log order), ``<p>:next_offset`` (agents.input_position)
  and ``<p>:clock`` (the newest tick whose coverage figures were published).

Everything else a partition needs is rebuilt from its cases when it is (re)assigned: the
index of cases due on the next ticks, the coverage tally, the missing-agreement alerts
already raised. A tick delivered twice fires nothing twice (each transition is recorded in
its case).

This is where repeats and reused event ids are found (the gate keeps no event ids): an
event its case or book already holds is dropped and counted as a duplicate if its content
is the same, and refused as ``event_id_reused`` with a dead letter for its validated record
if not (agents.event_ids). Every validated event is applied, a duplicate or refused.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import faust
import structlog

from agents import event_ids
from agents.agreement_terms import Defaults
from agents.batching import handling, on_revoked, partition_batches
from agents.campaign_rules import CAMPAIGN_EVENTS
from agents.case_rules import CaseState
from agents.emit import Output, Staged, StateWriter, send_all
from agents.input_position import InputPositions, position_key
from agents.partition_cases import AGREEMENT_EVENTS, PartitionCases
from agents.partition_cases import Output as Derived
from contracts import unions
from contracts.events.derived import (
    AgreementCoveragePublished,
    AlertRaised,
    CampaignProgressPublished,
)
from streams import codec as codec_module
from streams import dead_letters
from streams.codec import Codec, DecodeError
from streams.worker_metrics import WorkerMetrics

log = structlog.get_logger(__name__)


class TableCases:
    """A partition's slice of the cases table as ``CaseState``, with a batch's changes on top."""

    def __init__(self, table: Any, partition: int) -> None:
        self._table = table
        self._prefix = f"{partition}:"
        self.changed: dict[str, CaseState] = {}

    def get(self, person_key: str, /) -> CaseState | None:
        state = self.changed.get(person_key)
        if state is None:
            stored = self._table.get(self._prefix + person_key)
            state = CaseState.from_json(stored) if stored else None
        return state

    def __setitem__(self, person_key: str, state: CaseState, /) -> None:
        self.changed[person_key] = state

    def keys(self) -> list[str]:
        """Every person key of the partition (a campaign opening checks them all)."""
        held = (k[len(self._prefix) :] for k in self._table if k.startswith(self._prefix))
        return [*{*held, *self.changed}]

    def take_writes(self) -> dict[str, str]:
        writes = {self._prefix + k: v.to_json() for k, v in self.changed.items()}
        self.changed.clear()
        return writes


@dataclass(frozen=True, slots=True)
class PartitionInput:
    """One partition's events of a batch, in log order.

    ``event`` is the last Faust event among them (a persistent store files keys under its
    partition); ``next_offset`` the input offset after it, recorded last
    (agents.input_position); ``sources`` where each value is (a refused one's dead letter
    names it).
    """

    partition: int
    values: Sequence[bytes | None]
    event: Any = None
    next_offset: int | None = None
    sources: Sequence[dead_letters.Source] | None = None


# The books rebuilt from their events on load: table key suffix -> the events that change it.
BOOKS = {"agreements": AGREEMENT_EVENTS, "campaigns": CAMPAIGN_EVENTS}


class PartitionView:
    """One partition's engine, and what of it is written back to ``case-partitions``."""

    def __init__(
        self, engine: PartitionCases, store: TableCases, books: dict[str, list[str]]
    ) -> None:
        self.engine = engine
        self.store = store
        self.books = books  # book name -> the events applied to it, encoded, in log order
        self.saved = {name: len(events) for name, events in books.items()}  # in the table

    @property
    def due(self) -> dict[str, dt.datetime]:
        return self.engine.due

    @property
    def alerts(self) -> frozenset[tuple[str, str, str]]:
        return self.engine.alerts

    @property
    def last_tick(self) -> dt.datetime | None:
        return self.engine.last_tick


class CasesAgent:
    metrics: WorkerMetrics | None = None  # counting only; set by register()

    def __init__(
        self,
        app: faust.App,
        *,
        obligations: faust.TopicT,
        alerts: faust.TopicT,
        dead_letters_topic: faust.TopicT,
        region: str,
        defaults: Defaults,
    ) -> None:
        self.obligations = obligations
        self.alerts = alerts
        self.dead_letters = dead_letters_topic
        self.region = region
        self.defaults = defaults
        self.codec: Codec[Any] = Codec(unions.CountyEvent, max_bytes=10 * 1024 * 1024)
        # Values are JSON text: Faust cannot restore a plain dict value type from a changelog.
        self.cases = app.Table("cases", default=None, key_type=str, value_type=str)
        self.meta = app.Table("case-partitions", default=None, key_type=str, value_type=str)
        self.views: dict[int, PartitionView] = {}
        self.writer = StateWriter()
        # The input partitions this worker holds now (register() knows the topic); None: any.
        self.assigned: Callable[[], Collection[int] | None] = lambda: None

    def forget(self, partitions: Iterable[int]) -> None:
        """Drop in-memory views of revoked partitions; they reload if assigned again."""
        for partition in partitions:
            self.views.pop(partition, None)

    async def handle(self, value: bytes | None, partition: int, event: Any = None) -> None:
        await self.handle_batch([PartitionInput(partition, [value], event)])

    async def handle_batch(self, inputs: Sequence[PartitionInput]) -> None:
        """Apply each partition's events in log order; return once the outputs are durable.

        One wait for acks per batch, whatever the number of partitions in it. The state
        follows behind (agents.emit.StateWriter): every changed case, then each
        partition's books, clock and input position (in that order in its changelog
        partition: a durable position implies durable cases and books).
        """
        derived: list[Derived] = []
        refused: list[Output] = []
        cases: list[Staged] = []
        meta: list[Staged] = []
        for given in inputs:
            view = self._view(given.partition)
            cases_writes, meta_writes = self._apply(view, given, derived, refused)
            cases.append(Staged(given.partition, cases_writes, given.event))
            meta.append(Staged(given.partition, meta_writes, given.event))
        await send_all([*self._outputs(derived), *refused], self._sent)
        await self.writer.write((self.cases, cases), (self.meta, meta))
        for given in inputs:
            done = self.views.get(given.partition)  # None if revoked meanwhile
            if done is not None:
                done.saved = {name: len(events) for name, events in done.books.items()}

    def _apply(
        self,
        view: PartitionView,
        given: PartitionInput,
        derived: list[Derived],
        refused: list[Output],
    ) -> tuple[dict[str, str], dict[str, str]]:
        """One partition's events through its engine: the cases and meta writes they imply."""
        partition = given.partition
        engine = view.engine
        clock_before = engine.last_tick
        for index, value in enumerate(given.values):
            try:
                decoded = self.codec.decode(value).event
            except DecodeError as exc:  # the gate admitted it: only a version skew gets here
                log.error("validated_event_undecodable", partition=partition, error=str(exc))
                continue
            novelty = engine.novelty(decoded)
            if novelty == "repeat":
                self._count_duplicate(decoded, partition)
                continue
            if novelty == "reused":
                refused.append(self._refusal(decoded, given, index))
                continue
            if self.metrics is not None:
                self.metrics.events_applied.inc()
            book, campaigns = engine.book, engine.campaigns
            derived.extend(engine.apply(decoded))
            if engine.book is not book or engine.campaigns is not campaigns:  # not a repeat
                name = "agreements" if isinstance(decoded, AGREEMENT_EVENTS) else "campaigns"
                view.books[name].append(codec_module.encode(decoded).decode())
        meta: dict[str, str] = {}
        for name, events in view.books.items():
            if len(events) > view.saved[name]:
                meta[f"{partition}:{name}"] = json.dumps(events)
        if engine.last_tick is not None and engine.last_tick != clock_before:
            meta[f"{partition}:clock"] = engine.last_tick.isoformat()
        if given.next_offset is not None:
            meta[position_key(partition)] = str(given.next_offset)  # last
        return view.store.take_writes(), meta

    def _count_duplicate(self, event: Any, partition: int) -> None:
        if self.metrics is not None:
            self.metrics.duplicates.inc()
        log.info("event_duplicate", event_id=str(event.event_id), partition=partition)

    def _refusal(self, event: Any, given: PartitionInput, index: int) -> Output:
        """The dead letter of the validated record at ``index``: its id was used before."""
        if given.sources is None:
            raise ValueError("a refused event needs its source position (PartitionInput.sources)")
        source = given.sources[index]
        record = dead_letters.record(
            source,
            given.values[index],
            event_ids.REUSED,
            event_ids.reuse_reason(event, event_ids.where(event)),
            region_code=self.region,
            publisher_id=f"{self.region}/agents",
        )
        if self.metrics is not None:
            self.metrics.dead_letters.labels(event_ids.REUSED).inc()
        log.info(
            "event_dead_lettered",
            reason_code=event_ids.REUSED,
            reason=record.reason,
            partition=source.partition,
            offset=source.offset,
        )
        key = f"{source.topic}/{source.partition}".encode()
        return Output(self.dead_letters, key, codec_module.encode(record))

    def _stored(self, partition: int, name: str) -> list[str]:
        stored = self.meta.get(f"{partition}:{name}")
        return list(json.loads(stored)) if stored else []

    def _sent(self, outputs: list[Output]) -> None:
        if self.metrics is not None:
            self.metrics.sent(outputs)

    def _outputs(self, derived: Iterable[Derived]) -> list[Output]:
        outputs = []
        for e in derived:
            if isinstance(e, AlertRaised):
                outputs.append(Output(self.alerts, "-".join(e.counties).encode(), _enc(e)))
            elif isinstance(e, AgreementCoveragePublished):
                outputs.append(Output(self.alerts, e.period.encode(), _enc(e)))
            elif isinstance(e, CampaignProgressPublished):
                outputs.append(Output(self.alerts, e.campaign_id.encode(), _enc(e)))
            else:
                if self.metrics is not None:
                    self.metrics.obligation_events.labels(e.event_type).inc()
                outputs.append(Output(self.obligations, e.person_key.encode(), _enc(e)))
        return outputs

    def _view(self, partition: int) -> PartitionView:
        view = self.views.get(partition)
        if view is None:
            self._load(partition)
            view = self.views[partition]
        return view

    def _load(self, partition: int) -> None:
        """Rebuild ``partition``'s engine from the (recovered) tables, and that of every
        other partition with cases not loaded yet: one pass over the table for all of them
        (on RocksDB each pass reads every assigned partition's database)."""
        loading: dict[int, PartitionView] = {partition: self._engine(partition)}
        ours = self.assigned()
        for key, value in self.cases.items():
            p = int(key.split(":", 1)[0])
            if p in self.views or (p not in loading and ours is not None and p not in ours):
                continue  # loaded already (its engine is what is up to date), or not ours
            view = loading.get(p)
            if view is None:
                view = loading[p] = self._engine(p)
            view.engine.restore_case(CaseState.from_json(value))
        for p, view in loading.items():
            engine = view.engine
            engine.end_restore()
            engine.coverage.changed.update(engine.coverage.periods)  # republish after a restart
            self.views[p] = view
            log.info(
                "partition_loaded",
                partition=p,
                agreements=len(view.books["agreements"]),
                campaigns=len(view.books["campaigns"]),
                due=len(engine.due),
            )

    def _engine(self, partition: int) -> PartitionView:
        """A partition's engine with its books and clock, before its cases are restored."""
        store = TableCases(self.cases, partition)
        engine = PartitionCases(partition, self.region, store, defaults=self.defaults)
        books = {name: self._stored(partition, name) for name in BOOKS}
        for raw in books["agreements"]:
            engine.book = engine.book.apply(self.codec.decode(raw.encode()).event)
        for raw in books["campaigns"]:
            engine.campaigns = engine.campaigns.apply(self.codec.decode(raw.encode()).event)
        clock = self.meta.get(f"{partition}:clock")
        engine.last_tick = dt.datetime.fromisoformat(clock) if clock else None
        return PartitionView(engine, store, books)


def _enc(event: Derived) -> bytes:
    return codec_module.encode(event)


def register(
    app: faust.App,
    *,
    source: faust.TopicT,
    obligations: faust.TopicT,
    alerts: faust.TopicT,
    dead_letters_topic: faust.TopicT,
    region: str,
    defaults: Defaults,
    metrics: WorkerMetrics | None = None,
    bootstrap_servers: str,
    client_options: Mapping[str, Any] | None = None,
) -> CasesAgent:
    agent = CasesAgent(
        app,
        obligations=obligations,
        alerts=alerts,
        dead_letters_topic=dead_letters_topic,
        region=region,
        defaults=defaults,
    )
    agent.metrics = metrics
    source_name = source.get_topic_name()

    def assigned() -> set[int]:
        return {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == source_name}

    agent.assigned = assigned
    positions = InputPositions(
        agent.meta,
        source_name,
        bootstrap_servers=bootstrap_servers,
        client_options=client_options,
    )

    @app.agent(source, name="cases", concurrency=1)
    async def cases(stream: faust.StreamT[bytes]) -> None:
        async for batch in partition_batches(app, stream, positions, metrics):
            inputs = [
                PartitionInput(
                    partition,
                    [e.message.value for e in events],
                    events[-1],
                    events[-1].message.offset + 1,
                    [dead_letters.source_of(e.message) for e in events],
                )
                for partition, events in batch
            ]
            with handling(metrics, "cases"):
                await agent.handle_batch(inputs)
            if metrics is not None:
                metrics.cases_due.set(sum(len(view.due) for view in agent.views.values()))

    on_revoked(app, source_name, agent.forget, positions.forget, drain=agent.writer.drain)
    return agent
