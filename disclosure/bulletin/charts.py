"""Charts drawn as inline SVG, the same bytes for the same figures. Pure, no I/O.

No script, no network, no randomness: coordinates are rounded to one decimal, colours and
sizes are constants, text is escaped. A reader's browser or Chromium printing the PDF shows
them as they are; the SVG scales with the page (``viewBox``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 680
LABEL_W = 150
VALUE_W = 70
ROW_H = 24
TOP = 26
BAR = "#2f5597"
BAR_2 = "#4e9a8f"
MISSING = "#bbbbbb"
TARGET = "#c00000"
GRID = "#d9d9d9"
TEXT = "#222222"


@dataclass(frozen=True, slots=True)
class Bar:
    value: float | None  # None: nothing to draw (not assessed, withheld, no flows)
    text: str  # shown after the bar (or in its place)


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    bars: tuple[Bar, ...]  # one per series


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


COLOURS = (BAR, BAR_2)


@dataclass(frozen=True, slots=True)
class Scale:
    """Where a value falls on the plot: 0..maximum across the width left for bars."""

    maximum: float

    def x(self, value: float) -> float:
        plot_w = WIDTH - LABEL_W - VALUE_W
        return LABEL_W + plot_w * min(max(value, 0.0), self.maximum) / self.maximum


def bars(
    rows: Sequence[Row],
    *,
    maximum: float,
    series: Sequence[str],
    ticks: Sequence[tuple[float, str]],
    marker: tuple[float, str] | None = None,
    title: str,
) -> str:
    """Horizontal bars, one group per row and one bar per series, on a 0..maximum scale,
    with tick lines and an optional marker line (a target or an average)."""
    scale = Scale(maximum)
    row_h = ROW_H * max(len(series), 1) + 6
    legend_h = ROW_H if len(series) > 1 else 0
    height = TOP + legend_h + row_h * len(rows) + 22
    top = TOP + legend_h
    bottom = top + row_h * len(rows)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">',
        f'<text x="0" y="16" font-size="13" font-weight="bold" fill="{TEXT}">'
        f"{escape(title)}</text>",
    ]
    if legend_h:
        out += _legend(series)
    out += [_tick(scale, value, label, top, bottom) for value, label in ticks]
    for r, row in enumerate(rows):
        out += _row(scale, row, top + r * row_h + 3, row_h)
    if marker is not None:
        out.append(_marker(scale, *marker, top, bottom))
    out.append("</svg>")
    return "".join(out)


def _legend(series: Sequence[str]) -> list[str]:
    out = []
    lx = LABEL_W
    for i, name in enumerate(series):
        out.append(
            f'<rect x="{_n(lx)}" y="{TOP + 4}" width="12" height="12" '
            f'fill="{COLOURS[i % 2]}"/>'
            f'<text x="{_n(lx + 16)}" y="{TOP + 14}" font-size="11" fill="{TEXT}">'
            f"{escape(name)}</text>"
        )
        lx += 16 + 12 * len(name) + 24
    return out


def _tick(scale: Scale, value: float, label: str, top: float, bottom: float) -> str:
    tx = scale.x(value)
    return (
        f'<line x1="{_n(tx)}" y1="{top}" x2="{_n(tx)}" y2="{_n(bottom)}" '
        f'stroke="{GRID}" stroke-width="1"/>'
        f'<text x="{_n(tx)}" y="{_n(bottom + 14)}" font-size="11" text-anchor="middle" '
        f'fill="{TEXT}">{escape(label)}</text>'
    )


def _row(scale: Scale, row: Row, y0: float, row_h: float) -> list[str]:
    """A row's label, then each bar with its text after it (or in its place, greyed)."""
    out = [
        f'<text x="{LABEL_W - 6}" y="{_n(y0 + row_h / 2 + 1)}" font-size="13" '
        f'text-anchor="end" dominant-baseline="middle" fill="{TEXT}">'
        f"{escape(row.label)}</text>"
    ]
    for i, bar in enumerate(row.bars):
        y = y0 + i * ROW_H
        if bar.value is not None:
            end = scale.x(bar.value)
            out.append(
                f'<rect x="{LABEL_W}" y="{_n(y + 3)}" width="{_n(end - LABEL_W)}" '
                f'height="{ROW_H - 6}" fill="{COLOURS[i % 2]}"/>'
            )
            tx = end + 4
            colour = TEXT
        else:
            tx = LABEL_W + 4
            colour = MISSING
        out.append(
            f'<text x="{_n(tx)}" y="{_n(y + ROW_H / 2 + 1)}" font-size="12" '
            f'dominant-baseline="middle" fill="{colour}">{escape(bar.text)}</text>'
        )
    return out


def _marker(scale: Scale, value: float, label: str, top: float, bottom: float) -> str:
    mx = scale.x(value)
    return (
        f'<line x1="{_n(mx)}" y1="{top - 2}" x2="{_n(mx)}" y2="{_n(bottom)}" '
        f'stroke="{TARGET}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        f'<text x="{_n(mx)}" y="{top - 5}" font-size="10" text-anchor="middle" '
        f'fill="{TARGET}">{escape(label)}</text>'
    )
