"""The dead letter an agent sends for an input record it refuses: the record's bytes kept
bounded (:mod:`streams.dead_letters`), counted in the worker's metrics and logged once."""

from __future__ import annotations

import structlog

from infra.worker_metrics import WorkerMetrics
from streams import codec, dead_letters
from streams.runtime import Output, Record

log = structlog.get_logger(__name__)


def dead_letter(
    record: Record,
    code: str,
    reason: str,
    *,
    topic: str,
    region_code: str,
    publisher_id: str,
    metrics: WorkerMetrics | None,
) -> Output:
    """The send of ``record``'s dead letter to ``topic``, keyed by its source partition."""
    letter = dead_letters.record(
        dead_letters.source_of(record),
        record.value,
        code,
        reason,
        region_code=region_code,
        publisher_id=publisher_id,
    )
    if metrics is not None:
        metrics.dead_lettered(code)
    log.info(
        "event_dead_lettered",
        reason_code=code,
        reason=letter.reason,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )
    key = f"{record.topic}/{record.partition}".encode()
    return Output(topic, key, codec.encode(letter))
