"""Pure statistics for the benchmark: percentiles, ratios, targets and the markdown table.

No I/O and no clock: the runner measures, this module only computes and renders.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Comparison = Literal[">=", "<="]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by linear interpolation between closest ranks.

    The same definition as ``numpy.percentile``'s default; raises on an empty sample.
    """
    if not values:
        raise ValueError("percentile of an empty sample")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q must be between 0 and 100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return ordered[low]
    weight = position - low
    return ordered[low] * (1.0 - weight) + ordered[high] * weight


def ratio(value: float | None, baseline: float | None) -> float | None:
    """``value / baseline``, or None when either is missing or the baseline is not positive."""
    if value is None or baseline is None or baseline <= 0.0:
        return None
    return value / baseline


def rate(count: int, seconds: float) -> float | None:
    """Events per second, or None for an empty or instantaneous measurement."""
    if count <= 0 or seconds <= 0.0:
        return None
    return count / seconds


def linear_rate(samples: Sequence[tuple[float, int]]) -> float | None:
    """Sustained rate from ``(time, cumulative count)`` samples: count gained per second
    between the first sample that shows progress and the first that shows the final count.

    Start-up before the first progress and idling after the last are left out.
    """
    if not samples:
        return None
    first_count = samples[0][1]
    final = samples[-1][1]
    started = next(((t, n) for t, n in samples if n > first_count), None)
    done = next(((t, n) for t, n in samples if n == final), None)
    if started is None or done is None:
        return None
    # The sample before progress showed is when the counting window opened.
    index = samples.index(started)
    t0, n0 = samples[index - 1] if index > 0 else started
    return rate(done[1] - n0, done[0] - t0)


def thirds_ratio(samples: Sequence[tuple[float, int]]) -> float | None:
    """The rate over the last third of the count against the rate over the first third
    (from ``(time, cumulative count)`` samples, start-up left out as in :func:`linear_rate`):
    below 1 when the work slows down as the state grows."""
    if len(samples) < 2:
        return None
    start, final = samples[0][1], samples[-1][1]
    span = final - start
    if span <= 0:
        return None
    opened = max(t for t, n in samples if n == start)  # the last sample before progress

    def reached(count: float) -> tuple[float, int]:
        return next((t, n) for t, n in samples if n >= count)

    t_a, n_a = reached(start + span / 3)
    t_b, n_b = reached(start + 2 * span / 3)
    t_end, _ = reached(final)
    first = rate(n_a - start, t_a - opened)
    last = rate(final - n_b, t_end - t_b)
    return ratio(last, first)


@dataclass(frozen=True, slots=True)
class Target:
    """A performance target the bench checks: ``figure <comparison> threshold``."""

    comparison: Comparison
    threshold: float

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        if self.comparison == ">=":
            return value >= self.threshold
        return value <= self.threshold

    def text(self, unit: str = "x") -> str:
        return f"{self.comparison} {_number(self.threshold)}{unit}"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the results table."""

    figure: str
    value: float | None
    unit: str
    baseline: str = ""  # the name of what ``compared`` is a ratio to
    compared: float | None = None  # value / baseline
    target: Target | None = None
    target_unit: str = "x"
    target_on_value: bool = False  # the target applies to the value, not the ratio
    note: str = ""

    @property
    def verdict(self) -> bool | None:
        if self.target is None:
            return None
        return self.target.met(self.value if self.target_on_value else self.compared)

    def as_json(self) -> dict[str, object]:
        return {
            "figure": self.figure,
            "value": self.value,
            "unit": self.unit,
            "baseline": self.baseline or None,
            "ratio": self.compared,
            "target": self.target.text(self.target_unit) if self.target else None,
            "met": self.verdict,
            "note": self.note or None,
        }


def verdict_text(verdict: bool | None, has_target: bool) -> str:
    if not has_target:
        return ""
    if verdict is None:
        return "n/a"
    return "pass" if verdict else "MISS"


def render_table(rows: Sequence[Row]) -> str:
    """The markdown table: figure, value, ratio to its baseline, target, pass/miss, note."""
    head = "| figure | value | vs baseline | target | result | note |"
    rule = "|---|---:|---|---|---|---|"
    lines = [head, rule]
    for row in rows:
        value = "—" if row.value is None else f"{_number(row.value)} {row.unit}".strip()
        if row.baseline:
            shown = "—" if row.compared is None else f"{_number(row.compared)}x"
            compared = f"{shown} {row.baseline}"
        else:
            compared = ""
        target = row.target.text(row.target_unit) if row.target else ""
        result = verdict_text(row.verdict, row.target is not None)
        cells = (row.figure, value, compared, target, result, row.note)
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return "\n".join(lines)


def misses(rows: Sequence[Row]) -> list[Row]:
    return [row for row in rows if row.verdict is False]


def shortfall(row: Row) -> str:
    """How far a missed figure is from its target: "70x short" or "4.5x over"."""
    got = row.value if row.target_on_value else row.compared
    target = row.target
    if got is None or target is None or got <= 0 or target.threshold <= 0:
        return "no figure"
    if target.comparison == ">=":
        return f"{_number(target.threshold / got)}x short"
    return f"{_number(got / target.threshold)}x over"


def _number(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 0.01:
        return f"{value:.2f}"
    return f"{value:.3g}"


def extrapolate_linear(
    base: float, measured: float, measured_at: int, target_at: int
) -> float | None:
    """``base + (measured - base) * target_at / measured_at``: a straight-line extrapolation
    from a fixed cost ``base`` and one measurement; None if ``measured_at`` is not positive."""
    if measured_at <= 0:
        return None
    return base + max(0.0, measured - base) * target_at / measured_at


def extrapolate_two_points(
    x1: float, y1: float, x2: float, y2: float, target_at: float
) -> float | None:
    """The straight line through two measurements ``(x1, y1)`` and ``(x2, y2)``, read at
    ``target_at``; its slope taken as at least 0 (memory does not shrink with more state).
    None when the two points share an x."""
    if x2 == x1:
        return None
    slope = max(0.0, (y2 - y1) / (x2 - x1))
    return y2 + slope * (target_at - x2)


def duration_text(seconds: float) -> str:
    """``"42 s"``, ``"7 min"``, ``"2.5 h"``: a rough duration for a table note."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
