"""The gate: the only reader of what county nodes publish.

Thin by design: decode and decide in :mod:`agents.gate_rules`, then route the untouched
bytes to the validated topic (same key, same partition) or a DeadLettered record to the
dead-letter topic. It never raises on input.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import faust
import structlog

from agents.batching import on_revoked, partition_batches, timed
from agents.emit import Output, Staged, StateWriter, send_all
from agents.gate_rules import Accepted, Decision, Duplicate, GateLimits, Rejected, decide
from agents.input_position import InputPositions, position_key
from contracts import unions
from contracts.events.derived import DeadLettered
from streams import codec as codec_module
from streams.codec import Codec
from streams.registry_reader import RegistryReader
from streams.worker_metrics import WorkerMetrics

log = structlog.get_logger(__name__)

DEAD_LETTER_NAMESPACE = uuid.UUID("6b1d5c2e-8f0a-4c1e-9a57-2f1f6f3f2a10")
# Refusals a registry change not yet read could turn into an admission: read it, decide again.
REGISTRY_CODES = frozenset({"unknown_publisher", "bad_signature", "key_retired"})


def dead_letter(
    message: Any, code: str, reason: str, *, region_code: str, publisher_id: str
) -> DeadLettered:
    """The record of a refused message; its id and times derive from its log position."""
    position = f"{message.topic}/{message.partition}/{message.offset}"
    event_id = uuid.uuid5(DEAD_LETTER_NAMESPACE, position)
    at = dt.datetime.fromtimestamp(message.timestamp, dt.UTC)  # Faust gives seconds
    return DeadLettered(
        event_id=event_id,
        schema_version=1,
        occurred_at=at,
        recorded_at=at,
        source_county=region_code,
        publisher_id=publisher_id,
        correlation_id=event_id,
        reason_code=code,
        reason=reason[:2000],
        raw=base64.b64encode(message.value or b"").decode(),
        source_topic=message.topic,
        source_partition=message.partition,
        source_offset=message.offset,
    )


def register(
    app: faust.App,
    *,
    source: faust.TopicT,
    registry_source: faust.TopicT,
    validated: faust.TopicT,
    dead_letters: faust.TopicT,
    reader: RegistryReader,
    limits: GateLimits,
    max_bytes: int,
    metrics: WorkerMetrics | None = None,
    bootstrap_servers: str,
    client_options: Mapping[str, Any] | None = None,
) -> None:
    county_codec: Codec[Any] = Codec(unions.CountyEvent, max_bytes=max_bytes)
    # Per source partition: event id -> content fingerprint, and the partition's clock.
    state = app.Table("gate-state", default=None, key_type=str, value_type=str)
    counts: Counter[str] = Counter()
    positions = InputPositions(
        state,
        source.get_topic_name(),
        bootstrap_servers=bootstrap_servers,
        client_options=client_options,
    )
    writer = StateWriter()
    region = reader.registry.region_code
    gate_id = f"{region}/gate"

    def refusal(event: faust.EventT[bytes], code: str, reason: str) -> Output:
        counts["dead_lettered"] += 1
        counts[f"reason:{code}"] += 1
        record = dead_letter(event.message, code, reason, region_code=region, publisher_id=gate_id)
        key = f"{event.message.topic}/{event.message.partition}".encode()
        if metrics is not None:
            metrics.dead_letters.labels(code).inc()
        log.info(
            "event_dead_lettered",
            reason_code=code,
            reason=reason,
            partition=event.message.partition,
            offset=event.message.offset,
        )
        return Output(dead_letters, key, codec_module.encode(record))

    def sent(outputs: list[Output]) -> None:
        if metrics is not None:
            metrics.sent(outputs)

    async def decide_partition(
        events: Sequence[faust.EventT[bytes]], partition: int, outputs: list[Output]
    ) -> Staged:
        """Decide each event in log order; what to remember of it once the outputs are sent."""
        batch = _GateBatch(state, partition)
        for event in events:
            counts["in"] += 1
            value = event.message.value

            def decision_now(value: bytes | None = value) -> Decision:
                return decide(
                    value,
                    codec=county_codec,
                    registry=reader.registry,
                    seen=batch,
                    last_tick=batch.clock,
                    limits=limits,
                )

            decision = decision_now()
            if isinstance(decision, Rejected) and decision.code in REGISTRY_CODES:
                await reader.sync()  # it may have registered, or a key changed, a moment ago
                decision = decision_now()
            if isinstance(decision, Rejected):
                outputs.append(refusal(event, decision.code, decision.reason))
            elif isinstance(decision, Duplicate):
                batch.repeated(decision)
                counts["duplicates"] += 1
                if metrics is not None:
                    metrics.duplicates.inc()
                log.info("event_duplicate", event_id=decision.event_id, partition=partition)
            else:
                # Forward the bytes as received: the signature stays verifiable downstream.
                outputs.append(Output(validated, event.message.key, value or b"", partition))
                batch.admit(decision)
                counts["valid"] += 1
        writes = batch.writes()
        writes[position_key(partition)] = str(events[-1].message.offset + 1)  # last
        return Staged(partition, writes, events[-1])

    async def handle(batch: Sequence[tuple[int, list[faust.EventT[bytes]]]]) -> None:
        """Every partition decided, then all outputs sent, then all state written (the
        admitted ids, then the clock, then the input position: agents.emit.StateWriter)."""
        outputs: list[Output] = []
        if any(_may_tick(e.message.value) for _, events in batch for e in events):
            # Registry changes written before a tick (a rotation effective by then, say) are
            # read before anything after the tick is decided. A false match costs one
            # offsets request.
            await reader.sync()
        staged = [await decide_partition(events, partition, outputs) for partition, events in batch]
        await send_all(outputs, sent)
        await writer.write((state, staged))

    @app.agent(source, name="gate", concurrency=1)
    async def gate(stream: faust.StreamT[bytes]) -> None:
        await reader.started()
        async for batch in partition_batches(app, stream, positions, metrics):
            with timed(metrics, "gate"):
                await handle(batch)

    @app.agent(registry_source, name="registry-gate", concurrency=1)
    async def registry_gate(stream: faust.StreamT[bytes]) -> None:
        await reader.started()
        async for event in stream.events():
            # The reader applies every change, in order; this agent only dead-letters.
            refused = await reader.refusal_at(event.message.offset)
            if refused is not None:
                await send_all([refusal(event, *refused)], sent)

    on_revoked(app, source.get_topic_name(), positions.forget, drain=writer.drain)

    async def report_counts() -> None:
        if counts:
            log.info("gate_counts", **dict(counts))

    app.timer(interval=10.0)(report_counts)


def _may_tick(value: bytes | None) -> bool:
    return value is not None and b"clock_ticked" in value


class _GateBatch:
    """One partition's gate state during a batch: {event id: fingerprint} and the clock.

    Reads see what this batch admitted so far; ``writes`` is what to persist once the
    admitted events are on the validated topic (see agents.emit for why in that order).
    """

    def __init__(self, table: Any, partition: int) -> None:
        self._table = table
        self._prefix = f"{partition}:"
        last = table.get(f"{partition}:clock")
        self.clock: dt.datetime | None = dt.datetime.fromisoformat(last) if last else None
        self._clock_changed = False
        self._admitted: dict[str, str] = {}

    def get(self, event_id: str, default: str | None = None, /) -> str | None:
        value = self._admitted.get(event_id)
        if value is None:
            value = self._table.get(self._prefix + event_id)
        return value if isinstance(value, str) else default

    def admit(self, decision: Accepted) -> None:
        if decision.tick is not None:
            self.clock = decision.tick
            self._clock_changed = True
        self._admitted[str(decision.event.event_id)] = decision.fingerprint

    def repeated(self, decision: Duplicate) -> None:
        if decision.tick is not None and (self.clock is None or decision.tick > self.clock):
            self.clock = decision.tick
            self._clock_changed = True

    def writes(self) -> dict[str, str]:
        # The clock last: the changelog keeps this order, so a clock that survived a crash
        # implies every id admitted before it did. Clock first, a SIGKILL between the two
        # left the clock ahead of ids it never recorded, and the re-delivered ticks were
        # refused as clock regressions instead of being recognised as duplicates.
        out = {self._prefix + k: v for k, v in self._admitted.items()}
        if self._clock_changed and self.clock is not None:
            out[self._prefix + "clock"] = self.clock.isoformat()
        return out
