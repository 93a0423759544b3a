"""Each topic's size limit, and the producer batches that fit it (streams.topics)."""

from __future__ import annotations

import pytest

from streams import topics
from streams.codec import DEFAULT_MAX_BYTES


@pytest.mark.parametrize("max_event_bytes", [1024, DEFAULT_MAX_BYTES, 4 * 1024 * 1024])
def test_topic_limits_follow_what_the_gate_admits(max_event_bytes: int) -> None:
    overhead = topics.RECORD_OVERHEAD_BYTES
    assert topics.COUNTY_EVENTS.max_message_bytes(max_event_bytes) == max_event_bytes + overhead
    assert topics.REGISTRY.max_message_bytes(max_event_bytes) == max_event_bytes + overhead
    for spec in (topics.VALIDATED, topics.DEAD_LETTERS, topics.OBLIGATIONS):
        limit = spec.max_message_bytes(max_event_bytes)
        assert limit >= max_event_bytes + overhead  # an admitted event is forwarded whole
        assert limit >= topics.WORKER_BATCH_BYTES + overhead  # and the workers' batches
    config = topics.COUNTY_EVENTS.config(max_event_bytes)
    assert config["max.message.bytes"] == str(max_event_bytes + overhead)


def test_producer_batches_fit_the_topic_they_are_for() -> None:
    assert topics.batch_bytes("liudong.county-events") == DEFAULT_MAX_BYTES
    assert topics.batch_bytes("x.registry", 1000) == 1000
    assert topics.batch_bytes("liudong.validated") == topics.WORKER_BATCH_BYTES
    assert topics.batch_bytes("liudong-workers-cases-changelog") == topics.WORKER_BATCH_BYTES
