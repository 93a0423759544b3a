"""The runtime's producer: outputs and state changelogs, a record batch per partition.

An aiokafka producer of the runtime's own (acks=all), driven through aiokafka's
public batch API: a batch's records for one partition go into as few record batches as fit
(``create_batch`` / ``send_batch``), so the per-record cost is an append to a buffer, not a
future and a task per record as on Faust's ``Topic.send`` path. The offsets of a record
batch's records follow from its base offset.

What the broker can never take (too large, an invalid topic, not authorized) is reported as
not retriable; anything else (timeouts, no leader, a broker down) as retriable, however
aiokafka classes it: a partition without a leader for longer than the request timeout
comes back eventually, and the runtime keeps trying.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    InvalidRequiredAcksError,
    InvalidTopicError,
    MessageSizeTooLargeError,
    PolicyViolationError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
    UnsupportedForMessageFormatError,
)
from aiokafka.partitioner import DefaultPartitioner

from streams.runtime.ports import Output, SendFailed

log = structlog.get_logger(__name__)

# Errors no retry can get past.
NEVER = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    InvalidTopicError,
    TopicAuthorizationFailedError,
    ClusterAuthorizationFailedError,
    PolicyViolationError,
    UnsupportedForMessageFormatError,
    InvalidRequiredAcksError,
    ValueError,  # a record aiokafka will not build (a bug of ours): no retry fixes it
    TypeError,
)

BATCH_BYTES = 1024 * 1024  # a record batch, at most (the broker's default message.max.bytes)
REQUEST_BYTES = 8 * 1024 * 1024


class TooLargeForOneBatch(ValueError):
    """Records meant to go out together do not fit one record batch."""


def failure(exc: BaseException) -> SendFailed:
    return SendFailed(exc, retriable=not isinstance(exc, NEVER))


@dataclass
class _Batch:
    topic: str
    partition: int
    builder: Any  # aiokafka's BatchBuilder
    indexes: list[int] = field(default_factory=list)


class KafkaSink:
    def __init__(
        self,
        bootstrap_servers: str,
        client_options: Mapping[str, Any] | None = None,
        *,
        request_timeout_ms: int = 30_000,
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            acks="all",
            # Not idempotent: once the broker refuses one batch (too large), aiokafka's
            # sequence numbers for that partition are out of step and every later batch is
            # refused as OutOfOrderSequenceNumber. Order holds without it (aiokafka keeps one
            # request in flight per broker); what a retry may write twice is a repeat of the
            # same records, which consumers and the changelog take as such.
            enable_idempotence=False,
            linger_ms=0,
            max_batch_size=batch_bytes,
            max_request_size=REQUEST_BYTES,
            request_timeout_ms=request_timeout_ms,
            **dict(client_options or {}),
        )
        self._partitioner = DefaultPartitioner()
        self._partitions: dict[str, list[int]] = {}

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self, timeout_s: float) -> None:
        """Stop, giving what is still in flight at most ``timeout_s``."""
        try:
            async with asyncio.timeout(timeout_s):
                await self.producer.stop()
        except TimeoutError:
            log.warning("producer_stop_timeout", after_s=timeout_s)

    async def send(self, records: Sequence[Output]) -> list[int | SendFailed]:
        results: list[int | SendFailed | None] = [None] * len(records)
        batches: list[_Batch] = []
        open_batches: dict[tuple[str, int], _Batch] = {}
        for index, record in enumerate(records):
            try:
                partition = await self._partition(record)
            except Exception as exc:  # reported per record, to be retried or not
                results[index] = failure(exc)
                continue
            key = (record.topic, partition)
            batch = open_batches.get(key)
            if batch is None or not _append(batch.builder, record):
                batch = _Batch(record.topic, partition, self.producer.create_batch())
                _append(batch.builder, record)  # an empty batch takes any one record
                open_batches[key] = batch
                batches.append(batch)
            batch.indexes.append(index)
        for batch, outcome in zip(batches, await self._send(batches), strict=True):
            for i, index in enumerate(batch.indexes):
                results[index] = outcome + i if isinstance(outcome, int) else outcome
        return [r if r is not None else failure(RuntimeError("not sent")) for r in results]

    async def send_together(self, records: Sequence[Output]) -> list[int] | SendFailed:
        first = records[0]
        if first.partition is None or any(
            (r.topic, r.partition) != (first.topic, first.partition) for r in records
        ):
            return failure(ValueError("records sent together share one topic partition"))
        batch = _Batch(first.topic, first.partition, self.producer.create_batch())
        for record in records:
            if not _append(batch.builder, record):
                return failure(TooLargeForOneBatch(f"{len(records)} records to {first.topic}"))
        (outcome,) = await self._send([batch])
        if isinstance(outcome, SendFailed):
            return outcome
        return [outcome + i for i in range(len(records))]

    async def _send(self, batches: Sequence[_Batch]) -> list[int | SendFailed]:
        """Each batch's base offset once acknowledged, or why not; all in flight at once."""
        futures: list[asyncio.Future[Any] | SendFailed] = []
        for batch in batches:
            batch.builder.close()  # nothing else may join it
            try:
                futures.append(
                    await self.producer.send_batch(
                        batch.builder, batch.topic, partition=batch.partition
                    )
                )
            except Exception as exc:  # reported for the batch's records
                futures.append(failure(exc))
        # Shielded: a cancelled wait (a bounded stop) must not cancel aiokafka's own futures.
        pending = [asyncio.shield(f) for f in futures if not isinstance(f, SendFailed)]
        done = iter(await asyncio.gather(*pending, return_exceptions=True))
        out: list[int | SendFailed] = []
        for f in futures:
            if isinstance(f, SendFailed):
                out.append(f)
                continue
            result = next(done)
            out.append(failure(result) if isinstance(result, BaseException) else result.offset)
        return out

    async def _partition(self, record: Output) -> int:
        if record.partition is not None:
            return record.partition
        partitions = self._partitions.get(record.topic)
        if partitions is None:
            partitions = sorted(await self.producer.partitions_for(record.topic))
            self._partitions[record.topic] = partitions
        # aiokafka's own choice for a keyed record (and so Faust's): murmur2 of the key.
        return int(self._partitioner(record.key, partitions, partitions))


def _append(builder: Any, record: Output) -> bool:
    return builder.append(key=record.key, value=record.value, timestamp=None) is not None
