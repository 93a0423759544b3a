"""What ``liudong demo`` runs on: Kafka and PostgreSQL under the demo's own directory, the
topic catalog, the region's key, and the ``liudong`` processes it starts (each with its log),
all stopped on the way out."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import asyncpg

from infra.kafka.cluster import KafkaCluster
from infra.postgres import EmbeddedPostgres
from infra.region import region_private_key
from infra.settings import Settings
from streams.admin import ensure_topics
from streams.signing import public_key_b64

Say = Callable[[str], None]

# How long the projector has to create its schema after it starts.
SCHEMA_WAIT_S = 60


@contextlib.contextmanager
def kafka(root: Path, settings: Settings, say: Say) -> Iterator[str]:
    """A one-node cluster under ``root / "kafka"``; yields its bootstrap servers."""
    say("starting Apache Kafka (KRaft, 1 node) ...")
    cluster = KafkaCluster(root / "kafka", nodes=1, settings=settings)
    cluster.start()
    try:
        say(f"  kafka at {cluster.bootstrap_servers}")
        yield cluster.bootstrap_servers
    finally:
        cluster.stop()


@contextlib.contextmanager
def postgres(root: Path, say: Say) -> Iterator[str]:
    """An embedded server under ``root / "pg"``; yields its DSN."""
    say("starting PostgreSQL (embedded) ...")
    server = EmbeddedPostgres(root / "pg")
    dsn = server.start()
    try:
        say("  postgresql ready")
        yield dsn
    finally:
        server.stop()


async def prepare(settings: Settings, bootstrap: str, dsn: str) -> dict[str, str]:
    """The catalog's topics and the region's key; returns the environment the demo's
    ``liudong`` processes (and the commands it suggests) run with."""
    await ensure_topics(
        bootstrap,
        prefix="liudong",
        partitions=settings.partitions,
        replication_factor=1,
        max_event_bytes=settings.max_event_bytes,
    )
    region_key = region_private_key(settings, create=True)
    return {
        "LIUDONG_HOME": str(settings.home),
        "LIUDONG_KAFKA_BOOTSTRAP": bootstrap,
        "LIUDONG_PG_DSN": dsn,
        "LIUDONG_REGION_PUBLIC_KEY": public_key_b64(region_key),
        "LIUDONG_LOG_FORMAT": "json",
    }


class Processes:
    """The ``liudong`` subcommands the demo started, each in its own session (so a stop
    reaches its children too), logging to ``root / "<command>.log"``."""

    def __init__(self, root: Path, say: Say) -> None:
        self.root = root
        self.say = say
        self.started: list[subprocess.Popen[bytes]] = []

    def spawn(self, command: str, env: dict[str, str], *argv: str) -> None:
        with (self.root / f"{command}.log").open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
                [sys.executable, "-m", "entrypoints.cli", command, *argv],
                env=dict(os.environ, **env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        self.say(f"started `liudong {command}` (pid {process.pid}, log {self.root / command}.log)")

    def stop_all(self) -> None:
        for process in self.started:
            _terminate(process)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def connect_when_ready(dsn: str) -> asyncpg.Connection:
    """The projector creates the schema; wait for it."""
    deadline = time.monotonic() + SCHEMA_WAIT_S
    while True:
        conn = await asyncpg.connect(dsn)
        ready = await conn.fetchval("SELECT to_regclass('coverage_totals') IS NOT NULL")
        if ready:
            return conn
        await conn.close()
        if time.monotonic() > deadline:
            raise RuntimeError(f"the projector did not create its schema within {SCHEMA_WAIT_S} s")
        await asyncio.sleep(0.5)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_until_up(url: str, timeout_s: float = 60.0) -> bool:
    """Whether the page at ``url`` answers within ``timeout_s`` (a server just started)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    async with aiohttp.ClientSession() as session:
        while loop.time() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return True
            except aiohttp.ClientError:
                await asyncio.sleep(0.5)  # not listening yet
                continue
            await asyncio.sleep(0.5)
    return False
