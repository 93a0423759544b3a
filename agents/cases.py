"""The cases agent: obligations between counties, on the validated topic, as a policy on the
runtime.

Thin over :class:`agents.partition_cases.PartitionCases`, the pure engine it shares with the
audit replay. The runtime hands each partition's records to :meth:`CasesPartition.apply` in
offset order and makes outputs, state and input position durable in its commit order
(``docs/runtime.md``). A partition's state, keys of the runtime's table ``cases``:

* ``case/<person key>``: the person's case (``CaseState`` JSON);
* ``agreement/<n>`` and ``campaign/<n>``: the n-th agreement or campaign event that changed
  its book, as received (the books are rebuilt from them, in order, when the partition is
  opened);
* ``clock``: the newest tick whose coverage figures were published.

Everything else a partition needs is rebuilt from its cases when it is opened: the index of
cases due on the next ticks, the coverage tally, the missing-agreement alerts already
raised. A tick applied twice fires nothing twice (each transition is recorded in its case).

This is where repeats and reused event ids are found (the gate keeps no event ids): an
event its case or book already holds is dropped and counted as a duplicate if its content
is the same, and refused as ``event_id_reused`` with a dead letter for its validated record
if not (:mod:`contracts.event_ids`). Counts: validated in = applied + duplicates + refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from agents import refusals
from agents.case_state import CaseState
from agents.partition_cases import AGREEMENT_EVENTS, DerivedEvent, PartitionCases
from contracts import event_ids, unions
from contracts.agreement_terms import Defaults
from contracts.campaign_book import CAMPAIGN_EVENTS
from contracts.events.derived import (
    AgreementCoveragePublished,
    AlertRaised,
    CampaignProgressPublished,
)
from contracts.publishers import agents_id
from infra.worker_metrics import WorkerMetrics
from streams import codec as codec_module
from streams import topics
from streams.codec import Codec, DecodeError
from streams.runtime import Output, Record, Refresh, State

log = structlog.get_logger(__name__)

CASE = "case/"
CLOCK_KEY = "clock"
# The books rebuilt from their events on opening: key prefix -> the events that change it.
BOOKS = {"agreement/": AGREEMENT_EVENTS, "campaign/": CAMPAIGN_EVENTS}
# Cases kept decoded between reads (an event reads its case twice: novelty, then apply).
DECODED_CASES = 4096


class StateCases:
    """A partition's cases in its runtime :class:`~streams.runtime.State`, as the engine's
    ``CaseStore``. The last cases read or written are kept decoded: every write goes through
    here, so what is kept is what the state holds."""

    def __init__(self, state: State, keep: int = DECODED_CASES) -> None:
        self.state = state
        self.keep = keep
        self._decoded: dict[str, CaseState] = {}

    def get(self, person_key: str, /) -> CaseState | None:
        case = self._decoded.get(person_key)
        if case is not None:
            return case
        stored = self.state.get(CASE + person_key)
        if stored is None:
            return None
        case = CaseState.from_json(stored)
        self._remember(person_key, case)
        return case

    def __setitem__(self, person_key: str, case: CaseState, /) -> None:
        self.state[CASE + person_key] = case.to_json()
        self._decoded.pop(person_key, None)
        self._remember(person_key, case)

    def _remember(self, person_key: str, case: CaseState) -> None:
        if len(self._decoded) >= self.keep:
            del self._decoded[next(iter(self._decoded))]  # the oldest
        self._decoded[person_key] = case

    def keys(self) -> list[str]:
        """Every person key of the partition (a campaign opening checks them all)."""
        return [key[len(CASE) :] for key, _ in self.state.items(CASE)]


@dataclass
class CasesPolicy:
    """The cases agent (a :class:`streams.runtime.Policy`); topics by their full names."""

    obligations: str
    alerts: str
    dead_letters: str
    region: str
    defaults: Defaults = field(default_factory=Defaults)
    metrics: WorkerMetrics | None = None
    codec: Codec[Any] = field(
        default_factory=lambda: Codec(unions.CountyEvent, max_bytes=topics.READ_LIMIT_BYTES)
    )
    opened: dict[int, CasesPartition] = field(default_factory=dict)

    def open(self, partition: int, state: State) -> CasesPartition:
        """The partition's engine, rebuilt from its state: the books from their events, the
        clock, then each case (the due index, coverage and alerts are derived from them)."""
        cases = StateCases(state)
        engine = PartitionCases(partition, self.region, cases, defaults=self.defaults)
        books: dict[str, int] = {}
        for prefix in BOOKS:
            stored = sorted((int(k[len(prefix) :]), v) for k, v in state.items(prefix))
            for _, raw in stored:
                event = self.codec.decode(raw.encode()).event
                if prefix == "agreement/":
                    engine.book = engine.book.apply(event)
                else:
                    engine.campaigns = engine.campaigns.apply(event)
            books[prefix] = stored[-1][0] if stored else 0
        clock = state.get(CLOCK_KEY)
        engine.last_tick = dt.datetime.fromisoformat(clock) if clock else None
        restored = 0
        for _, value in state.items(CASE):
            engine.restore_case(CaseState.from_json(value))
            restored += 1
        engine.end_restore()
        engine.coverage.changed.update(engine.coverage.periods)  # republish after a restart
        log.info(
            "partition_loaded",
            partition=partition,
            cases=restored,
            agreements=books["agreement/"],
            campaigns=books["campaign/"],
            due=len(engine.due),
        )
        opened = CasesPartition(self, partition, state, engine, books)
        self.opened[partition] = opened
        return opened

    def close(self, partition: int) -> None:
        self.opened.pop(partition, None)

    def cases_due(self) -> int:
        """Cases held here with an obligation still to fire."""
        return sum(len(p.engine.due) for p in self.opened.values())


class CasesPartition:
    def __init__(
        self,
        policy: CasesPolicy,
        partition: int,
        state: State,
        engine: PartitionCases,
        books: dict[str, int],
    ) -> None:
        self.policy = policy
        self.partition = partition
        self.state = state
        self.engine = engine
        self.books = books  # prefix -> the number of the last event stored

    def before(self, records: Sequence[Record]) -> Refresh | None:
        return None  # everything a decision needs is in the partition's state

    def apply(self, record: Record) -> Sequence[Output]:
        policy, engine, metrics = self.policy, self.engine, self.policy.metrics
        try:
            event = policy.codec.decode(record.value).event
        except DecodeError as exc:  # the gate admitted it: only a version skew gets here
            log.error("validated_event_undecodable", partition=record.partition, error=str(exc))
            return [self._refusal(record, exc.code, exc.reason)]
        novelty = engine.novelty(event)
        if novelty == "repeat":
            if metrics is not None:
                metrics.duplicates.inc()
            log.info("event_duplicate", event_id=str(event.event_id), partition=record.partition)
            return []
        if novelty == "reused":
            reason = event_ids.reuse_reason(event, event_ids.where(event))
            return [self._refusal(record, event_ids.REUSED, reason)]
        if metrics is not None:
            metrics.events_applied.inc()
        book, campaigns, clock = engine.book, engine.campaigns, engine.last_tick
        derived = engine.apply(event)
        if engine.book is not book or engine.campaigns is not campaigns:
            prefix = "agreement/" if isinstance(event, AGREEMENT_EVENTS) else "campaign/"
            self.books[prefix] += 1
            self.state[f"{prefix}{self.books[prefix]}"] = (record.value or b"").decode()
        if engine.last_tick is not None and engine.last_tick != clock:
            self.state[CLOCK_KEY] = engine.last_tick.isoformat()
        return self._outputs(derived) if derived else []

    def unsendable(self, output: Output, cause: Record, error: BaseException) -> Output | None:
        return None  # a derived record refused for good: the configuration must change

    def _refusal(self, record: Record, code: str, reason: str) -> Output:
        """The dead letter of the validated ``record``."""
        policy = self.policy
        return refusals.dead_letter(
            record,
            code,
            reason,
            topic=policy.dead_letters,
            region_code=policy.region,
            publisher_id=agents_id(policy.region),
            metrics=policy.metrics,
        )

    def _outputs(self, derived: Iterable[DerivedEvent]) -> list[Output]:
        policy, metrics = self.policy, self.policy.metrics
        outputs = []
        for e in derived:
            if isinstance(e, AlertRaised):
                outputs.append(Output(policy.alerts, "-".join(e.counties).encode(), _enc(e)))
            elif isinstance(e, AgreementCoveragePublished):
                outputs.append(Output(policy.alerts, e.period.encode(), _enc(e)))
            elif isinstance(e, CampaignProgressPublished):
                outputs.append(Output(policy.alerts, e.campaign_id.encode(), _enc(e)))
            else:
                if metrics is not None:
                    metrics.derived(e.event_type)
                outputs.append(Output(policy.obligations, e.person_key.encode(), _enc(e)))
        return outputs


def _enc(event: DerivedEvent) -> bytes:
    return codec_module.encode(event)
