"""The deployment files parse and say what the README says they do (they are not run here:
no Docker or Kubernetes on these machines)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from streams.admin import catalog_names
from streams.topics import changelog_partitions

# PyYAML is not a declared dependency (it arrives with jsonschema-path): skip without it.
yaml: Any = pytest.importorskip("yaml")

DEPLOY = Path(__file__).resolve().parents[3] / "infra" / "deploy"
K8S = sorted((DEPLOY / "k8s").glob("*.yaml"))


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def test_compose_runs_kafka_postgres_workers_projector_and_dashboard() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    kafka = [name for name in services if name.startswith("kafka-")]
    assert len(kafka) == 3
    assert all(services[n]["image"].startswith("apache/kafka:") for n in kafka)
    voters = services["kafka-1"]["environment"]["KAFKA_CONTROLLER_QUORUM_VOTERS"]
    assert voters.count("@") == 3
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["worker"]["command"] == ["worker"]
    assert services["projector"]["command"] == ["project"]
    assert services["dashboard"]["command"][0] == "dashboard"
    assert services["worker"]["environment"]["LIUDONG_REPLICATION_FACTOR"] == "3"


@pytest.mark.parametrize("path", K8S, ids=lambda p: p.name)
def test_every_manifest_parses_with_kind_and_name(path: Path) -> None:
    for doc in _documents(path):
        if path.name == "kustomization.yaml":
            assert doc["kind"] == "Kustomization"
            continue
        assert doc["apiVersion"]
        assert doc["kind"]
        assert doc["metadata"]["name"]


def test_kustomization_lists_existing_files_but_not_the_secret_example() -> None:
    (kustomization,) = _documents(DEPLOY / "k8s" / "kustomization.yaml")
    resources = kustomization["resources"]
    assert "secrets.example.yaml" not in resources
    for name in resources:
        assert (DEPLOY / "k8s" / name).exists()


def test_strimzi_cluster_is_kraft_with_three_node_pool_replicas() -> None:
    docs = _documents(DEPLOY / "k8s" / "kafka.yaml")
    (pool,) = [d for d in docs if d["kind"] == "KafkaNodePool"]
    (kafka,) = [d for d in docs if d["kind"] == "Kafka"]
    assert pool["spec"]["replicas"] == 3
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    topics = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "KafkaTopic"}
    # Everything the processes check for at start, or they refuse to start.
    assert set(topics) == set(catalog_names("liudong"))
    # Each changelog has as many partitions as its agent's input (the registry has one).
    partitions = topics["liudong.county-events"]["partitions"]
    for name, count in changelog_partitions("liudong", partitions).items():
        assert topics[name]["partitions"] == count, name
    assert topics["liudong-workers-registry-gate-state-changelog"]["partitions"] == 1


def test_worker_deployment_runs_liudong_worker_with_secret_references() -> None:
    (deployment,) = _documents(DEPLOY / "k8s" / "worker.yaml")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["worker"]
    secrets = {
        e["name"]: e["valueFrom"]["secretKeyRef"]["name"]
        for e in container["env"]
        if "valueFrom" in e
    }
    assert secrets == {
        "LIUDONG_REGION_PUBLIC_KEY": "liudong-region",
        "LIUDONG_PERSON_KEY_SECRET": "liudong-region",
    }
    assert container["envFrom"][0]["configMapRef"]["name"] == "liudong-config"
