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
from collections.abc import Callable
from typing import Any

import faust
import structlog

from agents.emit import Output, send_all
from agents.gate_rules import Accepted, Decision, Duplicate, GateLimits, Rejected, decide
from agents.registry import RegistryRejection
from contracts import unions
from contracts.events.derived import DeadLettered
from streams import codec as codec_module
from streams.codec import Codec, DecodeError
from streams.registry_reader import RegistryReader
from streams.worker_metrics import WorkerMetrics

log = structlog.get_logger(__name__)

DEAD_LETTER_NAMESPACE = uuid.UUID("6b1d5c2e-8f0a-4c1e-9a57-2f1f6f3f2a10")


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
) -> None:
    county_codec: Codec[Any] = Codec(unions.CountyEvent, max_bytes=max_bytes)
    registry_codec: Codec[Any] = Codec(unions.RegistryEvent, max_bytes=max_bytes)
    # Per source partition: event id -> content fingerprint, and the partition's clock.
    state = app.Table("gate-state", default=None, key_type=str, value_type=str)
    counts: Counter[str] = Counter()
    region = reader.registry.region_code
    gate_id = f"{region}/gate"

    async def refuse(event: faust.EventT[bytes], code: str, reason: str) -> None:
        counts["dead_lettered"] += 1
        counts[f"reason:{code}"] += 1
        record = dead_letter(event.message, code, reason, region_code=region, publisher_id=gate_id)
        key = f"{event.message.topic}/{event.message.partition}".encode()
        await send_all([Output(dead_letters, key, codec_module.encode(record))], sent)
        if metrics is not None:
            metrics.dead_letters.labels(code).inc()
        log.info(
            "event_dead_lettered",
            reason_code=code,
            reason=reason,
            partition=event.message.partition,
            offset=event.message.offset,
        )

    def sent(outputs: list[Output]) -> None:
        if metrics is not None:
            metrics.sent(outputs)

    async def handle(event: faust.EventT[bytes]) -> None:
        counts["in"] += 1
        message = event.message
        partition = message.partition
        last = state.get(f"{partition}:clock")
        last_tick = dt.datetime.fromisoformat(last) if last else None
        seen = _SeenView(state, partition)

        def decision_now() -> Decision:
            return decide(
                message.value,
                codec=county_codec,
                registry=reader.registry,
                seen=seen,
                last_tick=last_tick,
                limits=limits,
            )

        decision = decision_now()
        if isinstance(decision, Rejected) and decision.code == "unknown_publisher":
            await reader.sync()  # it may have registered a moment ago
            decision = decision_now()
        if isinstance(decision, Rejected):
            await refuse(event, decision.code, decision.reason)
        elif isinstance(decision, Duplicate):
            counts["duplicates"] += 1
            if metrics is not None:
                metrics.duplicates.inc()
            log.info("event_duplicate", event_id=decision.event_id, partition=partition)
        else:
            await _admit(event, decision, state, validated, partition, sent)
            counts["valid"] += 1

    @app.agent(source, name="gate", concurrency=1)
    async def gate(stream: faust.StreamT[bytes]) -> None:
        await reader.started()
        async for event in stream.events():
            if metrics is None:
                await handle(event)
                continue
            metrics.received(app, event.message)
            with metrics.timing("gate"):
                await handle(event)

    @app.agent(registry_source, name="registry-gate", concurrency=1)
    async def registry_gate(stream: faust.StreamT[bytes]) -> None:
        await reader.started()
        async for event in stream.events():
            try:
                decoded = registry_codec.decode(event.message.value)
                reader.registry.apply(decoded.event, decoded.raw)
            except (DecodeError, RegistryRejection) as exc:
                await refuse(event, exc.code, exc.reason)

    async def report_counts() -> None:
        if counts:
            log.info("gate_counts", **dict(counts))

    app.timer(interval=10.0)(report_counts)


async def _admit(
    event: faust.EventT[bytes],
    decision: Accepted,
    state: Any,
    validated: faust.TopicT,
    partition: int,
    on_sent: Callable[[list[Output]], None],
) -> None:
    # Forward the bytes as received (the signature stays verifiable downstream), and only
    # once the broker has them remember the id: see agents.emit for why in this order.
    message = event.message
    await send_all([Output(validated, message.key, message.value or b"", partition)], on_sent)
    # The clock before the id: both go to the same changelog partition, in order, so an id
    # that survived a crash implies its tick did (a re-delivered tick is then a duplicate).
    if decision.tick is not None:
        state[f"{partition}:clock"] = decision.tick.isoformat()
    state[f"{partition}:{decision.event.event_id}"] = decision.fingerprint


class _SeenView:
    """The gate-state table seen as {event id: fingerprint} for one partition."""

    def __init__(self, table: Any, partition: int) -> None:
        self._table = table
        self._prefix = f"{partition}:"

    def get(self, event_id: str, default: str | None = None, /) -> str | None:
        value = self._table.get(self._prefix + event_id)
        return value if isinstance(value, str) else default
