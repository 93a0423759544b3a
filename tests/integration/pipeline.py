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
        self.process: subprocess.Popen[bytes] | None = None
        self.metrics_port = _free_port()

    def node(self, county: str, key: Ed25519PrivateKey, publisher: str | None = None) -> CountyNode:
        return CountyNode(
            county=county,
            private_key=key,
            person_key_secret=SECRET,
            bootstrap_servers=self.bootstrap,
            publisher_id=publisher,
            topic_prefix=self.prefix,
        )

    def start_worker(self) -> None:
        env = dict(
            os.environ,
            LIUDONG_HOME=str(self.home),
            LIUDONG_KAFKA_BOOTSTRAP=self.bootstrap,
            LIUDONG_TOPIC_PREFIX=self.prefix,
            LIUDONG_PARTITIONS=str(self.partitions),
            LIUDONG_REGION_CODE=REGION,
            LIUDONG_REGION_PUBLIC_KEY=public_key_b64(self.region_key),
            LIUDONG_LOG_FORMAT="json",
            LIUDONG_METRICS_PORT=str(self.metrics_port),
        )
        with (self.home / "worker.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streams.cli", "worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill_worker(self) -> None:
        """SIGKILL: no shutdown, no final commit, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop_worker(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

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
