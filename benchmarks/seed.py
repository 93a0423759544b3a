"""The memory stage's local state: the worker's RocksDB databases, written before it starts.

A Faust worker restarting on its own disk finds its table partitions in RocksDB, each with
the last changelog offset it applied, and reads its changelogs only past that offset (the
runtime notes those offsets with every write: ``docs/runtime.md``). The bench puts the
memory stage's worker in that position: every record it writes to a changelog
partition is also put, byte for byte, into the database Faust opens for that table
partition, and once the changelog is written its end offset minus one is stored under
Faust's offset key (``faust.stores.rocksdb.Store.set_persisted_offset``). The databases'
paths and options are Faust's own: taken from the stores of the worker's app, built here
from the worker's environment by the same code (``bootstrap.worker_app.build_app``).

Also here: the recovery sampler, which reads those offset keys from a running worker's
databases (read-only) to see how fast Faust recovers a changelog into an empty store.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

from rocksdict import AccessType, Options, Rdict, WriteBatch

from benchmarks import replicate
from bootstrap.worker_app import build_app
from infra.settings import Settings

# faust.stores.rocksdb.Store.offset_key: the last changelog offset a partition's DB applied.
OFFSET_KEY = b"__faust\0offset__"
FLUSH_EVERY = 5_000  # records per RocksDB write batch
# faust.tables.recovery.Recovery's info lines: the first only when some partition's DB is
# behind its changelog (it then reads the changelog), the second once recovery is over.
RECOVERY_LOGGED = "Restoring state from changelog topics"
RECOVERY_COMPLETE = "Recovery complete"


def worker_settings(env: Mapping[str, str]) -> Settings:
    """The ``Settings`` a worker started with environment ``env`` reads."""
    with mock.patch.dict(os.environ, env, clear=True):
        return Settings()


def offset_value(end: int) -> bytes | None:
    """What Faust stores under its offset key once a changelog partition whose end offset
    is ``end`` is applied: the last offset, as text; None for an empty partition."""
    return str(end - 1).encode() if end > 0 else None


def check_ends(table: str, put: Mapping[int, int], ends: Mapping[int, int]) -> None:
    """A fresh changelog holds exactly what was put into each partition's DB: offsets
    0..n-1. Anything else (an earlier write, a retried batch) would make the DB and the
    changelog disagree, and the worker would start on state its changelog does not have."""
    for partition in sorted(set(put) | {p for p, end in ends.items() if end > 0}):
        if put.get(partition, 0) != ends.get(partition, 0):
            raise RuntimeError(
                f"{table} partition {partition}: {put.get(partition, 0)} records in RocksDB, "
                f"changelog end offset {ends.get(partition, 0)}"
            )


class Seeder:
    """The worker's table partitions' RocksDB databases, opened as Faust opens them."""

    def __init__(
        self, env: Mapping[str, str], *, bootstrap: str, region_code: str, region_key: str
    ) -> None:
        settings = worker_settings(env)
        if not settings.faust_store.startswith("rocksdb:"):
            raise ValueError(f"the worker's store is {settings.faust_store}, not RocksDB")
        app = build_app(
            settings, bootstrap_servers=bootstrap, region_code=region_code, region_key=region_key
        )
        self.tabledir = Path(app.conf.tabledir)
        self.tabledir.mkdir(parents=True, exist_ok=True)
        # The stores the worker's tables build (bootstrap.worker_app.bound_table_stores gave
        # them the deployment's options): their paths and RocksDB options, not copies of them.
        self.stores: dict[str, Any] = {name: table.data for name, table in app.tables.items()}
        self.changelogs = {
            name: table.changelog_topic.get_topic_name() for name, table in app.tables.items()
        }
        self.dbs: dict[tuple[str, int], Rdict] = {}
        self.put: dict[str, dict[int, int]] = {}

    def path(self, table: str, partition: int) -> Path:
        return Path(self.stores[table].partition_path(partition))

    def db(self, table: str, partition: int) -> Rdict:
        key = (table, partition)
        if key not in self.dbs:
            db = self.stores[table].rocksdb_options.open(self.path(table, partition))
            self.dbs[key] = db
        return self.dbs[key]

    def tee(self, table: str, records: Iterable[replicate.Record]) -> Iterator[replicate.Record]:
        """``records`` unchanged, each also put into its partition's DB (in batches)."""
        counts = self.put.setdefault(table, {})
        batches: dict[int, WriteBatch] = {}
        for record in records:
            partition = record.partition
            batch = batches.get(partition)
            if batch is None:
                batch = batches[partition] = WriteBatch(raw_mode=True)
            batch.put(record.key, record.value)
            counts[partition] = counts.get(partition, 0) + 1
            if batch.len() >= FLUSH_EVERY:
                self.db(table, partition).write(batches.pop(partition))
            yield record
        for partition, batch in batches.items():
            self.db(table, partition).write(batch)

    def finish(self, table: str, ends: Mapping[int, int]) -> None:
        """After the changelog is written: check it against the DBs, store the offsets."""
        check_ends(table, self.put.get(table, {}), ends)
        for partition, end in ends.items():
            value = offset_value(end)
            if value is not None:
                self.db(table, partition).put(OFFSET_KEY, value)

    def close(self) -> None:
        for db in self.dbs.values():
            db.flush()
            db.close()
        self.dbs.clear()


def recovered(tabledir: Path) -> int:
    """Changelog records a running worker's RocksDB partitions under ``tabledir`` applied so
    far (its changelogs start at offset 0: the persisted offset plus one each), read
    read-only; partitions that cannot be read at this moment count 0."""
    total = 0
    for path in sorted(tabledir.glob("*.db")):
        with contextlib.suppress(Exception):  # rocksdict raises plain Exception
            db = Rdict(
                str(path),
                options=Options(raw_mode=True),
                access_type=AccessType.read_only(False),
            )
            try:
                total += applied(db.get(OFFSET_KEY))
            finally:
                db.close()
    return total


def applied(offset: bytes | None) -> int:
    """Records applied from a changelog starting at 0, given Faust's stored offset."""
    return int(offset) + 1 if offset is not None else 0
