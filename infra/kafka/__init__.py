"""Embedded Apache Kafka (KRaft) for development and tests: jars from Maven Central, local JVMs."""

from __future__ import annotations

from infra.kafka.cluster import KafkaCluster
from infra.kafka.detached import cluster_status, start_cluster, stop_cluster
from infra.kafka.jars import KafkaSetupError, ensure_jars
from infra.kafka.layout import KafkaClusterError

__all__ = [
    "KafkaCluster",
    "KafkaClusterError",
    "KafkaSetupError",
    "cluster_status",
    "ensure_jars",
    "start_cluster",
    "stop_cluster",
]
