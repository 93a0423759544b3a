"""The memory stage's RocksDB seeding (benchmarks.seed): its pure parts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.seed import applied, check_ends, offset_value, worker_settings


def test_offset_value_is_the_last_offset_as_faust_stores_it() -> None:
    # faust.stores.rocksdb.Store.set_persisted_offset: str(offset).encode()
    assert offset_value(1) == b"0"
    assert offset_value(123_456) == b"123455"
    assert offset_value(0) is None


def test_applied_inverts_offset_value() -> None:
    for end in (1, 7, 1_000_000):
        assert applied(offset_value(end)) == end
    assert applied(None) == 0


def test_check_ends_accepts_a_changelog_holding_exactly_what_was_seeded() -> None:
    check_ends("cases", {0: 3, 2: 5}, {0: 3, 1: 0, 2: 5})
    check_ends("cases", {}, {0: 0, 1: 0})


@pytest.mark.parametrize(
    ("put", "ends"),
    [
        ({0: 3}, {0: 4}),  # the changelog has a record the DB lacks
        ({0: 3, 1: 1}, {0: 3, 1: 0}),  # the DB has records the changelog lacks
        ({}, {5: 2}),  # a partition written by someone else
    ],
)
def test_check_ends_refuses_a_changelog_that_disagrees(
    put: dict[int, int], ends: dict[int, int]
) -> None:
    with pytest.raises(RuntimeError, match="cases partition"):
        check_ends("cases", put, ends)


def test_worker_settings_reads_the_given_environment_only() -> None:
    before = dict(os.environ)
    env = {
        "LIUDONG_HOME": "/srv/liudong-home",
        "LIUDONG_TOPIC_PREFIX": "bench-x",
        "LIUDONG_FAUST_STORE": "rocksdb://",
        "LIUDONG_ROCKSDB_BLOCK_CACHE_MIB": "16",
    }
    settings = worker_settings(env)
    assert settings.home == Path("/srv/liudong-home")
    assert settings.topic_prefix == "bench-x"
    assert settings.faust_store == "rocksdb://"
    assert settings.rocksdb_block_cache_mib == 16
    assert dict(os.environ) == before
