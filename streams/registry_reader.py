"""Keeps an in-memory Registry up to date by reading the registry topic from the start.

The registry is small and totally ordered (one partition), so every process that needs it
rebuilds it at start and then follows the topic, without a consumer group.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

import mode
import structlog
from aiokafka import TopicPartition

from contracts import unions
from contracts.events.registry import RegistryChange
from contracts.refusal import Refusal
from streams.codec import Codec
from streams.topic_reader import TopicReader

log = structlog.get_logger(__name__)

SYNC_TIMEOUT_S = 30.0
T = TypeVar("T")


class RegistryFold(Protocol):
    """What the reader keeps up to date: the registry the gate decides with
    (:class:`agents.registry.Registry`), which refuses a change by raising a Refusal."""

    def apply(self, event: RegistryChange, raw: dict[str, Any]) -> None: ...


R = TypeVar("R", bound=RegistryFold)


class RegistryReader(Generic[R]):
    def __init__(
        self,
        registry: R,
        *,
        bootstrap_servers: str,
        topic: str,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.registry = registry
        self._tp = TopicPartition(topic, 0)
        self._codec: Codec[Any] = Codec(unions.RegistryEvent)
        self._follower = TopicReader(bootstrap_servers, client_options=client_options)
        # End offsets are asked on a client of their own: on the follower's connection the
        # request would queue behind its long-polling fetch (up to fetch.max.wait, 500 ms).
        self._offsets = TopicReader(bootstrap_servers, client_options=client_options)
        self._position = 0
        self._refusals: dict[int, tuple[str, str]] = {}  # offset -> (reason code, reason)
        self._advanced = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._start_lock = asyncio.Lock()
        self._ready = False
        # Every sync asks the end offset; syncs at the same moment share the asking.
        self._ends: Rounds[int] = Rounds(self._end_offset)

    async def started(self) -> None:
        """Start once, however many agents ask; returns when the registry is caught up."""
        async with self._start_lock:
            if self._task is None:
                await self.start()

    async def start(self) -> None:
        # aiokafka clients bind to the running loop, so the consumer is made here, not in init.
        await self._follower.open([self._tp])
        await self._offsets.open()
        await self._follower.seek_to_beginning()
        self._task = asyncio.create_task(self._follow(), name="registry-reader")
        await self.sync()
        self._ready = True

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._follower.close()
        await self._offsets.close()

    async def sync(self) -> None:
        """Wait (up to SYNC_TIMEOUT_S) until every registration written so far is applied."""
        async with asyncio.timeout(SYNC_TIMEOUT_S):
            end = await self._ends.get()
            async with self._advanced:
                await self._advanced.wait_for(lambda: self._position >= end)

    async def _end_offset(self) -> int:
        if not self._offsets.is_open:
            raise RuntimeError("start() the reader first")
        return (await self._offsets.end_offsets([self._tp]))[self._tp]

    @property
    def ready(self) -> bool:
        """Started, and caught up with the registry as it was then."""
        return self._ready

    def read_past(self, offset: int) -> bool:
        """Whether the message at ``offset`` has been read (and applied or refused)."""
        return self._position > offset

    async def wait_past(self, offset: int) -> None:
        """Wait (up to SYNC_TIMEOUT_S) until the message at ``offset`` has been read."""
        async with asyncio.timeout(SYNC_TIMEOUT_S), self._advanced:
            await self._advanced.wait_for(lambda: self._position > offset)

    def refusal(self, offset: int) -> tuple[str, str] | None:
        """Why the message at ``offset``, once read, was left out of the registry (None: it
        was applied). The registry gate dead-letters by this answer, so each change is
        judged once, in order, against the keys in force at its position."""
        return self._refusals.get(offset)

    async def _follow(self) -> None:
        if not self._follower.is_open:
            raise RuntimeError("start() the reader first")
        while True:
            batches = await self._follower.fetch([self._tp], timeout_ms=500)
            for message in batches.get(self._tp, []):
                self._apply(message.value, message.offset)
                self._position = message.offset + 1
            async with self._advanced:
                self._advanced.notify_all()

    def _apply(self, value: bytes | None, offset: int) -> None:
        try:
            decoded = self._codec.decode(value)
            self.registry.apply(decoded.event, decoded.raw)
        except Refusal as exc:
            # The registry gate dead-letters it (refusal); here it is left out.
            self._refusals[offset] = (exc.code, exc.reason)
            log.info("registration_refused", offset=offset, reason_code=exc.code)


class Rounds(Generic[T]):
    """Callers of :meth:`get` share calls of ``ask``: a caller gets the answer of a call made
    after it arrived (an answer already on its way may predate what the caller must see),
    and every caller arriving while a call is out shares the next one. So however many ask
    at once, at most two calls are made for them."""

    def __init__(self, ask: Callable[[], Awaitable[T]]) -> None:
        self._ask = ask
        self._next: asyncio.Future[T] | None = None  # the answer the next call will give
        self._calling: asyncio.Task[None] | None = None

    async def get(self) -> T:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        answer = self._next
        if self._calling is None:
            self._calling = asyncio.create_task(self._call())
        return await asyncio.shield(answer)

    async def _call(self) -> None:
        try:
            while self._next is not None:
                answer, self._next = self._next, None
                try:
                    answer.set_result(await self._ask())
                except Exception as exc:  # each caller waiting for this answer gets it
                    answer.set_exception(exc)
        finally:
            self._calling = None


class RegistryReaderService(mode.Service):
    """Ties the reader's lifetime to the Faust app's: started (caught up) before the agents
    that depend on it, stopped when the worker stops."""

    def __init__(self, reader: RegistryReader[Any]) -> None:
        super().__init__()
        self.reader = reader

    async def on_start(self) -> None:
        await self.reader.started()

    async def on_stop(self) -> None:
        await self.reader.stop()
