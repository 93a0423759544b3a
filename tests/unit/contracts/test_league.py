"""The league (contracts.league): ranks, ties, unscored counties, the region average, scope."""

from __future__ import annotations

from contracts import league
from contracts.league import Scores

ANKANG, SHAANXI = "610900", "610000"
HANBIN, HANYIN, XUNYANG, SHIQUAN = "610902", "610921", "610981", "610922"
GAOLING, BAOAN = "610117", "440306"  # Xi'an (Shaanxi, not Ankang), Shenzhen


def row(
    county: str, origin: float | None, destination: float | None, combined: float | None
) -> league.Standing:
    return league.Standing(county, Scores(origin, destination, combined))


def test_best_first_ties_share_a_rank_and_unscored_counties_are_not_ranked() -> None:
    table = league.league(
        [
            row(HANBIN, 80.0, None, 80.0),
            row(SHIQUAN, None, 60.0, 60.0),
            row(HANYIN, None, None, None),
            row(XUNYANG, 90.0, 70.0, 80.0),
        ],
        region=ANKANG,
        scope="region",
    )
    assert [(s.county, s.rank) for s in table.standings] == [
        (HANBIN, 1),  # tied with Xunyang on 80.00: the same rank, listed by code
        (XUNYANG, 1),
        (SHIQUAN, 3),  # the next rank skips
        (HANYIN, None),
    ]
    assert [s.county for s in table.unranked] == [HANYIN]
    # Each mean over the counties it applies to: a side not assessed is never a 0.
    assert table.average == Scores(85.0, 65.0, 73.33)


def test_nobody_assessed_means_no_ranking() -> None:
    table = league.league(
        [row(HANBIN, None, None, None), row(HANYIN, None, None, None)],
        region=ANKANG,
        scope="region",
    )
    assert table.ranked == ()
    assert {s.rank for s in table.standings} == {None}
    assert table.average == Scores(None, None, None)
    assert league.league([], region=ANKANG, scope="all").standings == ()


def test_the_region_scope_is_the_regions_own_counties() -> None:
    rows = [
        row(GAOLING, 100.0, None, 100.0),
        row(BAOAN, None, 90.0, 90.0),
        row(HANBIN, 40.0, None, 40.0),
    ]
    region = league.league(rows, region=ANKANG, scope="region")
    assert [(s.county, s.rank) for s in region.standings] == [(HANBIN, 1)]
    assert region.average == Scores(40.0, None, 40.0)
    everyone = league.league(rows, region=ANKANG, scope="all")
    assert [(s.county, s.rank) for s in everyone.standings] == [
        (GAOLING, 1),
        (BAOAN, 2),
        (HANBIN, 3),
    ]
    # A province's region takes every county of the province.
    province = league.league(rows, region=SHAANXI, scope="region")
    assert [s.county for s in province.standings] == [GAOLING, HANBIN]


def test_within() -> None:
    assert league.within(HANBIN, ANKANG)
    assert not league.within(GAOLING, ANKANG)
    assert league.within(GAOLING, SHAANXI)
    assert not league.within(BAOAN, SHAANXI)
    assert not league.within("999999", ANKANG)
    assert league.within(HANBIN, HANBIN)  # a county acting as its own region
