"""Positions in the validated log and the cause a derived record names: what is read, and
what is refused with one line."""

from __future__ import annotations

import pytest

from audit.replay.positions import (
    CAUSE_HEADER,
    Cause,
    PositionError,
    cause_of,
    check_within,
    lowest,
    parse_cause,
    parse_position,
    show,
)


def test_a_cause_reads_from_the_right_so_topic_names_may_hold_dots_and_dashes() -> None:
    assert parse_cause(b"liudong.validated/3/1207") == Cause("liudong.validated", 3, 1207)
    assert parse_cause("r-1.a.validated/0/0") == Cause("r-1.a.validated", 0, 0)
    assert str(Cause("liudong.validated", 3, 1207)) == "liudong.validated/3/1207"


@pytest.mark.parametrize(
    "value", [b"", b"liudong.validated", b"liudong.validated/3", b"/3/4", b"t/x/4", b"t/3/-4"]
)
def test_a_malformed_cause_is_refused(value: bytes) -> None:
    with pytest.raises(PositionError, match="is not <topic>/<partition>/<offset>"):
        parse_cause(value)


def test_the_cause_header_is_found_among_others_and_a_bad_one_names_no_cause() -> None:
    headers = [("trace", b"x"), (CAUSE_HEADER, b"v/1/2")]
    assert cause_of(headers) == Cause("v", 1, 2)
    assert cause_of([("trace", b"x")]) is None
    assert cause_of(None) is None
    assert cause_of([(CAUSE_HEADER, b"garbage")]) is None


def test_a_position_is_partition_offset_pairs() -> None:
    assert parse_position("0:120,1:98, 2:0") == {0: 120, 1: 98, 2: 0}
    assert parse_position("validated=120,98,0") == {0: 120, 1: 98, 2: 0}
    printed = "obligations=269,344,229/alerts=43,35,134/validated=294,351,266"
    assert parse_position(printed) == {0: 294, 1: 351, 2: 266}  # as a bulletin states it
    assert show({1: 98, 0: 120}) == "0:120,1:98"
    assert lowest({0: 5, 1: 9}, {0: 7, 1: 2}, {2: 1}) == {0: 0, 1: 0, 2: 0}
    assert lowest({0: 5, 1: 9}, {0: 7, 1: 2}) == {0: 5, 1: 2}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0=120", "names no validated=OFFSET,... position"),
        ("0-120", "is not PARTITION:OFFSET"),
        ("0:120,", "is not PARTITION:OFFSET"),
        ("a:1", "is not PARTITION:OFFSET"),
        ("0:-1", "is not PARTITION:OFFSET"),
        ("0:1,0:2", "partition 0 is given twice"),
        ("obligations=1,2/alerts=3,4", "names no validated=OFFSET,... position"),
        ("validated=1,x", "offsets are whole numbers"),
    ],
)
def test_a_bad_position_is_one_line(text: str, message: str) -> None:
    with pytest.raises(PositionError, match=message) as refused:
        parse_position(text)
    assert "\n" not in str(refused.value)


def test_a_position_must_name_every_partition_and_stay_within_what_was_derived() -> None:
    check_within({0: 5, 1: 3}, [0, 1], {0: 5, 1: 4})
    with pytest.raises(PositionError, match="names no offset for partition 1"):
        check_within({0: 5}, [0, 1], {0: 5, 1: 4})
    with pytest.raises(PositionError, match="has no partition 2"):
        check_within({0: 5, 1: 3, 2: 0}, [0, 1], {0: 5, 1: 4})
    with pytest.raises(PositionError, match=r"partition 1: offset 9 is past the log's end \(4\)"):
        check_within({0: 5, 1: 9}, [0, 1], {0: 5, 1: 4}, limit="the log's end")
