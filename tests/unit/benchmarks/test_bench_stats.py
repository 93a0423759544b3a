"""The benchmark's pure statistics: percentiles, ratios, rates, targets and the table."""

from __future__ import annotations

import pytest

from benchmarks.stats import (
    Row,
    Target,
    duration_text,
    extrapolate_linear,
    linear_rate,
    misses,
    percentile,
    rate,
    ratio,
    render_table,
    shortfall,
    thirds_ratio,
)


def test_percentile_interpolates_like_numpy_default() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(values, 99) == pytest.approx(3.97)


def test_percentile_of_one_value_and_unsorted_input() -> None:
    assert percentile([7.0], 99) == 7.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0


@pytest.mark.parametrize("q", [-1.0, 100.5])
def test_percentile_refuses_out_of_range_q(q: float) -> None:
    with pytest.raises(ValueError, match="q must be"):
        percentile([1.0], q)


def test_percentile_refuses_empty_sample() -> None:
    with pytest.raises(ValueError, match="empty"):
        percentile([], 50)


def test_ratio_and_rate_handle_missing_and_zero() -> None:
    assert ratio(10.0, 4.0) == 2.5
    assert ratio(None, 4.0) is None
    assert ratio(1.0, None) is None
    assert ratio(1.0, 0.0) is None
    assert rate(100, 2.0) == 50.0
    assert rate(0, 2.0) is None
    assert rate(10, 0.0) is None


def test_linear_rate_skips_startup_and_idle_tail() -> None:
    samples = [(0.0, 0), (5.0, 0), (6.0, 100), (7.0, 200), (8.0, 300), (20.0, 300)]
    # Progress opens after t=5 and the final count shows at t=8: 300 in 3 s.
    assert linear_rate(samples) == pytest.approx(100.0)


def test_linear_rate_without_progress_is_none() -> None:
    assert linear_rate([]) is None
    assert linear_rate([(0.0, 5), (1.0, 5)]) is None


def test_target_comparisons() -> None:
    assert Target(">=", 0.25).met(0.3) is True
    assert Target(">=", 0.25).met(0.2) is False
    assert Target("<=", 5.0).met(5.0) is True
    assert Target("<=", 5.0).met(None) is None
    assert Target(">=", 1.7).text() == ">= 1.70x"


def test_row_verdict_on_ratio_or_on_value() -> None:
    on_ratio = Row("pipeline", 100.0, "events/s", "raw", 0.1, Target(">=", 0.25))
    on_value = Row(
        "memory", 1.5, "GiB", target=Target("<=", 2.0), target_unit=" GiB", target_on_value=True
    )
    assert on_ratio.verdict is False
    assert on_value.verdict is True
    assert misses([on_ratio, on_value]) == [on_ratio]
    assert on_ratio.as_json()["met"] is False


def test_render_table_shows_ratio_target_and_result() -> None:
    rows = [
        Row("raw consume + decode", 20_000.0, "events/s", note="the ceiling"),
        Row("pipeline", 1_000.0, "events/s", "raw", 0.05, Target(">=", 0.25)),
        Row("replay", None, "events/s", "raw", None, Target(">=", 0.7)),
    ]
    table = render_table(rows).splitlines()
    assert table[0].startswith("| figure |")
    assert table[2] == "| raw consume + decode | 20,000 events/s |  |  |  | the ceiling |"
    assert "0.05x raw" in table[3]
    assert ">= 0.25x" in table[3]
    assert "MISS" in table[3]
    assert "n/a" in table[4]


def test_render_table_escapes_pipes() -> None:
    table = render_table([Row("a|b", 1.0, "s", note="x|y")])
    assert "a/b" in table
    assert "x/y" in table


def test_extrapolate_linear() -> None:
    assert extrapolate_linear(100.0, 200.0, 10_000, 1_000_000) == pytest.approx(10_100.0)
    assert extrapolate_linear(100.0, 90.0, 10, 100) == 100.0
    assert extrapolate_linear(100.0, 200.0, 0, 100) is None


def test_shortfall_says_how_far_from_target() -> None:
    short = Row("pipeline", 100.0, "events/s", "raw", 0.05, Target(">=", 0.25))
    over = Row("p99", 30.0, "ms", "raw p99", 10.0, Target("<=", 5.0))
    assert shortfall(short) == "5.00x short"
    assert shortfall(over) == "2.00x over"
    assert shortfall(Row("x", None, "s", "raw", None, Target(">=", 1.0))) == "no figure"


def test_extrapolate_two_points() -> None:
    from benchmarks.stats import extrapolate_two_points

    assert extrapolate_two_points(1_000, 0.1, 101_000, 0.6, 1_001_000) == pytest.approx(5.1)
    assert extrapolate_two_points(1_000, 0.5, 101_000, 0.4, 1_001_000) == 0.4  # never shrinks
    assert extrapolate_two_points(10, 1.0, 10, 2.0, 100) is None


def test_duration_text_picks_a_readable_unit() -> None:
    assert duration_text(42.4) == "42 s"
    assert duration_text(7 * 60) == "7 min"
    assert duration_text(50 * 60) == "50 min"
    assert duration_text(2.5 * 3600) == "2.5 h"


def test_thirds_ratio_compares_the_end_of_a_run_with_its_start() -> None:
    # Start-up idle until t=2, then 100/s for the first 300, then 50/s for the rest.
    steady = [(0.0, 0), (1.0, 0), (2.0, 0), (3.0, 100), (4.0, 200), (5.0, 300)]
    slower = [(7.0, 400), (9.0, 500), (11.0, 600), (13.0, 700), (15.0, 800), (17.0, 900)]
    assert thirds_ratio(steady + slower) == 0.5
    even = [(0.0, 0), (1.0, 0), *((2.0 + i, 100 * (i + 1)) for i in range(9))]
    assert thirds_ratio(even) == 1.0


def test_thirds_ratio_without_progress_is_none() -> None:
    assert thirds_ratio([]) is None
    assert thirds_ratio([(0.0, 5), (1.0, 5)]) is None
