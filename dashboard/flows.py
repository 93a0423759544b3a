"""Flows between counties and agreement coverage per county, sized for a person to read.

**Flows.** A flow is a person's move from one county to another: an outflow, an inflow, a
move on, a return home (as :mod:`agents.coverage_rules` counts them). The view counts
persons per pair of places, at one of three levels of GB/T 2260 (county, prefecture,
province), shows the ``top`` pairs and folds the rest into one "others" figure, whose
count and persons it states. A pair can be opened: its origin and destination become
filters and the level goes one down (province → prefecture → county).

**Coverage.** Each county's share of flows covered by an agreement in force, for the
latest month, as the agents published it (``coverage_totals``): sorted (worst first, by
flows, or by code) and paged, over the region's own counties or every county dealt with.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from contracts import league
from dashboard import scope
from dashboard.auth import Principal
from dashboard.names import LEVELS, Level, group_of, names
from dashboard.sql_args import Args

TOP = 15
MAX_TOP = 50
PREFIX: dict[Level, int] = {"county": 6, "prefecture": 4, "province": 2}
FINER: dict[Level, Level] = {"province": "prefecture", "prefecture": "county", "county": "county"}
_CODE = re.compile(r"^[0-9]{6}$")


class FlowError(ValueError):
    """A request the view cannot answer; the message is one line."""


@dataclass(frozen=True, slots=True)
class FlowQuery:
    level: Level
    origin: str | None = None  # a division code: flows from within it
    destination: str | None = None  # flows into it
    top: int = TOP

    @classmethod
    def of(cls, query: Mapping[str, str], default: Level) -> FlowQuery:
        level = query.get("level") or default
        if level not in LEVELS:
            raise FlowError(f"level must be one of {', '.join(LEVELS)}")
        ends = []
        for name in ("origin", "destination"):
            code = query.get(name) or None
            if code is not None and not _CODE.match(code):
                raise FlowError(f"{name} must be a 6-digit division code")
            ends.append(code)
        top = query.get("top") or str(TOP)
        if not top.isdigit() or not 1 <= int(top) <= MAX_TOP:
            raise FlowError(f"top must be 1..{MAX_TOP}")
        return cls(level, ends[0], ends[1], int(top))


# One row per flow event: who moved, from where, to where.
FLOW_EVENTS = """
SELECT e.person_key,
       coalesce(e.payload->>'origin_county', e.payload->>'from_county') AS o,
       coalesce(e.payload->>'destination_county', e.payload->>'to_county',
                e.payload->>'home_county') AS d
FROM events e
WHERE e.event_type IN ('outflow_registered', 'inflow_registered', 'moved_on', 'returned_home')
"""


def _within(column: str, code: str, args: Args) -> str:
    """``column`` (a county code) lies within division ``code`` (of any level)."""
    level: Level = "county"
    if code.endswith("0000"):
        level = "province"
    elif code.endswith("00"):
        level = "prefecture"
    n = PREFIX[level]
    return f"left({column}, {n}) = " + args.add(code[:n])


def flows_sql(p: Principal, q: FlowQuery) -> tuple[str, str, list[Any]]:
    """Persons per pair at the query's level, most first; and the distinct persons in all."""
    args = Args()
    n = PREFIX[q.level]
    w = scope.flow_ends(p, arg=args.next)
    args.extend(w.args)
    parts = [w.sql]
    if q.origin is not None:
        parts.append(_within("f.o", q.origin, args))
    if q.destination is not None:
        parts.append(_within("f.d", q.destination, args))
    clause = " AND ".join(parts)
    pairs = (
        f"SELECT left(f.o, {n}) AS o, left(f.d, {n}) AS d,"  # noqa: S608
        f" count(DISTINCT f.person_key) AS persons FROM ({FLOW_EVENTS}) f WHERE {clause}"
        " GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
    )
    persons = f"SELECT count(DISTINCT f.person_key) FROM ({FLOW_EVENTS}) f WHERE {clause}"  # noqa: S608
    return pairs, persons, args.values


def _code(prefix: str) -> str:
    return prefix.ljust(6, "0")


def fold(rows: Sequence[Mapping[str, Any]], q: FlowQuery) -> dict[str, Any]:
    """The top pairs, and the rest folded into "others" (their pairs and summed persons)."""
    pairs = [
        {"origin": _code(r["o"]), "destination": _code(r["d"]), "persons": int(r["persons"])}
        for r in rows
        if r["o"] and r["d"]
    ]
    shown, rest = pairs[: q.top], pairs[q.top :]
    return {
        "pairs": shown,
        "others": {"pairs": len(rest), "persons": sum(r["persons"] for r in rest)},
        "total_pairs": len(pairs),
    }


async def flows(conn: Any, p: Principal, q: FlowQuery) -> dict[str, Any]:
    pairs_sql, persons_sql, args = flows_sql(p, q)
    folded = fold(list(await conn.fetch(pairs_sql, *args)), q)
    persons = int(await conn.fetchval(persons_sql, *args))
    codes = {c for r in folded["pairs"] for c in (r["origin"], r["destination"])}
    codes.update(c for c in (q.origin, q.destination) if c)
    return {
        "level": q.level,
        "finer": FINER[q.level] if q.level != "county" else None,
        "origin": q.origin,
        "destination": q.destination,
        "top": q.top,
        "persons": persons,
        **folded,
        "names": names(codes),
    }


def default_level(p: Principal) -> Level:
    """A region operator starts at prefectures (a few dozen pairs); a county at counties."""
    return "prefecture" if p.sees_all else "county"


# --- coverage per county -------------------------------------------------------------------------

Sort = Literal["worst", "flows", "code"]
SORTS: tuple[Sort, ...] = ("worst", "flows", "code")
COVERAGE_PAGE = 15
COVERAGE_TARGET = 0.8  # the seed's target: 80% of flows under an agreement


def ratio(covered: int | None, flows_: int | None) -> float | None:
    return covered / flows_ if flows_ and covered is not None else None


def coverage_row(r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **r,
        "ratio": ratio(r["covered"], r["flows"]),
        "outflow_ratio": ratio(r.get("outflows_covered"), r.get("outflows")),
        "inflow_ratio": ratio(r.get("inflows_covered"), r.get("inflows")),
    }


def _sort_key(sort: Sort) -> Any:
    if sort == "flows":
        return lambda r: (-(r["flows"] or 0), r["scope"])
    if sort == "code":
        return lambda r: r["scope"]
    return lambda r: (
        r["ratio"] is None,
        r["ratio"] if r["ratio"] is not None else 0.0,
        -(r["flows"] or 0),
        r["scope"],
    )


def county_page(
    rows: Sequence[Mapping[str, Any]],
    *,
    region: str,
    which: league.Scope,
    sort: Sort,
    offset: int,
    limit: int,
) -> dict[str, Any]:
    """One page of counties' coverage (pure): those of ``which`` scope, sorted."""
    counties = [
        coverage_row(r)
        for r in rows
        if r["scope"] != "region" and league.in_scope(r["scope"], region, which)
    ]
    counties.sort(key=_sort_key(sort))
    below = sum(1 for r in counties if r["ratio"] is not None and r["ratio"] < COVERAGE_TARGET)
    page = counties[offset : offset + limit]
    return {
        "which": which,
        "sort": sort,
        "offset": offset,
        "limit": limit,
        "total": len(counties),
        "below_target": below,
        "items": page,
        "groups": {r["scope"]: group_of(r["scope"], "prefecture") for r in page},
    }
