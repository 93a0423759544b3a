"""Which send errors a retry may cure: the rest are never retried (agents.emit)."""

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
from faust.exceptions import ProducerSendError

from agents.emit import cause_of, is_permanent, is_too_large


def wrapped(error: BaseException) -> ProducerSendError:
    """What Faust raises when the producer refuses a send at once."""
    try:
        raise ProducerSendError(f"Error while sending: {error!r}") from error
    except ProducerSendError as exc:
        return exc


PERMANENT = [
    MessageSizeTooLargeError(),
    RecordListTooLargeError(),
    RecordTooLargeError(),
    InvalidTopicError(),
    TopicAuthorizationFailedError(),
    ClusterAuthorizationFailedError(),
    TypeError("the serializer refused the value"),
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
def test_errors_no_retry_can_cure_are_permanent(error: BaseException) -> None:
    assert is_permanent(error)
    assert is_permanent(wrapped(error))


@pytest.mark.parametrize("error", PASSING, ids=lambda e: type(e).__name__)
def test_errors_that_may_pass_are_retried(error: BaseException) -> None:
    assert not is_permanent(error)
    assert not is_permanent(wrapped(error))


@pytest.mark.parametrize(
    "error", [MessageSizeTooLargeError(), RecordListTooLargeError(), RecordTooLargeError()]
)
def test_records_too_large_are_told_apart(error: BaseException) -> None:
    assert is_too_large(error)
    assert is_too_large(wrapped(error))


@pytest.mark.parametrize("error", [TopicAuthorizationFailedError(), NotLeaderForPartitionError()])
def test_other_errors_are_not_too_large(error: BaseException) -> None:
    assert not is_too_large(error)


def test_the_cause_of_a_wrapped_error_is_the_brokers() -> None:
    error = MessageSizeTooLargeError()
    assert cause_of(wrapped(error)) is error
    assert cause_of(error) is error
