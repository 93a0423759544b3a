"""Role filters and the SQL built from them (no I/O)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest

from dashboard import campaign_view, dead_letter_view, figures, flows, scope, worklist
from dashboard.auth import Principal

REGION = Principal("r", "region", None)
HANBIN = Principal("h", "county", "610902")


def _placeholders(sql: str) -> set[int]:
    return {int(n) for n in re.findall(r"\$(\d+)", sql)}


@pytest.mark.parametrize(
    "build",
    [
        scope.obligations,
        scope.flow_ends,
        scope.tasks,
        scope.campaigns,
        scope.coverage,
        scope.events,
    ],
)
def test_region_is_unfiltered_and_county_is_bound_as_a_parameter(
    build: Callable[..., scope.Scoped],
) -> None:
    assert build(REGION) == scope.ALL
    county = build(HANBIN, arg=3)
    assert county.args == ("610902",)
    assert _placeholders(county.sql) == {3}
    assert "610902" not in county.sql


def test_obligations_filter_names_both_parties() -> None:
    sql = scope.obligations(HANBIN).sql
    assert "responsible_county = $1" in sql
    assert "counterpart_county = $1" in sql


def test_unknown_alias_is_refused() -> None:
    with pytest.raises(ValueError, match="alias"):
        scope.obligations(HANBIN, alias="o; DROP TABLE x")


def test_case_party_query_checks_every_party_field() -> None:
    sql = scope.case_party_sql()
    for field in scope.PARTY_FIELDS:
        assert f"e.payload->>'{field}' = $2" in sql
    assert _placeholders(sql) == {1, 2}
    assert scope.may_read_case(REGION) is None
    check = scope.may_read_case(HANBIN)
    assert check is not None
    assert check[1] == ("610902",)


Builder = Callable[[Principal], tuple[str, Any]]
CLOCK = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
EVERY_FILTER = worklist.Filter("due_soon", "610921", "inquiry_answer", 3)


@pytest.mark.parametrize(
    ("build", "fixed"),
    [
        (figures.obligation_counts_sql, 1),
        (lambda p: worklist.total_sql(p, worklist.Filter("overdue"), CLOCK), 0),
        (lambda p: worklist.total_sql(p, EVERY_FILTER, CLOCK), 0),
        (lambda p: worklist.rows_sql(p, worklist.Filter("open"), CLOCK, 50, 0), 0),
        (lambda p: worklist.rows_sql(p, EVERY_FILTER, CLOCK, 50, 100), 0),
        (lambda p: flows.flows_sql(p, flows.FlowQuery("county", "610000", "440300"))[1:], 0),
        (lambda p: flows.flows_sql(p, flows.FlowQuery("province"))[1:], 0),
        (figures.coverage_sql, 0),
        (figures.county_totals_sql, 0),
        (campaign_view.campaigns_sql, 0),
        (lambda p: campaign_view.by_county_sql(p, "qingcha"), 0),
        (lambda p: campaign_view.unanswered_sql(p, "q", "610921", CLOCK, 20, 0)[::2], 0),
        (lambda p: campaign_view.unanswered_sql(p, "q", None, CLOCK, 20, 0)[1::2], 0),
        (lambda p: dead_letter_view.list_sql("bad_signature", 20, 0)[::2], 0),
        (lambda p: dead_letter_view.list_sql(None, 20, 40)[1::2], 0),
    ],
)
def test_builders_number_their_placeholders_consecutively(build: Builder, fixed: int) -> None:
    for who in (REGION, HANBIN):
        sql, args = build(who)
        assert _placeholders(sql) == set(range(1, fixed + len(args) + 1)), sql
        for value in args:
            if isinstance(value, str):
                assert f"'{value}'" not in sql  # values travel as parameters


def test_a_county_sees_its_own_coverage_and_its_own_events_only() -> None:
    assert scope.coverage(HANBIN).sql == "cv.scope = $1"  # not the region's figure
    sql = scope.events(HANBIN).sql
    assert "e.source_county = $1" in sql
    for field in scope.PARTY_FIELDS:
        assert f"e.payload->>'{field}' = $1" in sql


def test_campaign_builders_keep_a_county_to_its_own_tasks() -> None:
    sql, args = campaign_view.campaigns_sql(HANBIN)
    assert args == ["610902", "610902"]
    assert "$1 = ANY(c.counties)" in sql
    assert "t.assignee = $2" in sql
    assert campaign_view.campaigns_sql(REGION)[1] == []
