"""How an agent's next input offset is stored, with state that must be durable with it."""

from __future__ import annotations

import pytest

from agents.input_position import position_key, position_record, read_position


def test_an_offset_alone_is_stored_as_its_number() -> None:
    assert position_record(42) == "42"
    assert read_position("42") == (42, {})


def test_state_stored_with_the_offset_comes_back_with_it() -> None:
    stored = position_record(7, {"clock": "2026-03-01T00:00:00+00:00"})
    assert stored == '{"clock":"2026-03-01T00:00:00+00:00","next_offset":7}'
    assert read_position(stored) == (7, {"clock": "2026-03-01T00:00:00+00:00"})


def test_nothing_stored_means_nothing_applied_yet() -> None:
    assert read_position(None) == (None, {})


@pytest.mark.parametrize("partition", [0, 11])
def test_each_partition_has_its_own_key(partition: int) -> None:
    assert position_key(partition) == f"{partition}:next_offset"
