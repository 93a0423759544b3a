"""The ``liudong-cause`` header: written and read back, every malformed value refused with
a clear error, and the restriction to inputs up to a position."""

from __future__ import annotations

import pytest

from streams import cause
from streams.cause import Cause, CauseError


def test_a_cause_reads_back_as_written() -> None:
    written = Cause("liudong.county-events", 5, 1_234_567_890_123)
    name, value = written.header()
    assert name == "liudong-cause"
    assert value == b"liudong.county-events/5/1234567890123"
    assert cause.parse(value) == written
    assert str(written) == value.decode()


def test_the_cause_is_found_among_other_headers() -> None:
    headers = [("trace", b"x"), ("liudong-cause", b"p.validated/0/7")]
    assert cause.of(headers) == Cause("p.validated", 0, 7)
    assert cause.of([("trace", b"x")]) is None
    assert cause.of(None) is None
    assert cause.of([]) is None


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"topic",
        b"topic/1",
        b"/1/2",
        b"topic/-1/2",
        b"topic/1/",
        b"topic/1/2/3",
        b"topic/x/2",
        b"topic/1/0x10",
        "topic/١/2".encode(),  # an Arabic-Indic digit is not ASCII
        b"topic/1/2\xff",
    ],
)
def test_a_malformed_cause_is_refused_with_the_form_it_should_have(value: bytes) -> None:
    with pytest.raises(CauseError) as refused:
        cause.parse(value)
    assert "a cause is" in str(refused.value)
    with pytest.raises(CauseError):
        cause.of([("liudong-cause", value)])


def test_within_keeps_what_inputs_before_the_positions_caused() -> None:
    positions = {("p.validated", 0): 10, ("p.validated", 1): 0}
    assert Cause("p.validated", 0, 9).within(positions)
    assert not Cause("p.validated", 0, 10).within(positions)
    assert not Cause("p.validated", 1, 0).within(positions)
    assert not Cause("p.validated", 2, 0).within(positions)  # a partition not named
    assert not Cause("p.county-events", 0, 0).within(positions)
