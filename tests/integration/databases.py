"""A throwaway PostgreSQL database per test, on the session's server."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def with_database(dsn: str, database: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{database}"))


@contextlib.asynccontextmanager
async def empty_database(server_dsn: str, prefix: str = "t") -> AsyncIterator[str]:
    """A new, empty database on the server of ``server_dsn``; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"  # an identifier, not a value: cannot be a $n
    await _admin(server_dsn, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server_dsn, name)
    finally:
        await _admin(server_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(server_dsn: str, statement: str) -> None:
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()
