"""The bookkeeping of a read up to end offsets fixed at one moment (no broker)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from aiokafka import TopicPartition

from contracts import unions
from streams.codec import DecodeError
from streams.read_bounds import ReadBounds
from streams.topic_reader import TopicReader, consumer_options


@dataclass(frozen=True)
class Record:
    offset: int


def records(*offsets: int) -> list[Record]:
    return [Record(o) for o in offsets]


def test_partitions_with_nothing_before_their_end_are_done_from_the_outset() -> None:
    bounds = ReadBounds({"a": 0, "b": 5, "c": 3}, {"c": 3})
    assert bounds.remaining == {"b"}
    assert not bounds.done


def test_an_empty_read_is_done_at_once() -> None:
    assert ReadBounds({}).done
    assert ReadBounds({"a": 0, "b": 0}).done
    assert ReadBounds({"a": 0, "b": 0}).reached_end == set()  # nothing read: left where it is


def test_only_records_between_start_and_end_are_given() -> None:
    bounds = ReadBounds({"a": 5}, {"a": 2})
    assert bounds.within("a", records(0, 1, 2, 3, 4, 5, 6)) == records(2, 3, 4)


def test_records_written_after_the_end_was_taken_are_left_out() -> None:
    bounds = ReadBounds({"a": 3})
    assert bounds.within("a", records(1, 2, 3, 4)) == records(1, 2)


def test_a_partition_is_done_when_the_position_reaches_its_end() -> None:
    bounds = ReadBounds({"a": 3, "b": 4})
    assert not bounds.reached("a", 2)
    assert bounds.remaining == {"a", "b"}
    assert bounds.reached("a", 3)
    assert bounds.remaining == {"b"}
    assert bounds.reached_end == {"a"}


def test_a_position_past_the_last_record_ends_it_though_no_record_sits_at_end_minus_one() -> None:
    """A transaction marker (or an aborted record) holds offset 9: the last record handed
    over is at 8, the position moves to 10, and the partition is done."""
    bounds = ReadBounds({"a": 10})
    assert bounds.within("a", records(7, 8)) == records(7, 8)
    assert bounds.reached("a", 10)
    assert bounds.done


def test_a_finished_partition_gives_nothing_more_and_stays_finished() -> None:
    bounds = ReadBounds({"a": 10, "b": 10})
    bounds.finish("a")
    assert bounds.remaining == {"b"}
    assert bounds.within("a", records(1, 2)) == []
    assert bounds.reached("a", 0)  # a low position does not bring it back
    assert bounds.remaining == {"b"}
    assert bounds.reached_end == set()  # finished early: its position is the caller's


def test_a_done_partition_gives_nothing_from_a_later_fetch() -> None:
    bounds = ReadBounds({"a": 2})
    bounds.reached("a", 2)
    assert bounds.within("a", records(0, 1)) == []


def test_starts_of_partitions_not_bounded_are_ignored() -> None:
    bounds = ReadBounds({"a": 4}, {"a": 1, "z": 9})
    assert bounds.starts == {"a": 1}
    assert bounds.remaining == {"a"}


def test_the_consumer_is_group_less_read_committed_and_never_commits() -> None:
    options = consumer_options("h:1", {"security_protocol": "SASL_SSL"}, fetch_max_wait_ms=10)
    assert options["group_id"] is None
    assert options["enable_auto_commit"] is False
    assert options["isolation_level"] == "read_committed"
    assert options["auto_offset_reset"] == "earliest"
    assert options["bootstrap_servers"] == "h:1"
    assert options["fetch_max_wait_ms"] == 10
    assert options["security_protocol"] == "SASL_SSL"


async def test_a_reader_used_before_it_is_opened_says_so() -> None:
    reader = TopicReader("127.0.0.1:9")
    assert not reader.is_open
    with pytest.raises(RuntimeError, match="open\\(\\) the topic reader first"):
        await reader.end_offsets([TopicPartition("any", 0)])
    await reader.close()  # closing a reader never opened is a no-op


def test_the_readers_codecs_take_its_size_limit() -> None:
    reader = TopicReader("127.0.0.1:9", max_record_bytes=64)
    codec = reader.codec(unions.CountyEvent)
    with pytest.raises(DecodeError) as refused:
        codec.decode(b"{" + b" " * 100 + b"}")
    assert refused.value.code == "oversize"
    with pytest.raises(DecodeError) as other:
        codec.decode(b"{" + b" " * 50 + b"}")
    assert other.value.code != "oversize"  # within the limit: refused for what it lacks
