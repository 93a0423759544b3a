"""A lazily created asyncpg pool that turns a lost or refused database into one exception."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import structlog

from infra.projection.store import CONNECTION_ERRORS

log = structlog.get_logger(__name__)


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL cannot be reached now; the caller answers 503 and tries again later."""


class Database:
    """One pool per server; created on first use and re-created after it broke."""

    def __init__(self, dsn: str, *, max_size: int = 4, connect_timeout_s: float = 3.0) -> None:
        self._dsn = dsn
        self._max_size = max_size
        self._timeout = connect_timeout_s
        self._pool: Any = None
        self._lock = asyncio.Lock()

    async def _get_pool(self) -> Any:
        async with self._lock:
            if self._pool is None:
                try:
                    self._pool = await asyncpg.create_pool(
                        self._dsn,
                        min_size=0,
                        max_size=self._max_size,
                        timeout=self._timeout,
                        command_timeout=10.0,
                    )
                except CONNECTION_ERRORS as exc:
                    raise DatabaseUnavailable(_describe(exc)) from exc
            return self._pool

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """An asyncpg connection; connection failures surface as DatabaseUnavailable."""
        pool = await self._get_pool()
        try:
            async with pool.acquire(timeout=self._timeout) as conn:
                yield conn
        except CONNECTION_ERRORS as exc:
            log.warning("dashboard_db_unavailable", error=_describe(exc))
            raise DatabaseUnavailable(_describe(exc)) from exc

    async def close(self) -> None:
        async with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), timeout=5.0)
            except CONNECTION_ERRORS:  # TimeoutError is an OSError
                pool.terminate()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
