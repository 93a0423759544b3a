"""Local Apache Kafka KRaft clusters (1 or 3 combined broker+controller JVMs) on loopback.

Each node lives in ``<data_dir>/node-<id>/`` (server.properties, kraft log dirs, logs/).
``<data_dir>/layout.json`` pins the cluster id and ports so a restart reuses the same
storage and bootstrap address (:mod:`infra.kafka.layout`). A state file (pids, ports,
bootstrap) lets a separate CLI invocation report on or stop a cluster it did not start
(:mod:`infra.kafka.detached`).
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import structlog

from infra.kafka.jars import ensure_jars, require_java, tail
from infra.kafka.layout import ClusterState, KafkaClusterError, Layout, new_layout
from infra.kafka.node import Node, signal_group
from infra.kafka.node_config import java_cmd, server_properties, write_properties
from infra.kafka.ports import HOST, distinct_free_ports, port_is_free
from infra.kafka.readiness import run_async, wait_until_serving
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

_FORMAT_TIMEOUT_S = 120.0


class KafkaCluster:
    """N KRaft nodes with combined roles, each a JVM in its own session (process group).

    With ``security`` the nodes serve clients only over SASL_SSL (SCRAM users, ACLs enforced;
    see infra.kafka.secure_broker); without it, PLAINTEXT.
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
        self._nodes: list[Node] = []
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
        count = run_async(create_acls(self.bootstrap_servers, self.admin_client_options(), rules))
        log.info("kafka_acls_created", bindings=count)

    def pids(self) -> dict[int, int | None]:
        return {n.spec.node_id: n.require_proc().pid if n.running() else None for n in self._nodes}

    def start(self) -> None:
        """Format (first time only), launch every node, and wait until all serve metadata."""
        layout = self._load_or_create_layout()
        self._java = require_java()
        self._libs = ensure_jars(self.settings)
        self._nodes = [Node(s, self.data_dir / f"node-{s.node_id}") for s in layout.nodes]
        if self.security is not None:
            self._tls = ensure_tls(self.data_dir / "tls")
            self._internal_ports = self._pick_internal_ports(layout)
        self._check_ports_free()
        self._format_all(layout)
        try:
            for node in self._nodes:
                self._spawn(node)
            self._wait_for(self._nodes)
        except BaseException:
            self.stop()
            raise
        self._write_state()
        log.info("kafka_cluster_started", bootstrap=self.bootstrap_servers, pids=self.pids())

    def stop(self) -> None:
        """SIGTERM every node's process group, SIGKILL whatever outlives the timeout."""
        running = [n for n in self._nodes if n.running()]
        for node in running:
            signal_group(node, signal.SIGTERM)
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
            signal_group(node, signal.SIGKILL)
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
        self._wait_for([node])
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
        ports = [p for p in distinct_free_ports(len(layout.nodes) + len(taken)) if p not in taken]
        return {s.node_id: ports[i] for i, s in enumerate(layout.nodes)}

    def _node_properties(self, node: Node, layout: Layout) -> dict[str, str]:
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

    def _require_nodes(self) -> list[Node]:
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
        pending: list[tuple[Node, subprocess.Popen[str]]] = []
        for node in self._nodes:
            (node.dir / "logs").mkdir(parents=True, exist_ok=True)
            if self.security is not None:
                # Restricted before writing: the file holds the broker's private key.
                node.props.touch(mode=0o600)
                node.props.chmod(0o600)
            write_properties(node.props, self._node_properties(node, layout))
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

    def _start_format(self, node: Node, cluster_id: str) -> subprocess.Popen[str]:
        cmd = java_cmd(self._java, self._libs, node.dir, "256m", "kafka.tools.StorageTool")
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

    def _spawn(self, node: Node) -> None:
        cmd = java_cmd(self._java, self._libs, node.dir, self.heap, "kafka.Kafka")
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

    def _wait_for(self, nodes: list[Node]) -> None:
        options = self.admin_client_options()
        wait_until_serving(nodes, self.bootstrap_servers, options, self.ready_timeout_s)

    def _reap(self, node: Node, deadline: float) -> None:
        proc = node.require_proc()
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("kafka_node_sigkill", node_id=node.spec.node_id, pid=proc.pid)
            signal_group(node, signal.SIGKILL)
            proc.wait()

    def _write_state(self) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(self.state().to_json())
        tmp.replace(self.state_file)


# The cluster's address and the error it raises, importable with it.
__all__ = ["HOST", "KafkaCluster", "KafkaClusterError"]
