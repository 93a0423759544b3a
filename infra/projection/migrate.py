"""Versioned SQL migrations, applied in order at start.

Files are ``migrations/NNNN_name.sql`` inside this package. Each is applied in its own
transaction together with its ``schema_migrations`` row; re-running applies only the new
ones. An applied migration whose file changed since (its SHA-256 differs), or one the
database has but the code does not, is an error: the schema would no longer be the one the
code was written for. A session advisory lock serializes concurrent migrators.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import structlog

log = structlog.get_logger(__name__)

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Arbitrary but fixed: pg_advisory_lock key for "liudong projection migrations".
_LOCK_KEY = 0x6C69_7564_6F6E_6701

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""
_SELECT_APPLIED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
_INSERT_APPLIED = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"
_LOCK = "SELECT pg_advisory_lock($1)"
_UNLOCK = "SELECT pg_advisory_unlock($1)"


class MigrationError(RuntimeError):
    """The database's schema history does not match the migrations shipped with the code."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations() -> tuple[Migration, ...]:
    """The migrations shipped in this package, in version order."""
    folder = resources.files("infra.projection").joinpath("migrations")
    found: dict[int, Migration] = {}
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match is None:
            continue
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"two migrations share version {version:04d}")
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    return tuple(found[v] for v in sorted(found))


async def migrate(conn: Any, migrations: tuple[Migration, ...] | None = None) -> list[int]:
    """Apply every migration not yet applied; returns the versions applied now.

    ``conn`` is an asyncpg connection (untyped library, hence ``Any``).
    """
    wanted = load_migrations() if migrations is None else migrations
    await conn.execute(_LOCK, _LOCK_KEY)
    try:
        await conn.execute(_CREATE_TABLE)
        applied = {row["version"]: row for row in await conn.fetch(_SELECT_APPLIED)}
        _check_history(applied, wanted)
        done: list[int] = []
        for migration in wanted:
            if migration.version in applied:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)  # no arguments: may hold many statements
                await conn.execute(
                    _INSERT_APPLIED, migration.version, migration.name, migration.checksum
                )
            log.info("migration_applied", version=migration.version, name=migration.name)
            done.append(migration.version)
        return done
    finally:
        await conn.execute(_UNLOCK, _LOCK_KEY)


def _check_history(applied: dict[int, Any], wanted: tuple[Migration, ...]) -> None:
    known = {m.version: m for m in wanted}
    for version, row in applied.items():
        migration = known.get(version)
        if migration is None:
            raise MigrationError(
                f"the database has migration {version:04d}_{row['name']}, which this code "
                "does not ship: it was written by a newer version"
            )
        if row["checksum"] != migration.checksum:
            raise MigrationError(
                f"migration {version:04d}_{migration.name} was changed after it was applied "
                f"(checksum in database {row['checksum'][:12]}…, in code "
                f"{migration.checksum[:12]}…): add a new migration instead of editing it"
            )
