"""Embedded Apache Kafka (KRaft) for development and tests: jars from Maven Central, local JVMs."""

from __future__ import annotations

from infra.kafka.cluster import (
    KafkaCluster,
    KafkaClusterError,
    cluster_status,
    start_cluster,
    stop_cluster,
)
from infra.kafka.jars import KafkaSetupError, ensure_jars

__all__ = [
    "KafkaCluster",
    "KafkaClusterError",
    "KafkaSetupError",
    "cluster_status",
    "ensure_jars",
    "start_cluster",
    "stop_cluster",
]
