"""What a local cluster keeps on disk: its layout (cluster id and ports, fixed across
restarts of one data dir) and its state file (pids and ports, for another process to find and
stop the nodes)."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from infra.kafka.ports import distinct_free_ports


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


def new_layout(nodes: int) -> Layout:
    ports = distinct_free_ports(2 * nodes)
    specs = tuple(NodeSpec(i + 1, ports[2 * i], ports[2 * i + 1]) for i in range(nodes))
    return Layout(new_cluster_id(), specs)
