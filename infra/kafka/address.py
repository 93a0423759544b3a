"""Where the Kafka cluster is: the one setting, else the cluster ``liudong kafka start`` left
running on this machine."""

from __future__ import annotations

import sys

from infra.settings import Settings


def resolve_bootstrap(settings: Settings) -> str | None:
    """LIUDONG_KAFKA_BOOTSTRAP, else the cluster `liudong kafka start` left running."""
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap
    # Imported here: every command resolves the cluster, few need the cluster's module.
    from infra.kafka.detached import cluster_status

    state = cluster_status(settings)
    if state is None:
        print(
            "error: no Kafka: run `liudong kafka start` or set LIUDONG_KAFKA_BOOTSTRAP",
            file=sys.stderr,
        )
        return None
    return state.bootstrap
