"""Small numbers withheld (disclosure.bulletin.suppression), by hand-worked cases."""

from __future__ import annotations

import pytest

from disclosure.bulletin import suppression


@pytest.mark.parametrize(
    ("n", "shown"),
    [(0, "0"), (1, "<5"), (4, "<5"), (5, "5"), (123, "123")],
)
def test_a_count_below_the_threshold_is_withheld_zero_is_not(n: int, shown: str) -> None:
    assert suppression.count(n, 5).text == shown
    assert suppression.count(n, 5).exact == (shown == str(n))


def test_the_offices_edition_withholds_nothing() -> None:
    assert suppression.count(3, None).text == "3"
    assert suppression.fraction(3, 4, None) == (
        suppression.Shown("3", True),
        suppression.Shown("4", True),
    )


@pytest.mark.parametrize(
    ("numerator", "denominator", "shown"),
    [
        (12, 40, ("12", "40")),  # every part at least 5
        (0, 40, ("0", "40")),  # none of 40: no one singled out
        (40, 40, ("40", "40")),  # all of 40
        (3, 40, ("*", "40")),  # 3 is small
        (38, 40, ("*", "40")),  # 40 - 38 = 2 were not: small
        (3, 4, ("*", "<5")),  # all small
        (0, 3, ("*", "<5")),  # 0 of 3: 3 were not
        (0, 0, ("0", "0")),  # nothing to count
    ],
)
def test_a_fraction_is_whole_only_if_no_part_of_it_is_small(
    numerator: int, denominator: int, shown: tuple[str, str]
) -> None:
    num, den = suppression.fraction(numerator, denominator, 5)
    assert (num.text, den.text) == shown
    assert suppression.fraction_shown(numerator, denominator, 5) == (num.text == str(numerator))


def test_the_threshold_is_configurable() -> None:
    assert suppression.count(7, 10).text == "<10"
    assert suppression.fraction(7, 20, 10)[0].text == suppression.WITHHELD
    assert suppression.fraction(10, 20, 10)[0].text == "10"
