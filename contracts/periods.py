"""The one period type: a calendar month, quarter or year. Pure, no I/O.

Every reader that takes or shows a period uses :class:`Period`: the assessment (its months
and quarters), agreement coverage and alerts (months), the audit (months, quarters, years),
the league table, the dashboard and the CLI. Its text forms are ``2026-03``, ``2026-Q1`` and
``2026``; anything else is refused with one line saying what is accepted.

Bounds are ``[start, end)`` in UTC, in event time: the periods are the ones the log's
instants fall into, whatever time zone a reader shows them in. A period *closes* some time
after its end (the assessment waits ``close_after_days`` for partitions a little behind);
:meth:`Period.closes_at` says when.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Literal

from contracts.languages import Lang

Kind = Literal["month", "quarter", "year"]
KINDS: tuple[Kind, ...] = ("month", "quarter", "year")

_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")
_YEAR = re.compile(r"(\d{4})")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_EXAMPLES: dict[Kind, str] = {"month": "2026-03", "quarter": "2026-Q1", "year": "2026"}


class PeriodError(ValueError):
    """Not a period (or not one of the kinds asked for); the message is one line."""


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A calendar period. Order: by start, then the shorter first."""

    start: dt.datetime
    end: dt.datetime
    kind: Kind
    text: str

    def __str__(self) -> str:
        return self.text

    def contains(self, at: dt.datetime) -> bool:
        return self.start <= at < self.end

    def closes_at(self, after: dt.timedelta = dt.timedelta(0)) -> dt.datetime:
        """When the period is closed: its end plus the wait ``after`` it."""
        return self.end + after

    def months(self) -> tuple[Period, ...]:
        """The months the period is made of (a month: itself)."""
        out: list[Period] = []
        at = self.start
        while at < self.end:
            out.append(month_of(at))
            at = (at + dt.timedelta(days=32)).replace(day=1)
        return tuple(out)

    def label(self, lang: Lang = "zh") -> str:
        """``2026年3月`` / ``March 2026``, ``2026年第1季度`` / ``2026 Q1``, ``2026年``."""
        year = self.start.year
        if self.kind == "month":
            month = self.start.month
            return f"{year}年{month}月" if lang == "zh" else f"{_MONTH_NAMES[month - 1]} {year}"
        if self.kind == "quarter":
            quarter = (self.start.month - 1) // 3 + 1
            return f"{year}年第{quarter}季度" if lang == "zh" else f"{year} Q{quarter}"
        return f"{year}年" if lang == "zh" else str(year)


@functools.cache  # hot: the assessment asks for the bounds of its periods on every touch
def parse(text: str, kinds: tuple[Kind, ...] = KINDS) -> Period:
    """``2026-03``, ``2026-Q1`` (or ``q1``) or ``2026`` as a :class:`Period`, if of ``kinds``."""
    if m := _MONTH.fullmatch(text):
        period = _period(int(m.group(1)), int(m.group(2)), 1, "month")
    elif q := _QUARTER.fullmatch(text):
        period = _period(int(q.group(1)), 3 * int(q.group(2)) - 2, 3, "quarter")
    elif y := _YEAR.fullmatch(text):
        period = _period(int(y.group(1)), 1, 12, "year")
    else:
        raise PeriodError(f"{text!r} is not a period: use {_accepted(kinds)}")
    if period.kind not in kinds:
        raise PeriodError(f"{text!r} is a {period.kind}: use {_accepted(kinds)}")
    return period


def _accepted(kinds: tuple[Kind, ...]) -> str:
    names = [f"a {k} ({_EXAMPLES[k]})" for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _period(year: int, first: int, months: int, kind: Kind) -> Period:
    if year < 1000:
        raise PeriodError(f"{year:04d} is before the years a period can name (1000-9999)")
    start = dt.datetime(year, first, 1, tzinfo=dt.UTC)
    last = first + months
    end_year = year + (last - 1) // 12
    end = dt.datetime.max.replace(tzinfo=dt.UTC)
    if end_year <= 9999:
        end = dt.datetime(end_year, (last - 1) % 12 + 1, 1, tzinfo=dt.UTC)
    if kind == "month":
        text = f"{year}-{first:02d}"
    elif kind == "quarter":
        text = f"{year}-Q{(first - 1) // 3 + 1}"
    else:
        text = str(year)
    return Period(start, end, kind, text)


def month_text(at: dt.datetime) -> str:
    """The UTC month of an instant as text, e.g. ``2026-03`` (alert and coverage periods).

    Years below 1000 come out as glibc's ``strftime("%Y-%m")`` writes them (unpadded): the
    text names alert ids, which must stay what they were for any instant the log can hold.
    """
    utc = at.astimezone(dt.UTC)
    return f"{utc.year}-{utc.month:02d}" if utc.year >= 1000 else utc.strftime("%Y-%m")


def month_of(at: dt.datetime) -> Period:
    utc = at.astimezone(dt.UTC)
    return _period(utc.year, utc.month, 1, "month")


def quarter_of(at: dt.datetime) -> Period:
    utc = at.astimezone(dt.UTC)
    return _period(utc.year, 3 * ((utc.month - 1) // 3) + 1, 3, "quarter")


def year_of(at: dt.datetime) -> Period:
    return _period(at.astimezone(dt.UTC).year, 1, 12, "year")
