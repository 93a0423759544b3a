"""Role filters and the SQL built from them (no I/O)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from streams.dashboard import queries, scope
from streams.dashboard.auth import Principal

REGION = Principal("r", "region", None)
HANBIN = Principal("h", "county", "610902")


def _placeholders(sql: str) -> set[int]:
    return {int(n) for n in re.findall(r"\$(\d+)", sql)}


@pytest.mark.parametrize(
    "build",
    [scope.obligations, scope.flows, scope.tasks, scope.campaigns, scope.coverage, scope.events],
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


Builder = Callable[[Principal], tuple[Any, ...]]


@pytest.mark.parametrize(
    ("build", "fixed"),
    [
        (queries.obligation_counts_sql, 1),
        (lambda p: queries.obligation_list_sql(p, "due_soon"), 2),
        (lambda p: queries.obligation_list_sql(p, "overdue"), 2),
        (queries.flows_sql, 0),
        (queries.coverage_sql, 0),
        (queries.county_totals_sql, 0),
    ],
)
def test_builders_number_their_placeholders_consecutively(build: Builder, fixed: int) -> None:
    for who in (REGION, HANBIN):
        sql, args = build(who)
        assert _placeholders(sql) == set(range(1, fixed + len(args) + 1))


def test_a_county_sees_its_own_coverage_and_its_own_events_only() -> None:
    assert scope.coverage(HANBIN).sql == "cv.scope = $1"  # not the region's figure
    sql = scope.events(HANBIN).sql
    assert "e.source_county = $1" in sql
    for field in scope.PARTY_FIELDS:
        assert f"e.payload->>'{field}' = $1" in sql


def test_campaign_builders() -> None:
    tasks_sql, campaigns_sql, targs, cargs = queries.campaign_sql(HANBIN)
    assert _placeholders(tasks_sql) == {1, 2}
    assert targs == ("610902",)
    assert _placeholders(campaigns_sql) == {1}
    assert cargs == ("610902",)
    tasks_sql, campaigns_sql, targs, cargs = queries.campaign_sql(REGION)
    assert (targs, cargs) == ((), ())
    assert _placeholders(campaigns_sql) == set()
