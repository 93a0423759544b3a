"""One node of a local cluster: its directory, its JVM process and its logs."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

from infra.kafka.jars import tail
from infra.kafka.layout import KafkaClusterError, NodeSpec


class Node:
    def __init__(self, spec: NodeSpec, node_dir: Path) -> None:
        self.spec = spec
        self.dir = node_dir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def props(self) -> Path:
        return self.dir / "server.properties"

    @property
    def server_log(self) -> Path:
        return self.dir / "logs" / "server.log"

    @property
    def stdout_log(self) -> Path:
        return self.dir / "stdout.log"

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def require_proc(self) -> subprocess.Popen[bytes]:
        if self.proc is None:
            raise KafkaClusterError(f"kafka node {self.spec.node_id} was never started")
        return self.proc

    def log_tail(self) -> str:
        parts = []
        for path in (self.stdout_log, self.server_log):
            if path.is_file() and path.stat().st_size:
                parts.append(f"--- {path} ---\n{tail(path.read_text(errors='replace'))}")
        return "\n".join(parts) or f"(no output in {self.dir})"


def signal_group(node: Node, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(node.require_proc().pid, sig)
