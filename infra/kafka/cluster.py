"""Local Apache Kafka KRaft clusters (1 or 3 combined broker+controller JVMs) on loopback.

Each node lives in ``<data_dir>/node-<id>/`` (server.properties, kraft log dirs, logs/).
``<data_dir>/layout.json`` pins the cluster id and ports so a restart reuses the same
storage and bootstrap address. A state file (pids, ports, bootstrap) lets a separate CLI
invocation report on or stop a cluster it did not start.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Coroutine
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import structlog
from aiokafka.admin import AIOKafkaAdminClient

from infra.kafka.jars import LOG4J2_CONFIG, KafkaSetupError, ensure_jars, require_java, tail
from infra.kafka.secure_broker import (
    AclRule,
    SecurityConfig,
    TlsFiles,
    admin_client_options,
    create_acls,
    ensure_tls,
    secure_properties,
)
from infra.settings import Settings

log = structlog.get_logger(__name__)

HOST = "127.0.0.1"
_T = TypeVar("_T")
_FORMAT_TIMEOUT_S = 120.0
_POLL_S = 0.5


class KafkaClusterError(RuntimeError):
    """A node would not start, did not become ready, or the on-disk layout does not fit."""


@dataclass(frozen=True)
class NodeSpec:
    node_id: int
    broker_port: int
    controller_port: int


@dataclass(frozen=True)
class Layout:
    """What must stay fixed across restarts of the same data dir."""

    cluster_id: str
    nodes: tuple[NodeSpec, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Layout:
        raw = json.loads(text)
        return cls(str(raw["cluster_id"]), tuple(NodeSpec(**n) for n in raw["nodes"]))


@dataclass(frozen=True)
class ClusterState:
    """The state file's content: enough for another process to find and stop the nodes."""

    bootstrap: str
    data_dir: str
    pids: dict[int, int | None]
    broker_ports: dict[int, int]
    controller_ports: dict[int, int]
    alive: dict[int, bool] = field(default_factory=dict)

    def to_json(self) -> str:
        raw = asdict(self)
        raw.pop("alive")
        return json.dumps(raw, indent=2)

    @classmethod
    def from_json(cls, text: str) -> ClusterState:
        raw = json.loads(text)

        def ints(d: dict[str, Any]) -> dict[int, Any]:
            return {int(k): v for k, v in d.items()}

        return cls(
            bootstrap=str(raw["bootstrap"]),
            data_dir=str(raw["data_dir"]),
            pids=ints(raw["pids"]),
            broker_ports=ints(raw["broker_ports"]),
            controller_ports=ints(raw["controller_ports"]),
        )


def new_cluster_id() -> str:
    """Kafka's cluster id format: 16 random bytes, url-safe base64 without padding (22 chars)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    """Free to listen on, as the JVM binds (SO_REUSEADDR): a killed node's TIME_WAIT
    connections on the port do not count, a live listener does."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0):
            return True
    except OSError:
        return False


def new_layout(nodes: int) -> Layout:
    ports = _distinct_free_ports(2 * nodes)
    specs = tuple(NodeSpec(i + 1, ports[2 * i], ports[2 * i + 1]) for i in range(nodes))
    return Layout(new_cluster_id(), specs)


def _distinct_free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def server_properties(spec: NodeSpec, layout: Layout, node_dir: Path) -> dict[str, str]:
    n = len(layout.nodes)
    voters = ",".join(f"{s.node_id}@{HOST}:{s.controller_port}" for s in layout.nodes)
    replicas = str(min(3, n))
    return {
        "process.roles": "broker,controller",
        "node.id": str(spec.node_id),
        # A static quorum for every size: no --standalone / --initial-controllers dance.
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://{HOST}:{spec.broker_port},CONTROLLER://{HOST}:{spec.controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{spec.broker_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(node_dir / "kraft"),
        "num.partitions": "6",
        "auto.create.topics.enable": "false",
        "group.initial.rebalance.delay.ms": "0",
        # Fence a dead node after 6s instead of 9s: fault tests wait on this.
        "broker.heartbeat.interval.ms": "1000",
        "broker.session.timeout.ms": "6000",
        "default.replication.factor": replicas,
        "offsets.topic.replication.factor": replicas,
        "transaction.state.log.replication.factor": replicas,
        "min.insync.replicas": "2" if n >= 3 else "1",
        "transaction.state.log.min.isr": "2" if n >= 3 else "1",
        "share.coordinator.state.topic.replication.factor": replicas,
        "share.coordinator.state.topic.min.isr": "2" if n >= 3 else "1",
    }


def _write_properties(path: Path, props: dict[str, str]) -> None:
    path.write_text("".join(f"{k}={_escape(v)}\n" for k, v in props.items()))


def _escape(value: str) -> str:
    # java.util.Properties: a backslash escapes, a newline ends the value (inline PEM has both).
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _java_cmd(java: str, libs: Path, node_dir: Path, heap: str, main: str) -> list[str]:
    return [
        java,
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={LOG4J2_CONFIG}",
        f"-Dkafka.logs.dir={node_dir / 'logs'}",
        "-cp",
        f"{libs}/*",
        main,
    ]


def _run_async(make: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine on a private loop in a worker thread: safe whether or not the caller
    (a sync fixture, an async test, the CLI) already has an event loop in this thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, make).result()


async def _live_broker_ids(bootstrap: str, options: dict[str, Any]) -> set[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000, **options)
    try:
        await admin.start()
        info = await admin.describe_cluster()
    finally:
        await admin.close()
    return {int(b["node_id"]) for b in info["brokers"]}


def _pid_is_node(pid: int, props_path: Path) -> bool:
    """Alive and still our JVM (guards against pid reuse after a reboot or crash)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    zombie = stat.rsplit(")", 1)[-1].split()[0] == "Z"
    return not zombie and b"kafka.Kafka" in cmdline and str(props_path).encode() in cmdline


class _Node:
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


class KafkaCluster:
    """N KRaft nodes with combined roles, each a JVM in its own session (process group).

    With ``security`` the nodes serve clients only over SASL_SSL (SCRAM users, ACLs enforced;
    see infra.kafka.secure_broker); without it, PLAINTEXT as before.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        nodes: int = 1,
        settings: Settings | None = None,
        state_file: Path | None = None,
        heap: str = "512m",
        ready_timeout_s: float = 90.0,
        stop_timeout_s: float = 30.0,
        security: SecurityConfig | None = None,
    ) -> None:
        if nodes < 1:
            raise ValueError("nodes must be >= 1")
        self.data_dir = data_dir.resolve()
        self.settings = settings or Settings()
        self.state_file = state_file or self.data_dir / "state.json"
        self.heap = heap
        self.ready_timeout_s = ready_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self._node_count = nodes
        self._layout: Layout | None = None
        self._nodes: list[_Node] = []
        self._java = ""
        self._libs = Path()
        self.security = security
        self._tls: TlsFiles | None = None
        self._internal_ports: dict[int, int] = {}

    # -- public API -------------------------------------------------------------------------

    @property
    def node_count(self) -> int:
        return self._node_count

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"{HOST}:{n.spec.broker_port}" for n in self._require_nodes())

    def node_dir(self, index: int) -> Path:
        return self._require_nodes()[index].dir

    @property
    def ca_file(self) -> Path:
        """The CA certificate clients trust (secure mode only)."""
        return self._require_tls().ca_cert

    def admin_client_options(self) -> dict[str, Any]:
        """aiokafka options that connect as the admin super user; empty for PLAINTEXT."""
        if self.security is None:
            return {}
        return admin_client_options(self.security, self._require_tls())

    def create_acls(self, rules: list[AclRule]) -> None:
        """Grant ``rules`` as the admin; returns once the broker enforces them (secure mode)."""
        if self.security is None:
            raise KafkaClusterError("ACLs need a cluster started with security=")
        count = _run_async(create_acls(self.bootstrap_servers, self.admin_client_options(), rules))
        log.info("kafka_acls_created", bindings=count)

    def pids(self) -> dict[int, int | None]:
        return {n.spec.node_id: n.require_proc().pid if n.running() else None for n in self._nodes}

    def start(self) -> None:
        """Format (first time only), launch every node, and wait until all serve metadata."""
        layout = self._load_or_create_layout()
        self._java = require_java()
        self._libs = ensure_jars(self.settings)
        self._nodes = [_Node(s, self.data_dir / f"node-{s.node_id}") for s in layout.nodes]
        if self.security is not None:
            self._tls = ensure_tls(self.data_dir / "tls")
            self._internal_ports = self._pick_internal_ports(layout)
        self._check_ports_free()
        self._format_all(layout)
        try:
            for node in self._nodes:
                self._spawn(node)
            self._wait_for({n.spec.node_id for n in self._nodes})
        except BaseException:
            self.stop()
            raise
        self._write_state()
        log.info("kafka_cluster_started", bootstrap=self.bootstrap_servers, pids=self.pids())

    def stop(self) -> None:
        """SIGTERM every node's process group, SIGKILL whatever outlives the timeout."""
        running = [n for n in self._nodes if n.running()]
        for node in running:
            _signal_group(node, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout_s
        for node in running:
            self._reap(node, deadline)
        self.state_file.unlink(missing_ok=True)
        if running:
            log.info("kafka_cluster_stopped", data_dir=str(self.data_dir))

    def kill_node(self, index: int) -> None:
        """SIGKILL one node (a crash, no controlled shutdown); its storage and ports stay."""
        node = self._require_nodes()[index]
        if node.running():
            _signal_group(node, signal.SIGKILL)
            node.require_proc().wait()
        self._write_state()
        log.info("kafka_node_killed", node_id=node.spec.node_id)

    def start_node(self, index: int) -> None:
        """Restart one node on its data dir and ports; returns once it is back in metadata."""
        node = self._require_nodes()[index]
        if node.running():
            return
        if not port_is_free(node.spec.broker_port):
            raise KafkaClusterError(
                f"port {node.spec.broker_port} of node {node.spec.node_id} is busy"
            )
        self._spawn(node)
        self._wait_for({node.spec.node_id})
        self._write_state()
        log.info(
            "kafka_node_started", node_id=node.spec.node_id, pid=self.pids()[node.spec.node_id]
        )

    def state(self) -> ClusterState:
        nodes = self._require_nodes()
        pids = self.pids()
        return ClusterState(
            bootstrap=self.bootstrap_servers,
            data_dir=str(self.data_dir),
            pids=pids,
            broker_ports={n.spec.node_id: n.spec.broker_port for n in nodes},
            controller_ports={n.spec.node_id: n.spec.controller_port for n in nodes},
            alive={k: v is not None for k, v in pids.items()},
        )

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals --------------------------------------------------------------------------

    def _require_tls(self) -> TlsFiles:
        if self._tls is None:
            raise KafkaClusterError("no TLS files: start a cluster with security= first")
        return self._tls

    def _pick_internal_ports(self, layout: Layout) -> dict[int, int]:
        # The inter-broker listener exists only in secure mode, so it is not in layout.json;
        # brokers re-register their endpoints at start, so a new port per start() is fine.
        taken = {p for s in layout.nodes for p in (s.broker_port, s.controller_port)}
        ports = [p for p in _distinct_free_ports(len(layout.nodes) + len(taken)) if p not in taken]
        return {s.node_id: ports[i] for i, s in enumerate(layout.nodes)}

    def _node_properties(self, node: _Node, layout: Layout) -> dict[str, str]:
        props = server_properties(node.spec, layout, node.dir)
        if self.security is not None:
            props.update(
                secure_properties(
                    host=HOST,
                    broker_port=node.spec.broker_port,
                    internal_port=self._internal_ports[node.spec.node_id],
                    controller_port=node.spec.controller_port,
                    tls=self._require_tls(),
                    security=self.security,
                )
            )
        return props

    def _require_nodes(self) -> list[_Node]:
        if not self._nodes:
            raise KafkaClusterError("cluster not started")
        return self._nodes

    def _load_or_create_layout(self) -> Layout:
        path = self.data_dir / "layout.json"
        if path.is_file():
            layout = Layout.from_json(path.read_text())
            if len(layout.nodes) != self._node_count:
                raise KafkaClusterError(
                    f"{self.data_dir} holds a {len(layout.nodes)}-node cluster, "
                    f"not {self._node_count}; use another data dir or delete it"
                )
        else:
            layout = new_layout(self._node_count)
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(layout.to_json())
        self._layout = layout
        return layout

    def _check_ports_free(self) -> None:
        busy = [
            p
            for n in self._nodes
            for p in (n.spec.broker_port, n.spec.controller_port)
            if not port_is_free(p)
        ]
        if busy:
            raise KafkaClusterError(
                f"ports {busy} on {HOST} are in use (another broker on {self.data_dir}?)"
            )

    def _format_all(self, layout: Layout) -> None:
        """Write configs and format storage; formats run in parallel as JVM start-up dominates."""
        pending: list[tuple[_Node, subprocess.Popen[str]]] = []
        for node in self._nodes:
            (node.dir / "logs").mkdir(parents=True, exist_ok=True)
            if self.security is not None:
                # Restricted before writing: the file holds the broker's private key.
                node.props.touch(mode=0o600)
                node.props.chmod(0o600)
            _write_properties(node.props, self._node_properties(node, layout))
            if not (node.dir / "kraft" / "meta.properties").is_file():
                pending.append((node, self._start_format(node, layout.cluster_id)))
        for node, proc in pending:
            try:
                out, _ = proc.communicate(timeout=_FORMAT_TIMEOUT_S)
            except subprocess.TimeoutExpired as exc:
                proc.kill()
                proc.communicate()
                raise KafkaClusterError(f"formatting node {node.spec.node_id} timed out") from exc
            if proc.returncode != 0:
                raise KafkaClusterError(
                    f"formatting node {node.spec.node_id} failed (exit {proc.returncode}):\n"
                    + tail(out)
                )

    def _start_format(self, node: _Node, cluster_id: str) -> subprocess.Popen[str]:
        cmd = _java_cmd(self._java, self._libs, node.dir, "256m", "kafka.tools.StorageTool")
        # "--cluster-id=<id>": a random id may start with "-", which argparse would take
        # for an option if passed as a separate argument.
        cmd += ["format", "--ignore-formatted", f"--cluster-id={cluster_id}", "-c", str(node.props)]
        if self.security is not None:
            # SCRAM users go into the metadata log at format time: the broker authenticates
            # the admin before any client could have created a user.
            cmd += self.security.scram_format_args()
        return subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )

    def _spawn(self, node: _Node) -> None:
        cmd = _java_cmd(self._java, self._libs, node.dir, self.heap, "kafka.Kafka")
        cmd.append(str(node.props))
        with node.stdout_log.open("ab") as out:
            # Own session: the JVM outlives a detaching CLI and can be signalled as a group.
            node.proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=node.dir,
                start_new_session=True,
            )
        log.debug("kafka_node_spawned", node_id=node.spec.node_id, pid=node.proc.pid)

    def _wait_for(self, node_ids: set[int]) -> None:
        deadline = time.monotonic() + self.ready_timeout_s
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            self._raise_if_exited(node_ids)
            # Cheap TCP probe first: the admin client logs an error per refused connection.
            if not all(_port_open(n.spec.broker_port) for n in self._select(node_ids)):
                last_error = "broker port not listening yet"
                time.sleep(_POLL_S)
                continue
            try:
                live = _run_async(
                    _live_broker_ids(self.bootstrap_servers, self.admin_client_options())
                )
            except Exception as exc:  # any client error just means "not ready yet"
                last_error = f"{type(exc).__name__}: {exc}"
            else:
                if node_ids <= live:
                    return
                last_error = f"live brokers {sorted(live)}, waiting for {sorted(node_ids)}"
            time.sleep(_POLL_S)
        raise KafkaClusterError(
            f"kafka nodes {sorted(node_ids)} not ready after {self.ready_timeout_s:.0f}s "
            f"({last_error})\n" + self._tails(node_ids)
        )

    def _select(self, node_ids: set[int]) -> list[_Node]:
        return [n for n in self._nodes if n.spec.node_id in node_ids]

    def _raise_if_exited(self, node_ids: set[int]) -> None:
        for node in self._select(node_ids):
            if node.proc is not None:
                code = node.proc.poll()
                if code is not None:
                    raise KafkaClusterError(
                        f"kafka node {node.spec.node_id} exited with {code} during start-up\n"
                        + node.log_tail()
                    )

    def _tails(self, node_ids: set[int]) -> str:
        return "\n".join(n.log_tail() for n in self._select(node_ids))

    def _reap(self, node: _Node, deadline: float) -> None:
        proc = node.require_proc()
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("kafka_node_sigkill", node_id=node.spec.node_id, pid=proc.pid)
            _signal_group(node, signal.SIGKILL)
            proc.wait()

    def _write_state(self) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(self.state().to_json())
        tmp.replace(self.state_file)


def _signal_group(node: _Node, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(node.require_proc().pid, sig)


# -- CLI-facing functions: one cluster per settings.home, found again through the state file --


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
        node_id: pid is not None and _pid_is_node(pid, _props_path(recorded, node_id))
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
    while process_running(pid, started) or any(_port_open(port) for port in ports):
        if time.monotonic() >= deadline:
            log.warning("kafka_node_sigkill", pid=pid)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.1)


__all__ = [
    "ClusterState",
    "KafkaCluster",
    "KafkaClusterError",
    "KafkaSetupError",
    "Layout",
    "NodeSpec",
    "cluster_status",
    "start_cluster",
    "stop_cluster",
]
