"""The cluster ``liudong kafka start`` leaves running: one per ``settings.home``, found
again through its state file by a later ``status`` or ``stop`` (another process, which cannot
reap the nodes it stops)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import structlog

from infra.kafka.cluster import KafkaCluster
from infra.kafka.layout import ClusterState, KafkaClusterError
from infra.kafka.ports import port_open
from infra.settings import Settings

log = structlog.get_logger(__name__)


def _cli_state_file(settings: Settings) -> Path:
    return settings.run_dir / "kafka.json"


def _cli_data_dir(settings: Settings, nodes: int) -> Path:
    return settings.home / "kafka" / f"{nodes}-node"


def start_cluster(settings: Settings, nodes: int = 1) -> ClusterState:
    """Start a detached cluster under ``settings.home``; it keeps running after we return."""
    if cluster_status(settings) is not None:
        raise KafkaClusterError(f"a cluster is already running (see {_cli_state_file(settings)})")
    cluster = KafkaCluster(
        _cli_data_dir(settings, nodes),
        nodes=nodes,
        settings=settings,
        state_file=_cli_state_file(settings),
    )
    cluster.start()
    return cluster.state()


def cluster_status(settings: Settings) -> ClusterState | None:
    """The recorded cluster with per-node liveness, or None when no node of it is alive."""
    path = _cli_state_file(settings)
    if not path.is_file():
        return None
    recorded = ClusterState.from_json(path.read_text())
    alive = {
        node_id: pid is not None and pid_is_node(pid, _props_path(recorded, node_id))
        for node_id, pid in recorded.pids.items()
    }
    if not any(alive.values()):
        return None
    return ClusterState(
        bootstrap=recorded.bootstrap,
        data_dir=recorded.data_dir,
        pids=recorded.pids,
        broker_ports=recorded.broker_ports,
        controller_ports=recorded.controller_ports,
        alive=alive,
    )


def stop_cluster(settings: Settings, timeout_s: float = 30.0) -> ClusterState | None:
    """Stop the recorded cluster (TERM, then KILL); None when nothing was running.

    Returns once every node's process has exited: all its threads gone and its ports
    closed (``_await_exit``)."""
    state = cluster_status(settings)
    if state is None:
        _cli_state_file(settings).unlink(missing_ok=True)
        return None
    pids = {n: p for n, p in state.pids.items() if p is not None and state.alive.get(n)}
    started = {pid: process_start_time(pid) for pid in pids.values()}  # tells a reused pid apart
    for pid in pids.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for node_id, pid in pids.items():
        ports = (state.broker_ports[node_id], state.controller_ports[node_id])
        _await_exit(pid, started[pid], ports, deadline)
    _cli_state_file(settings).unlink(missing_ok=True)
    log.info("kafka_cluster_stopped", data_dir=state.data_dir)
    return state


def _props_path(state: ClusterState, node_id: int) -> Path:
    return Path(state.data_dir) / f"node-{node_id}" / "server.properties"


def process_start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[19]
    except (OSError, IndexError):
        return None


def process_running(pid: int, started: str | None) -> bool:
    """Any thread of the process ``pid`` that started at ``started`` still running.

    A process that is not our child stays a zombie until its parent reaps it, and while it
    exits its command line reads empty before its last threads are gone: so its threads
    are what tell whether it still runs."""
    if started is None or process_start_time(pid) != started:
        return False  # gone, or the pid now names another process
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for task in tasks:
        try:
            stat = Path(f"/proc/{pid}/task/{task}/stat").read_text()
        except OSError:
            continue  # that thread is gone
        if stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X"):
            return True
    return False


def _await_exit(pid: int, started: str | None, ports: tuple[int, ...], deadline: float) -> None:
    """Wait for a node we cannot reap (not our child) to exit; SIGKILL it at the deadline.
    Exited means no thread left and its ports no longer accepting connections."""
    while process_running(pid, started) or any(port_open(port) for port in ports):
        if time.monotonic() >= deadline:
            log.warning("kafka_node_sigkill", pid=pid)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.1)


def pid_is_node(pid: int, props_path: Path) -> bool:
    """Alive and still our JVM (guards against pid reuse after a reboot or crash)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    zombie = stat.rsplit(")", 1)[-1].split()[0] == "Z"
    return not zombie and b"kafka.Kafka" in cmdline and str(props_path).encode() in cmdline
