"""The league table (排行榜): who is ranked, in which order, with which ties, the region
average, and over which counties. Pure, no I/O.

Every reader ranks through :func:`league`: ``liudong scorecard``, ``scorecard whatif``, the
dashboard and the demo.

* **Scope.** ``region``: the region's own counties (those under the region's code in
  GB/T 2260: a prefecture's counties, or a province's); ``all``: every county it deals with.
  The region's operators see ``region`` by default.
* **Ranked.** Only counties with a combined score, that is with at least one side assessed.
  A county assessed on neither side is listed unranked, after the ranked ones; a period in
  which nobody is assessed has no ranking at all.
* **Order and ties.** Best combined score first. Equal scores share a rank and the next rank
  skips (1, 2, 2, 4); counties that share a rank are listed by county code.
* **Region average.** The mean of each score over the counties in scope it applies to (a
  side not assessed is left out of that side's mean, never counted as 0).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from contracts import divisions


@dataclass(frozen=True, slots=True)
class Scores:
    """A county's scores for a period: each side's, and the two combined by the sides'
    weights (None: not assessed)."""

    origin: float | None
    destination: float | None
    combined: float | None


Scope = Literal["region", "all"]
SCOPES: tuple[Scope, ...] = ("region", "all")


@dataclass(frozen=True, slots=True)
class Standing:
    county: str
    scores: Scores
    revision: int | None = None
    rank: int | None = None  # None: not ranked (assessed on neither side)


@dataclass(frozen=True, slots=True)
class League:
    scope: Scope
    standings: tuple[Standing, ...]  # ranked ones first, then the unranked
    average: Scores

    @property
    def ranked(self) -> tuple[Standing, ...]:
        return tuple(s for s in self.standings if s.rank is not None)

    @property
    def unranked(self) -> tuple[Standing, ...]:
        return tuple(s for s in self.standings if s.rank is None)


def in_scope(county: str, region: str, scope: Scope) -> bool:
    """Whether ``county`` belongs in a league of ``scope`` for ``region``."""
    if scope == "all":
        return True
    return within(county, region)


def within(county: str, region: str) -> bool:
    """A county under the region: of the prefecture (or province) the region's code names."""
    place, authority = divisions.county(county), divisions.authority(region)
    if place is None or authority is None:
        return False
    if authority.level == "province":
        return place.province == authority.name
    if authority.level == "prefecture":
        return (place.prefecture, place.province) == (authority.name, authority.province)
    return county == region


def league(rows: Iterable[Standing], *, region: str, scope: Scope) -> League:
    """The league of ``rows`` (their ``rank`` is ignored and set here)."""
    mine = [r for r in rows if in_scope(r.county, region, scope)]
    scored = sorted(
        (r for r in mine if r.scores.combined is not None),
        key=lambda r: (-(r.scores.combined or 0.0), r.county),
    )
    ranked: list[Standing] = []
    for position, row in enumerate(scored, start=1):
        tied = ranked and ranked[-1].scores.combined == row.scores.combined
        rank = ranked[-1].rank if tied else position
        ranked.append(replace(row, rank=rank))
    unranked = sorted(
        (replace(r, rank=None) for r in mine if r.scores.combined is None),
        key=lambda r: r.county,
    )
    standings = (*ranked, *unranked)
    return League(scope, standings, average(standings))


def average(standings: Iterable[Standing]) -> Scores:
    """The mean of each score over the standings it applies to."""
    rows = list(standings)

    def mean(values: list[float | None]) -> float | None:
        present = [v for v in values if v is not None]
        return round(sum(present) / len(present), 2) if present else None

    return Scores(
        mean([s.scores.origin for s in rows]),
        mean([s.scores.destination for s in rows]),
        mean([s.scores.combined for s in rows]),
    )
