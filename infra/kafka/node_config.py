"""A node's configuration: its ``server.properties`` and the JVM command line that runs it."""

from __future__ import annotations

from pathlib import Path

from infra.kafka.jars import LOG4J2_CONFIG
from infra.kafka.layout import Layout, NodeSpec
from infra.kafka.ports import HOST


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


def write_properties(path: Path, props: dict[str, str]) -> None:
    path.write_text(properties_text(props))


def properties_text(props: dict[str, str]) -> str:
    """``props`` as a ``.properties`` file: one line each."""
    return "".join(f"{k}={_escape(v)}\n" for k, v in props.items())


def _escape(value: str) -> str:
    # java.util.Properties: a backslash escapes, a newline ends the value (inline PEM has both).
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def java_cmd(java: str, libs: Path, node_dir: Path, heap: str, main: str) -> list[str]:
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
