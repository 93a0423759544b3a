"""How much the runtime takes on at once, and how long it waits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    batch_max: int = 2000  # records per batch
    # A batch's state and position go out as one record batch: below the producer's batch
    # size and the broker's message.max.bytes (1 MiB by default), with room for overheads.
    state_bytes_max: int = 512 * 1024
    queue_max: int = 4000  # records fetched ahead per partition before its fetching pauses
    fetch_timeout_s: float = 0.5  # longest a fetch waits when nothing arrives
    commit_interval_s: float = 1.0  # how often positions are committed to the group
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 5.0
    drain_timeout_s: float = 30.0  # a revoked partition's last batch, at most
    stop_timeout_s: float = 10.0  # in-flight batches on stop, at most
