"""A real worker process on the real broker, and the county nodes that feed it, for tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from streams.county_node import CountyNode
from streams.signing import public_key_b64

REGION = "610900"
SECRET = b"integration-test-secret"


class Pipeline:
    def __init__(self, bootstrap: str, prefix: str, home: Path, partitions: int = 3) -> None:
        self.partitions = partitions
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.home = home
        self.region_key = Ed25519PrivateKey.generate()
        self.processes: dict[int, subprocess.Popen[bytes]] = {}
        self.ports: dict[int, int] = {0: _free_port()}

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self.processes.get(0)

    @property
    def metrics_port(self) -> int:
        return self.ports[0]

    def node(self, county: str, key: Ed25519PrivateKey, publisher: str | None = None) -> CountyNode:
        return CountyNode(
            county=county,
            private_key=key,
            person_key_secret=SECRET,
            bootstrap_servers=self.bootstrap,
            publisher_id=publisher,
            topic_prefix=self.prefix,
        )

    def start_worker(self, index: int = 0) -> None:
        """Start worker ``index`` (its own home and metrics port; same app, same group)."""
        home = self.home if index == 0 else self.home / f"worker{index}"
        home.mkdir(exist_ok=True)
        port = self.ports.setdefault(index, _free_port())
        env = dict(
            os.environ,
            LIUDONG_HOME=str(home),
            LIUDONG_KAFKA_BOOTSTRAP=self.bootstrap,
            LIUDONG_TOPIC_PREFIX=self.prefix,
            LIUDONG_PARTITIONS=str(self.partitions),
            LIUDONG_REGION_CODE=REGION,
            LIUDONG_REGION_PUBLIC_KEY=public_key_b64(self.region_key),
            LIUDONG_LOG_FORMAT="json",
            LIUDONG_METRICS_PORT=str(port),
        )
        with (home / "worker.log").open("ab") as log:
            self.processes[index] = subprocess.Popen(
                [sys.executable, "-m", "entrypoints.cli", "worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill_worker(self, index: int = 0) -> None:
        """SIGKILL: no shutdown, no final commit, as in a crash."""
        process = self.processes.get(index)
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_worker(self, index: int = 0) -> None:
        process = self.processes.get(index)
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop_workers(self) -> None:
        for index in list(self.processes):
            self.stop_worker(index)

    async def read(self, name: str, want: int, wait_s: float = 90.0) -> list[tuple[int, bytes]]:
        consumer = AIOKafkaConsumer(
            f"{self.prefix}.{name}",
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        got: list[tuple[int, bytes]] = []
        deadline = time.monotonic() + wait_s
        try:
            while len(got) < want and time.monotonic() < deadline:
                for tp, messages in (await consumer.getmany(timeout_ms=500)).items():
                    got.extend((tp.partition, m.value) for m in messages if m.value is not None)
            # Anything beyond what was expected would be a duplicate: give it a moment to show.
            for tp, messages in (await consumer.getmany(timeout_ms=1500)).items():
                got.extend((tp.partition, m.value) for m in messages if m.value is not None)
        finally:
            await consumer.stop()
        return got


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
