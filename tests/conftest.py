"""Session fixtures that start the real components: a 1-node Kafka (KRaft) and PostgreSQL.

Set ``LIUDONG_KAFKA_BOOTSTRAP`` / ``LIUDONG_PG_DSN`` to use running servers instead. A
component that cannot start skips its tests locally and fails them when ``CI=true``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from infra.kafka.cluster import KafkaCluster, KafkaClusterError
from infra.kafka.jars import KafkaSetupError, ensure_jars, require_java
from infra.postgres import EmbeddedPostgres, EmbeddedPostgresError
from infra.settings import Settings


def unavailable(component: str, exc: BaseException) -> NoReturn:
    """Skip locally, fail on CI: a missing broker must never turn CI green."""
    reason = f"{component} could not start: {exc}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def infra_settings() -> Settings:
    """Settings from the environment; the jar cache under its home is shared across runs."""
    return Settings()


@pytest.fixture(scope="session")
def kafka_jars(infra_settings: Settings) -> Path:
    """java on PATH and the Kafka jars in the cache (resolved with mvn on first use)."""
    try:
        require_java()
        return ensure_jars(infra_settings)
    except (KafkaSetupError, OSError) as exc:
        unavailable("kafka", exc)


def _started(cluster: KafkaCluster, what: str) -> KafkaCluster:
    try:
        cluster.start()
    except (KafkaSetupError, KafkaClusterError, OSError) as exc:
        unavailable(what, exc)
    return cluster


@pytest.fixture(scope="session")
def kafka_bootstrap(
    infra_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if infra_settings.kafka_bootstrap:
        yield infra_settings.kafka_bootstrap
        return
    data_dir = tmp_path_factory.mktemp("kafka")
    cluster = _started(KafkaCluster(data_dir, nodes=1, settings=infra_settings), "kafka")
    try:
        yield cluster.bootstrap_servers
    finally:
        cluster.stop()


@pytest.fixture
def kafka_cluster3(
    kafka_jars: Path, infra_settings: Settings, tmp_path: Path
) -> Iterator[KafkaCluster]:
    """A private 3-node cluster for fault tests (kill_node / start_node)."""
    cluster = KafkaCluster(tmp_path / "kafka3", nodes=3, settings=infra_settings)
    _started(cluster, "kafka (3 nodes)")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_dsn(infra_settings: Settings) -> Iterator[str]:
    if infra_settings.pg_dsn:
        yield infra_settings.pg_dsn
        return
    with _pg_home() as home:
        server = EmbeddedPostgres(home / "pgdata")
        try:
            dsn = server.start()
        except (EmbeddedPostgresError, OSError) as exc:
            unavailable("postgres", exc)
        try:
            yield dsn
        finally:
            server.stop()


@pytest.fixture
def pg_server() -> Iterator[EmbeddedPostgres]:
    """A private, started server for tests that stop and restart it."""
    with _pg_home() as home:
        server = EmbeddedPostgres(home / "pgdata", database="restart_probe")
        try:
            server.start()
        except (EmbeddedPostgresError, OSError) as exc:
            unavailable("postgres", exc)
        try:
            yield server
        finally:
            server.stop()


@contextlib.contextmanager
def _pg_home() -> Iterator[Path]:
    """A data dir's parent outside pytest's tmp root: as root the server runs as another
    user, who needs to traverse the parents, and pytest resets its root to 0700 whenever
    a session starts (a concurrent run would lock our server out of its own data dir)."""
    home = Path(tempfile.mkdtemp(prefix="liudong-pg-"))
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)
