"""Keeps an in-memory Registry up to date by reading the registry topic from the start.

The registry is small and totally ordered (one partition), so every process that needs it
rebuilds it at start and then follows the topic, without a consumer group.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import mode
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from agents.registry import Registry, RegistryRejection
from contracts import unions
from streams.codec import Codec, DecodeError

log = structlog.get_logger(__name__)

SYNC_TIMEOUT_S = 30.0


class RegistryReader:
    def __init__(
        self,
        registry: Registry,
        *,
        bootstrap_servers: str,
        topic: str,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.registry = registry
        self._tp = TopicPartition(topic, 0)
        self._codec: Codec[Any] = Codec(unions.RegistryEvent)
        self._consumer_options: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            **dict(client_options or {}),
        }
        self._consumer: AIOKafkaConsumer | None = None
        # End offsets are asked on a client of their own: on the follower's connection the
        # request would queue behind its long-polling fetch (up to fetch.max.wait, 500 ms).
        self._offsets: AIOKafkaConsumer | None = None
        self._position = 0
        self._refusals: dict[int, tuple[str, str]] = {}  # offset -> (reason code, reason)
        self._advanced = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._start_lock = asyncio.Lock()

    async def started(self) -> None:
        """Start once, however many agents ask; returns when the registry is caught up."""
        async with self._start_lock:
            if self._task is None:
                await self.start()

    async def start(self) -> None:
        # aiokafka clients bind to the running loop, so the consumer is made here, not in init.
        self._consumer = AIOKafkaConsumer(**self._consumer_options)
        await self._consumer.start()
        self._offsets = AIOKafkaConsumer(**self._consumer_options)
        await self._offsets.start()
        self._consumer.assign([self._tp])
        await self._consumer.seek_to_beginning(self._tp)
        self._task = asyncio.create_task(self._follow(), name="registry-reader")
        await self.sync()

    async def stop(self) -> None:
        if self._task is None or self._consumer is None:
            return
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()
        if self._offsets is not None:
            await self._offsets.stop()

    async def sync(self) -> None:
        """Wait (up to SYNC_TIMEOUT_S) until every registration written so far is applied."""
        if self._offsets is None:
            raise RuntimeError("start() the reader first")
        end = (await self._offsets.end_offsets([self._tp]))[self._tp]
        async with asyncio.timeout(SYNC_TIMEOUT_S), self._advanced:
            await self._advanced.wait_for(lambda: self._position >= end)

    async def refusal_at(self, offset: int) -> tuple[str, str] | None:
        """Why the message at ``offset`` was left out of the registry (None: it was applied),
        once the reader has reached it. The registry gate dead-letters by this answer, so
        each change is judged once, in order, against the keys in force at its position."""
        async with asyncio.timeout(SYNC_TIMEOUT_S), self._advanced:
            await self._advanced.wait_for(lambda: self._position > offset)
        return self._refusals.get(offset)

    async def _follow(self) -> None:
        if self._consumer is None:
            raise RuntimeError("start() the reader first")
        while True:
            batches = await self._consumer.getmany(self._tp, timeout_ms=500)
            for message in batches.get(self._tp, []):
                self._apply(message.value, message.offset)
                self._position = message.offset + 1
            async with self._advanced:
                self._advanced.notify_all()

    def _apply(self, value: bytes | None, offset: int) -> None:
        try:
            decoded = self._codec.decode(value)
            self.registry.apply(decoded.event, decoded.raw)
        except (DecodeError, RegistryRejection) as exc:
            # The registry gate agent dead-letters it (refusal_at); here it is left out.
            self._refusals[offset] = (exc.code, exc.reason)
            log.info("registration_refused", offset=offset, reason_code=exc.code)


class RegistryReaderService(mode.Service):
    """Ties the reader's lifetime to the Faust app's: stopped when the worker stops."""

    def __init__(self, reader: RegistryReader) -> None:
        super().__init__()
        self.reader = reader

    async def on_stop(self) -> None:
        await self.reader.stop()
