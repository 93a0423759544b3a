"""asyncpg writes: one transaction per batch, holding its rows and the offsets it reached."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from infra.projection import rows
from infra.projection.migrate import migrate

# What a lost or refused database connection raises (asyncpg is untyped, hence the tuple).
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # includes ConnectionDoesNotExistError
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now
    asyncpg.exceptions.InterfaceError,  # connection closed under us
    # "cannot switch to state ...; another operation is in progress": an operation cut off
    # by the outage left the connection mid-protocol; only a new connection will do.
    asyncpg.exceptions.InternalClientError,
    OSError,  # refused, reset, socket file gone; TimeoutError is one too
)

TopicPartitionKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Entry:
    """One message of a batch: its archive statement (None for an undecodable message) and
    the changes to run if the archive reports it new (or always, when there is no archive)."""

    archive: rows.Statement | None
    changes: tuple[rows.Statement, ...]


@dataclass(slots=True)
class BatchResult:
    applied: int = 0  # new events: archived and their changes run
    repeats: int = 0  # already archived (a re-delivery or another partition's copy)
    undecodable: int = 0
    offsets: dict[TopicPartitionKey, int] = field(default_factory=dict)


class ProjectionStore:
    """A single asyncpg connection; the projector reconnects by opening a new store."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    @classmethod
    async def open(cls, dsn: str, *, timeout_s: float = 10.0) -> ProjectionStore:
        conn = await asyncpg.connect(dsn, timeout=timeout_s)
        return cls(conn)

    async def close(self) -> None:
        """Close gracefully; if the server is gone, drop the socket instead."""
        try:
            await self._conn.close(timeout=2.0)
        except CONNECTION_ERRORS:  # TimeoutError is an OSError
            self._conn.terminate()

    async def migrate(self) -> list[int]:
        return await migrate(self._conn)

    async def load_offsets(self, topics: Iterable[str]) -> dict[TopicPartitionKey, int]:
        records = await self._conn.fetch(rows.LOAD_OFFSETS, list(topics))
        return {(r["topic"], r["partition"]): r["next_offset"] for r in records}

    async def apply_batch(
        self,
        entries: Sequence[Entry],
        offsets: Mapping[TopicPartitionKey, int],
        *,
        before_commit: Callable[[], Awaitable[None]] | None = None,
    ) -> BatchResult:
        """Archive, change and record ``offsets`` (next offset per partition) atomically."""
        result = BatchResult(offsets=dict(offsets))
        async with self._conn.transaction():
            for entry in entries:
                await self._apply(entry, result)
            for (topic, partition), next_offset in offsets.items():
                await self._run(rows.save_offset(topic, partition, next_offset))
            if before_commit is not None:
                await before_commit()
        return result

    async def _apply(self, entry: Entry, result: BatchResult) -> None:
        if entry.archive is None:
            result.undecodable += 1
        else:
            inserted = await self._conn.fetchval(entry.archive.sql, *entry.archive.args)
            if inserted is not True:
                result.repeats += 1
                return
            result.applied += 1
        for statement in entry.changes:
            await self._run(statement)

    async def _run(self, statement: rows.Statement) -> None:
        await self._conn.execute(statement.sql, *statement.args)
