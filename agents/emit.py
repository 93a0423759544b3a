"""Sending derived records so that nothing is lost across a crash.

Order per input event: decide, send the outputs and wait for the broker's acks, and only
then write the table state that marks the input as done. A crash before the state write
re-delivers the input and re-sends the same outputs (deterministic ids: consumers drop the
repeat); a crash after it finds the input already done. Faust's attachments would instead
send outputs at commit time, after the state was already written: a crash in between would
lose them, so they are bypassed (force=True).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

import faust


@dataclass(frozen=True, slots=True)
class Output:
    topic: faust.TopicT
    key: bytes | None
    value: bytes
    partition: int | None = None


async def send_all(outputs: Iterable[Output]) -> None:
    """Send every output now and return once the broker acknowledged them all."""
    pending = [
        await out.topic.send(key=out.key, value=out.value, partition=out.partition, force=True)
        for out in outputs
    ]
    if pending:
        await asyncio.gather(*pending)
