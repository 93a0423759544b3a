"""The one period type (contracts.periods): parse, bounds, label, months, closing."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts import periods

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        (
            "2026-03",
            "month",
            dt.datetime(2026, 3, 1, tzinfo=UTC),
            dt.datetime(2026, 4, 1, tzinfo=UTC),
        ),
        (
            "2026-12",
            "month",
            dt.datetime(2026, 12, 1, tzinfo=UTC),
            dt.datetime(2027, 1, 1, tzinfo=UTC),
        ),
        (
            "2026-Q1",
            "quarter",
            dt.datetime(2026, 1, 1, tzinfo=UTC),
            dt.datetime(2026, 4, 1, tzinfo=UTC),
        ),
        (
            "2026-Q4",
            "quarter",
            dt.datetime(2026, 10, 1, tzinfo=UTC),
            dt.datetime(2027, 1, 1, tzinfo=UTC),
        ),
        ("2026", "year", dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
def test_parse_gives_bounds_in_utc(
    text: str, kind: str, start: dt.datetime, end: dt.datetime
) -> None:
    p = periods.parse(text)
    assert (p.kind, p.start, p.end, p.text, str(p)) == (kind, start, end, text, text)
    assert p.contains(start)
    assert not p.contains(end)
    assert p.contains(end - dt.timedelta(microseconds=1))


def test_a_lower_case_quarter_is_the_same_quarter() -> None:
    assert periods.parse("2026-q2") == periods.parse("2026-Q2")
    assert periods.parse("2026-q2").text == "2026-Q2"


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-Q5", "2026-Q0", "26-01", "2026-1", "", " 2026", "0999"]
)
def test_anything_else_is_refused_in_one_line(text: str) -> None:
    with pytest.raises(periods.PeriodError) as refused:
        periods.parse(text)
    assert "\n" not in str(refused.value)
    assert "is not a period" in str(refused.value) or "before the years" in str(refused.value)


def test_a_reader_may_take_only_some_kinds() -> None:
    assert periods.parse("2026-03", ("month", "quarter")).kind == "month"
    with pytest.raises(
        periods.PeriodError,
        match=r"'2026' is a year: use a month \(2026-03\) or a quarter \(2026-Q1\)",
    ):
        periods.parse("2026", ("month", "quarter"))
    with pytest.raises(periods.PeriodError, match=r"use a month \(2026-03\)$"):
        periods.parse("2026-Q1", ("month",))


def test_labels_in_both_languages() -> None:
    assert periods.parse("2026-03").label("zh") == "2026年3月"
    assert periods.parse("2026-03").label("en") == "March 2026"
    assert periods.parse("2026-Q1").label("zh") == "2026年第1季度"
    assert periods.parse("2026-Q1").label("en") == "2026 Q1"
    assert periods.parse("2026").label("zh") == "2026年"
    assert periods.parse("2026").label("en") == "2026"


def test_months_of_a_period() -> None:
    assert [m.text for m in periods.parse("2026-Q4").months()] == ["2026-10", "2026-11", "2026-12"]
    assert len(periods.parse("2026").months()) == 12
    assert periods.parse("2026-02").months() == (periods.parse("2026-02"),)


def test_the_periods_an_instant_falls_in() -> None:
    late = dt.datetime(2026, 3, 31, 23, 59, tzinfo=UTC)
    assert periods.month_of(late).text == "2026-03"
    assert periods.quarter_of(late).text == "2026-Q1"
    assert periods.year_of(late).text == "2026"
    # 08:00 on 1 April in Beijing is still March in UTC: periods are UTC, in event time.
    beijing = dt.datetime(2026, 4, 1, 7, 59, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert periods.month_of(beijing).text == "2026-03"
    assert periods.month_text(beijing) == "2026-03"


def test_a_period_closes_after_its_end() -> None:
    q1 = periods.parse("2026-Q1")
    assert q1.closes_at() == q1.end
    assert q1.closes_at(dt.timedelta(days=1)) == dt.datetime(2026, 4, 2, tzinfo=UTC)


def test_the_last_year_has_an_end() -> None:
    last = periods.parse("9999-12")
    assert last.start == dt.datetime(9999, 12, 1, tzinfo=UTC)
    assert last.contains(dt.datetime(9999, 12, 31, tzinfo=UTC))
