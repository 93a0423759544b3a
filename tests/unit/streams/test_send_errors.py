"""Which send errors a retry may cure: the rest are never retried, but handed to the policy
for a stand-in or stop the worker (streams.runtime.kafka_sink)."""

from __future__ import annotations

import pytest
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    InvalidTopicError,
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotEnoughReplicasError,
    NotLeaderForPartitionError,
    ProducerClosed,
    RecordListTooLargeError,
    RecordTooLargeError,
    RequestTimedOutError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)

from streams.runtime.kafka_sink import failure, is_too_large

PERMANENT = [
    MessageSizeTooLargeError(),
    RecordListTooLargeError(),
    RecordTooLargeError(),
    InvalidTopicError(),
    TopicAuthorizationFailedError(),
    ClusterAuthorizationFailedError(),
    TypeError("aiokafka refused to build the record"),
    ValueError("aiokafka refused to build the record"),
]
PASSING = [
    NotLeaderForPartitionError(),
    NotEnoughReplicasError(),
    UnknownTopicOrPartitionError(),
    RequestTimedOutError(),
    KafkaTimeoutError(),
    KafkaConnectionError(),
    ProducerClosed(),
    TimeoutError(),
    ConnectionResetError(),
]


@pytest.mark.parametrize("error", PERMANENT, ids=lambda e: type(e).__name__)
def test_errors_no_retry_can_cure_are_not_retried(error: BaseException) -> None:
    failed = failure(error)
    assert not failed.retriable
    assert failed.error is error


@pytest.mark.parametrize("error", PASSING, ids=lambda e: type(e).__name__)
def test_errors_that_may_pass_are_retried(error: BaseException) -> None:
    assert failure(error).retriable


@pytest.mark.parametrize(
    "error", [MessageSizeTooLargeError(), RecordListTooLargeError(), RecordTooLargeError()]
)
def test_records_too_large_are_told_apart(error: BaseException) -> None:
    assert is_too_large(error)


@pytest.mark.parametrize("error", [TopicAuthorizationFailedError(), NotLeaderForPartitionError()])
def test_other_errors_are_not_too_large(error: BaseException) -> None:
    assert not is_too_large(error)
