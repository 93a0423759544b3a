"""Sending derived records so that nothing is lost across a crash.

Order per input event: decide, send the outputs and wait for the broker's acks, and only
then write the table state that marks the input as done. A crash before the state write
re-delivers the input and re-sends the same outputs (deterministic ids: consumers drop the
repeat); a crash after it finds the input already done. Faust's attachments would instead
send outputs at commit time, after the state was already written: a crash in between would
lose them, so they are bypassed (force=True).

A send that fails is retried, with backoff, until it succeeds: an exception escaping an
agent would make Faust acknowledge the input it was handling, and the input would be lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import faust
import structlog
from aiokafka.errors import KafkaError

log = structlog.get_logger(__name__)

INITIAL_BACKOFF_S = 0.2
MAX_BACKOFF_S = 5.0


@dataclass(frozen=True, slots=True)
class Output:
    topic: faust.TopicT
    key: bytes | None
    value: bytes
    partition: int | None = None


async def send_all(
    outputs: Iterable[Output], on_sent: Callable[[list[Output]], None] | None = None
) -> None:
    """Send every output and return once the broker acknowledged them all."""
    batch = list(outputs)
    backoff = INITIAL_BACKOFF_S
    attempt = 0
    while True:
        try:
            await _send_once(batch)
            if on_sent is not None:
                on_sent(batch)
            return
        except (KafkaError, TimeoutError) as exc:
            attempt += 1
            log.warning(
                "output_send_retry",
                attempt=attempt,
                outputs=len(batch),
                error=repr(exc),
                retry_in_s=backoff,
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)


async def _send_once(batch: list[Output]) -> None:
    # Re-sending the whole batch after a failure is safe: consumers drop repeated ids.
    pending = [
        await out.topic.send(key=out.key, value=out.value, partition=out.partition, force=True)
        for out in batch
    ]
    if pending:
        await asyncio.gather(*pending)
