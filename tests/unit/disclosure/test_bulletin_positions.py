"""Log positions in the text form a bulletin prints and ``--at-position`` takes."""

from __future__ import annotations

import pytest

from disclosure.bulletin import positions


def test_text_and_parse_round_trip() -> None:
    text = "obligations=120,98,77/alerts=5,6,7/validated=1000,900,950"
    parsed = positions.parse(text)
    assert parsed["obligations"] == (120, 98, 77)
    assert positions.text(parsed) == text
    assert positions.from_json(positions.as_json(parsed)) == parsed


def test_topics_may_come_in_any_order_and_are_stated_in_one() -> None:
    parsed = positions.parse("validated=3/obligations=1/alerts=2")
    assert positions.text(parsed) == "obligations=1/alerts=2/validated=3"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not TOPIC=OFFSET"),
        ("obligations=1/alerts=2", "positions for validated are missing"),
        ("obligations=1/alerts=2/validated=x", "offsets are whole numbers"),
        ("obligations=1/alerts=2/validated=-1", "not negative"),
        ("obligations=1/alerts=2/validated=3/alerts=4", "given twice"),
        ("scorecards=1/obligations=1/alerts=2/validated=3", "is not TOPIC=OFFSET"),
        ("obligations:1", "is not TOPIC=OFFSET"),
    ],
)
def test_bad_positions_are_one_line(text: str, message: str) -> None:
    with pytest.raises(positions.PositionError, match=message) as caught:
        positions.parse(text)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "doc",
    [
        None,
        {"obligations": [1], "alerts": [2]},
        {"obligations": [1], "alerts": [2], "validated": ["3"]},
        {"obligations": [1], "alerts": [2], "validated": [True]},
        {"obligations": [1], "alerts": [2], "validated": 3},
    ],
)
def test_bad_json_positions_are_refused(doc: object) -> None:
    with pytest.raises(positions.PositionError):
        positions.from_json(doc)
