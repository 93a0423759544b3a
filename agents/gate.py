"""The gate: the only reader of what county nodes publish.

Thin by design: decode and decide in :mod:`agents.gate_rules`, then forward the untouched
bytes to the validated topic where :func:`streams.routing.placement` puts them (a person
event on its person's partition, whatever partition it arrived on; a broadcast copy on its
own partition number), or a bounded DeadLettered record (streams.dead_letters) to the
dead-letter topic. It never raises on input.

Its only state, per source partition, is the logical clock (the last tick admitted) and the
next input offset, stored as one record so that a crash keeps both or neither: a clock
ahead of its input position would refuse the re-applied ticks before it as regressions.
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
from agents.gate_rules import Accepted, Decision, GateLimits, Rejected, decide
from agents.input_position import InputPositions, position_key, position_record, read_position
from contracts import unions
from streams import codec as codec_module
from streams import dead_letters, routing
from streams.codec import Codec
from streams.registry_reader import RegistryReader
from streams.worker_metrics import WorkerMetrics

log = structlog.get_logger(__name__)

# Refusals a registry change not yet read could turn into an admission: read it, decide again.
REGISTRY_CODES = frozenset({"unknown_publisher", "bad_signature", "key_retired"})


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
    validated_partitions: int,
    metrics: WorkerMetrics | None = None,
    bootstrap_servers: str,
    client_options: Mapping[str, Any] | None = None,
) -> None:
    county_codec: Codec[Any] = Codec(unions.CountyEvent, max_bytes=max_bytes)
    # Per source partition: its next input offset and its clock, in one record.
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
            dead_letters.source_of(message),
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
        """Decide each event in log order; what to remember once the outputs are sent."""
        clock = _Clock.stored(state, partition)
        for event in events:
            counts["in"] += 1
            value = event.message.value

            def decision_now(value: bytes | None = value) -> Decision:
                return decide(
                    value,
                    codec=county_codec,
                    registry=reader.registry,
                    last_tick=clock.at,
                    limits=limits,
                )

            decision = decision_now()
            if isinstance(decision, Rejected) and decision.code in REGISTRY_CODES:
                await reader.sync()  # it may have registered, or a key changed, a moment ago
                decision = decision_now()
            if isinstance(decision, Rejected):
                outputs.append(refusal(event, decision.code, decision.reason))
            else:
                outputs.append(forward(event, decision, partition))
                clock.admit(decision)
                counts["valid"] += 1
        writes = {position_key(partition): clock.record(events[-1].message.offset + 1)}
        return Staged(partition, writes, events[-1])

    def forward(event: faust.EventT[bytes], decision: Accepted, partition: int) -> Output:
        # The bytes as received (the codec found them unambiguous): the signature stays
        # verifiable downstream.
        target, key = routing.placement(decision.event, partition, validated_partitions)
        return Output(validated, key, event.message.value or b"", target, cause=event)

    async def handle(batch: Sequence[tuple[int, list[faust.EventT[bytes]]]]) -> None:
        """Every partition decided, then all outputs sent, then each partition's clock and
        input position written (agents.emit.StateWriter)."""
        outputs: list[Output] = []
        if any(_may_tick(e.message.value) for _, events in batch for e in events):
            # Registry changes written before a tick (a rotation effective by then, say) are
            # read before anything after the tick is decided. A false match costs one
            # offsets request.
            await reader.sync()
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
            # The reader applies every change, in order; this agent only dead-letters.
            refused = await reader.refusal_at(event.message.offset)
            if refused is not None:
                try:
                    await send_all([refusal(event, *refused)], sent)
                except SendAbandoned:
                    return  # the worker stops: the next one reads it again
                except OutputRefused as refusal_refused:
                    stop_process(refusal_refused)
            await manual.ack(event)

    on_revoked(app, source.get_topic_name(), positions.forget, drain=writer.drain)

    async def report_counts() -> None:
        if counts:
            log.info("gate_counts", **dict(counts))

    app.timer(interval=10.0)(report_counts)


def _may_tick(value: bytes | None) -> bool:
    return value is not None and b"clock_ticked" in value


class _Clock:
    """One source partition's logical clock during a batch: the last tick admitted."""

    def __init__(self, partition: int, at: dt.datetime | None) -> None:
        self.partition = partition
        self.at = at

    @classmethod
    def stored(cls, table: Any, partition: int) -> _Clock:
        _, state = read_position(table.get(position_key(partition)))
        at = state.get("clock")
        return cls(partition, dt.datetime.fromisoformat(at) if at else None)

    def admit(self, decision: Accepted) -> None:
        if decision.tick is not None:
            self.at = decision.tick  # never earlier: gate_rules refuses a regression

    def record(self, next_offset: int) -> str:
        return position_record(next_offset, {"clock": self.at.isoformat()} if self.at else None)
