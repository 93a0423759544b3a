"""The projector: reads the region's topics and keeps the PostgreSQL read models.

A :class:`streams.topic_reader.TopicReader` with every partition assigned by hand and no
consumer group: the offsets live in ``projection_offsets``, written in the same transaction
as the rows of the batch that reached them. On start (and after every database outage) each
partition is sought to its stored next offset, or to the beginning. A batch that did not
commit is simply read again; one that did is never applied twice (the offsets moved with
it), and the event-id archive drops re-deliveries and the other partitions' copies of
broadcast events.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from aiokafka import TopicPartition

from infra.projection import rows
from infra.projection.store import CONNECTION_ERRORS, BatchResult, Entry, ProjectionStore
from streams import topics
from streams.codec import Codec, DecodeError
from streams.topic_reader import TopicReader, TopicsNotFound

log = structlog.get_logger(__name__)

# The workers' records can be far larger than a county's event: a coverage figure or a
# campaign's progress names every county of a partition (about 120 KB with 2,000 counties).
PROJECTED: tuple[topics.TopicSpec, ...] = (
    topics.REGISTRY,
    topics.VALIDATED,
    topics.OBLIGATIONS,
    topics.ALERTS,
    topics.SCORECARDS,
    topics.DEAD_LETTERS,
)


class ProjectionError(RuntimeError):
    """The projector cannot run as configured (for example, a topic does not exist)."""


class _Stopped(Exception):
    """run()'s stop event was set while waiting for the database."""


class Projector:
    def __init__(
        self,
        dsn: str,
        bootstrap_servers: str,
        topic_prefix: str,
        *,
        batch_size: int = 500,
        poll_timeout_ms: int = 200,
        progress_every: int = 10_000,
        initial_backoff_s: float = 0.1,
        max_backoff_s: float = 5.0,
        topic_wait_s: float = 30.0,
        client_options: Mapping[str, Any] | None = None,
        max_record_bytes: int = topics.READ_LIMIT_BYTES,
    ) -> None:
        self._dsn = dsn
        self._reader = TopicReader(
            bootstrap_servers, client_options=client_options, max_record_bytes=max_record_bytes
        )
        self._codecs: dict[str, Codec[Any]] = {
            spec.full_name(topic_prefix): self._reader.codec(spec.union) for spec in PROJECTED
        }
        self._batch_size = batch_size
        self._poll_timeout_ms = poll_timeout_ms
        self._progress_every = progress_every
        self._initial_backoff_s = initial_backoff_s
        self._max_backoff_s = max_backoff_s
        self._topic_wait_s = topic_wait_s
        self._store: ProjectionStore | None = None
        self._partitions: list[TopicPartition] = []
        self._committed: dict[TopicPartition, int] = {}  # next offset stored in PostgreSQL
        self._progress = asyncio.Condition()
        self._stop = asyncio.Event()
        self._looping = False  # run() is going: catch_up() waits for it instead of stepping
        self._started = asyncio.Event()
        self._owner = asyncio.Lock()  # held by whoever steps: run(), or catch_up() alone
        self.applied = 0
        self.repeats = 0
        self.undecodable = 0
        self.db_failures = 0  # connection errors seen (each logged and retried)

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(self._codecs)

    @property
    def committed(self) -> dict[TopicPartition, int]:
        """The next offset per partition that PostgreSQL holds (as of the last commit)."""
        return dict(self._committed)

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Assign every partition, connect (waiting out an outage), migrate, seek."""
        await self._open_reader()
        try:
            await self._connect(migrate=True)
        except BaseException:
            await self.close()
            raise
        log.info(
            "projection_started",
            partitions=len(self._partitions),
            topics=list(self._codecs),
        )

    async def close(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            await store.close()
        await self._reader.close()

    async def run(self, stop: asyncio.Event) -> None:
        """Project until ``stop`` is set; closes everything on the way out."""
        self._stop = stop
        async with self._owner:
            self._looping = True
            try:
                await self.start()
                self._started.set()
                while not stop.is_set():
                    await self.step()
            except _Stopped:
                log.info("projection_stopped_during_outage")
            finally:
                self._looping = False
                self._started.clear()
                await self.close()
                log.info("projection_stopped", applied=self.applied, repeats=self.repeats)

    async def wait_running(self) -> None:
        """Return once a ``run()`` has started (connected, migrated, sought)."""
        await self._started.wait()

    async def catch_up(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 (the API asked)
        """Return once PostgreSQL holds every partition up to the end offsets seen now.

        With ``run()`` going in another task, this waits for it; otherwise it starts, steps
        until caught up and closes again (a ``run()`` called meanwhile waits its turn).
        Raises TimeoutError after ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout):
            if self._owner.locked():
                await self._started.wait()
                ends = await self._end_offsets()
                async with self._progress:
                    await self._progress.wait_for(lambda: self._reached(ends))
                return
            async with self._owner:
                owned = not self._reader.is_open
                if owned:
                    await self.start()
                try:
                    ends = await self._end_offsets()
                    while not self._reached(ends):
                        await self.step()
                finally:
                    if owned:
                        await self.close()

    # --- one batch --------------------------------------------------------------------------

    async def step(self) -> int:
        """Fetch one batch and apply it in one transaction; returns the events applied."""
        batches = await self._require_reader().fetch(
            timeout_ms=self._poll_timeout_ms, max_records=self._batch_size
        )
        if not batches:
            return 0
        entries, offsets = self._entries(batches)
        try:
            result = await self._require_store().apply_batch(
                entries, offsets, before_commit=self._before_commit
            )
        except CONNECTION_ERRORS as exc:
            # Whether or not it committed, the offsets in PostgreSQL say where to resume.
            self.db_failures += 1
            log.warning("projection_batch_lost_connection", error=_describe(exc))
            await self._connect(migrate=False)
            return 0
        await self._committed_batch(result)
        return result.applied

    async def _before_commit(self) -> None:
        """Runs inside the batch's transaction just before COMMIT (a seam for crash tests)."""

    def _entries(
        self, batches: Mapping[TopicPartition, Sequence[Any]]
    ) -> tuple[list[Entry], dict[tuple[str, int], int]]:
        entries: list[Entry] = []
        offsets: dict[tuple[str, int], int] = {}
        for tp, messages in batches.items():
            codec = self._codecs[tp.topic]
            for message in messages:
                entries.append(self._entry(codec, tp, message))
                offsets[(tp.topic, tp.partition)] = message.offset + 1
        return entries, offsets

    def _entry(self, codec: Codec[Any], tp: TopicPartition, message: Any) -> Entry:
        at = rows.Position(tp.topic, tp.partition, message.offset)
        try:
            decoded = codec.decode(message.value)
        except DecodeError as exc:
            log.warning(
                "projection_undecodable",
                topic=tp.topic,
                partition=tp.partition,
                offset=message.offset,
                reason_code=exc.code,
                reason=exc.reason,
            )
            when = dt.datetime.fromtimestamp(message.timestamp / 1000, dt.UTC)
            return Entry(None, (rows.undecodable(at, message.value, exc.code, exc.reason, when),))
        return Entry(rows.archive(decoded.event, decoded.raw, at), rows.changes(decoded.event))

    async def _committed_batch(self, result: BatchResult) -> None:
        before = self.applied
        self.applied += result.applied
        self.repeats += result.repeats
        self.undecodable += result.undecodable
        for (topic, partition), next_offset in result.offsets.items():
            self._committed[TopicPartition(topic, partition)] = next_offset
        if self.applied // self._progress_every > before // self._progress_every:
            log.info(
                "projection_progress",
                applied=self.applied,
                repeats=self.repeats,
                undecodable=self.undecodable,
            )
        async with self._progress:
            self._progress.notify_all()

    # --- the database: connect, and resume where it says --------------------------------------

    async def _connect(self, *, migrate: bool) -> None:
        """(Re)connect with exponential backoff, then seek every partition to its offset."""
        if self._store is not None:
            old, self._store = self._store, None
            await old.close()
        delay = self._initial_backoff_s
        attempt = 0
        while True:
            attempt += 1
            store: ProjectionStore | None = None
            try:
                store = await ProjectionStore.open(self._dsn)
                if migrate:
                    await store.migrate()
                await self._resume(store)
            except CONNECTION_ERRORS as exc:
                if store is not None:
                    await store.close()
                self.db_failures += 1
                log.warning(
                    "projection_db_unavailable",
                    attempt=attempt,
                    retry_in_s=round(delay, 3),
                    error=_describe(exc),
                )
                await self._pause(delay)
                delay = min(delay * 2, self._max_backoff_s)
                continue
            self._store = store
            if attempt > 1:
                log.info("projection_db_reconnected", attempts=attempt)
            return

    async def _resume(self, store: ProjectionStore) -> None:
        reader = self._require_reader()
        stored = await store.load_offsets(self._codecs)
        missing = [tp for tp in self._partitions if (tp.topic, tp.partition) not in stored]
        beginnings = await reader.beginning_offsets(missing) if missing else {}
        for tp in self._partitions:
            offset = stored.get((tp.topic, tp.partition), beginnings.get(tp, 0))
            reader.seek({tp: offset})
            self._committed[tp] = offset

    async def _pause(self, seconds: float) -> None:
        """Sleep between retries; ``run()``'s stop event cuts it short."""
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        except TimeoutError:
            return
        raise _Stopped

    # --- Kafka ---------------------------------------------------------------------------------

    async def _open_reader(self) -> None:
        """Every partition of every projected topic assigned (they must exist: ensure_topics)."""
        try:
            self._partitions = await self._reader.open_topics(
                list(self._codecs), wait_s=self._topic_wait_s
            )
        except TopicsNotFound:
            raise ProjectionError(
                f"topics {sorted(self._codecs)} not all found within {self._topic_wait_s}s: "
                "create them first (streams.admin.ensure_topics)"
            ) from None

    async def _end_offsets(self) -> dict[TopicPartition, int]:
        return await self._require_reader().end_offsets(self._partitions)

    def _reached(self, ends: Mapping[TopicPartition, int]) -> bool:
        return all(self._committed.get(tp, 0) >= end for tp, end in ends.items())

    def _require_reader(self) -> TopicReader:
        if not self._reader.is_open:
            raise ProjectionError("start() the projector first")
        return self._reader

    def _require_store(self) -> ProjectionStore:
        if self._store is None:
            raise ProjectionError("start() the projector first")
        return self._store


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
