"""The gate: the only reader of what county nodes publish.

Thin by design: decode and decide in :mod:`agents.gate_rules`, then route the untouched
bytes to the validated topic (same key, same partition) or a DeadLettered record to the
dead-letter topic. It never raises on input.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, cast

import faust
import structlog

from agents.batching import handling, on_revoked, partition_batches
from agents.emit import (
    Output,
    OutputRefused,
    SendAbandoned,
    Staged,
    StateWriter,
    is_too_large,
    send_all,
    stop_process,
)
from agents.gate_rules import Accepted, Decision, Duplicate, GateLimits, Rejected, decide
from agents.input_position import InputPositions, position_key
from agents.registry import RegistryRejection
from contracts import unions
from streams import codec as codec_module
from streams import dead_letters
from streams.codec import Codec, DecodeError
from streams.registry_reader import RegistryReader
from streams.worker_metrics import WorkerMetrics

log = structlog.get_logger(__name__)


def source_of(message: Any) -> dead_letters.Source:
    """Where a Faust message is, for its dead letter (Faust gives timestamps in seconds)."""
    at = dt.datetime.fromtimestamp(message.timestamp, dt.UTC)
    return dead_letters.Source(message.topic, message.partition, message.offset, at)


def register(
    app: faust.App,
    *,
    source: faust.TopicT,
    registry_source: faust.TopicT,
    validated: faust.TopicT,
    dead_letters_topic: faust.TopicT,
    reader: RegistryReader,
    limits: GateLimits,
    max_bytes: int,
    metrics: WorkerMetrics | None = None,
    bootstrap_servers: str,
    client_options: Mapping[str, Any] | None = None,
) -> None:
    county_codec: Codec[Any] = Codec(unions.CountyEvent, max_bytes=max_bytes)
    registry_codec: Codec[Any] = Codec(unions.RegistryEvent, max_bytes=max_bytes)
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
        message = event.message
        record = dead_letters.record(
            source_of(message),
            message.value,
            code,
            reason,
            region_code=region,
            publisher_id=gate_id,
        )
        key = f"{message.topic}/{message.partition}".encode()
        if metrics is not None:
            metrics.dead_letters.labels(code).inc()
        log.info(
            "event_dead_lettered",
            reason_code=code,
            reason=record.reason,
            partition=message.partition,
            offset=message.offset,
        )
        return Output(dead_letters_topic, key, codec_module.encode(record))

    def sent(outputs: list[Output]) -> None:
        if metrics is not None:
            metrics.sent(outputs)

    def instead(out: Output, error: BaseException) -> Output:
        """An admitted event the validated topic refuses as too large is dead-lettered (the
        topic is smaller than LIUDONG_MAX_EVENT_BYTES admits); any other refusal for good
        means a misconfiguration, and stops the worker (agents.emit)."""
        if out.topic is validated and out.cause is not None and is_too_large(error):
            counts["valid"] -= 1
            return refusal(
                out.cause, "forward_refused", f"the validated topic refused it: {error!r}"
            )
        raise OutputRefused(out.topic.get_topic_name(), error)

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
            if isinstance(decision, Rejected) and decision.code == "unknown_publisher":
                await reader.sync()  # it may have registered a moment ago
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
                outputs.append(
                    Output(validated, event.message.key, value or b"", partition, cause=event)
                )
                batch.admit(decision)
                counts["valid"] += 1
        writes = batch.writes()
        writes[position_key(partition)] = str(events[-1].message.offset + 1)  # last
        return Staged(partition, writes, events[-1])

    async def handle(batch: Sequence[tuple[int, list[faust.EventT[bytes]]]]) -> None:
        """Every partition decided, then all outputs sent, then all state written (the
        admitted ids, then the clock, then the input position: agents.emit.StateWriter)."""
        outputs: list[Output] = []
        staged = [await decide_partition(events, partition, outputs) for partition, events in batch]
        await send_all(outputs, sent, instead)
        await writer.write((state, staged))

    @app.agent(source, name="gate", concurrency=1)
    async def gate(stream: faust.StreamT[bytes]) -> None:
        await reader.started()
        async for batch in partition_batches(app, stream, positions, metrics):
            with handling(metrics, "gate"):
                await handle(batch)

    @app.agent(registry_source, name="registry-gate", concurrency=1)
    async def registry_gate(stream: faust.StreamT[bytes]) -> None:
        await reader.started()
        # Acknowledged by hand, once its dead letter (if any) is written: this agent keeps
        # no input position, so an input acknowledged undone would be lost.
        manual = cast(faust.Stream[bytes], stream).noack()
        async for event in manual.events():
            try:
                decoded = registry_codec.decode(event.message.value)
                reader.registry.apply(decoded.event, decoded.raw)
            except (DecodeError, RegistryRejection) as exc:
                try:
                    await send_all([refusal(event, exc.code, exc.reason)], sent)
                except SendAbandoned:
                    return  # the worker stops: the next one reads it again
                except OutputRefused as refused:
                    stop_process(refused)
            await manual.ack(event)

    on_revoked(app, source.get_topic_name(), positions.forget, drain=writer.drain)

    async def report_counts() -> None:
        if counts:
            log.info("gate_counts", **dict(counts))

    app.timer(interval=10.0)(report_counts)


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
