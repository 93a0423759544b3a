"""The bench's replay rows: the best of the repeated runs, the targets, and the national
year's arithmetic."""

from __future__ import annotations

import pytest

from benchmarks.replay import Run, best, national_hours, rows


def test_the_run_with_the_least_cpu_per_event_counts() -> None:
    busy, quiet = Run(1, 1000, 1.0, 0.09, 10), Run(1, 1000, 1.2, 0.06, 10)
    assert best([busy, quiet]) is quiet
    assert quiet.rate == pytest.approx(1000 / 1.2)
    assert quiet.cpu_per_event == pytest.approx(60e-6)


def test_a_national_year_is_its_events_at_the_cost_per_event_over_64_cores() -> None:
    assert national_hours(60e-6) == pytest.approx(1.5e9 * 60e-6 / 64 / 3600)
    assert national_hours(None) is None


def test_the_rows_carry_the_targets_of_the_issue() -> None:
    one, two = Run(1, 20_000, 1.0, 1.0, 5), Run(2, 20_000, 0.6, 1.1, 5)
    verified = Run(1, 20_000, 4.0, 4.0, 5)
    table = {r.figure: r for r in rows(50_000.0, one, two, verified)}
    single = table["replay (audit.replay), 1 process"]
    assert single.compared == pytest.approx(0.4)
    assert single.verdict is False  # >= 0.5x raw
    scaled = table["replay CPU per event, 2 processes"]
    assert scaled.compared == pytest.approx(1.1)
    assert scaled.verdict is True  # <= 1.15x one process
    year = table["national year on 64 processes (EXTRAPOLATED)"]
    assert year.value == pytest.approx(1.5e9 * 55e-6 / 64 / 3600)
