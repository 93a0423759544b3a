"""Where simulated migrants come from and go to: real GB/T 2260 county codes, real corridors.

Pure: built from the shipped division table and a ``random.Random``; no I/O, no clock.
Origins are Ankang's ten counties first, then the rest of Shaanxi (sending areas before
Xi'an), then the rest of the country (corridor cities last). Destinations follow the
corridors Ankang's migrants really take (Xi'an, the Pearl River Delta, Hangzhou and Ningbo,
Suzhou, Shanghai, Beijing) plus a fixed pool of other counties; each origin concentrates on a
few favourite destinations (chain migration), and signs agreements with the top ones.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from contracts import divisions

REGION = "610900"  # 安康市, the region that registers counties and runs the clock
ANKANG = (
    "610902",  # 汉滨区
    "610921",  # 汉阴县
    "610922",  # 石泉县
    "610923",  # 宁陕县
    "610924",  # 紫阳县
    "610925",  # 岚皋县
    "610926",  # 平利县
    "610927",  # 镇坪县
    "610929",  # 白河县
    "610981",  # 旬阳市
)


@dataclass(frozen=True, slots=True)
class Corridor:
    name: str
    prefixes: tuple[str, ...]  # county codes starting with one of these belong to it
    weight: float  # share of all flows


CORRIDORS = (
    Corridor("xian", ("6101",), 0.22),
    Corridor("shenzhen", ("4403",), 0.12),
    Corridor("dongguan", ("441900",), 0.06),
    Corridor("guangzhou", ("4401",), 0.08),
    Corridor("hangzhou", ("3301",), 0.08),
    Corridor("ningbo", ("3302",), 0.05),
    Corridor("suzhou", ("3205",), 0.08),
    Corridor("shanghai", ("3101",), 0.08),
    Corridor("beijing", ("1101",), 0.06),
)
ELSEWHERE_WEIGHT = 0.17  # flows to a fixed pool of other counties across the country
ELSEWHERE_POOL = 60


@cache
def corridor_counties(corridor: Corridor) -> tuple[str, ...]:
    return tuple(c for c in divisions.county_codes() if c.startswith(corridor.prefixes))


@cache
def _corridor_set() -> frozenset[str]:
    return frozenset(itertools.chain.from_iterable(corridor_counties(c) for c in CORRIDORS))


@cache
def origin_order() -> tuple[str, ...]:
    """Every county in the order origins are taken: Ankang, Shaanxi, then national."""
    corridor = _corridor_set()
    rest = [c for c in divisions.county_codes() if c not in ANKANG]
    shaanxi = sorted((c for c in rest if c.startswith("61")), key=lambda c: (c in corridor, c))
    national = sorted((c for c in rest if not c.startswith("61")), key=lambda c: (c in corridor, c))
    return (*ANKANG, *shaanxi, *national)


def origin_counties(n: int) -> tuple[str, ...]:
    order = origin_order()
    if not 1 <= n <= len(order):
        raise ValueError(f"counties must be between 1 and {len(order)}, got {n}")
    return order[:n]


class Weighted:
    """Draws from a fixed weighted population in O(log n) (bisect on cumulative weights)."""

    __slots__ = ("_cum", "_items", "_total")

    def __init__(self, items: Sequence[str], weights: Sequence[float]) -> None:
        if not items or len(items) != len(weights):
            raise ValueError("a weighted draw needs items and one weight each")
        self._items = tuple(items)
        self._cum = tuple(itertools.accumulate(weights))
        self._total = self._cum[-1]

    @property
    def items(self) -> tuple[str, ...]:
        return self._items

    def draw(self, rng: random.Random) -> str:
        i = bisect.bisect_right(self._cum, rng.random() * self._total)
        return self._items[min(i, len(self._items) - 1)]


@dataclass(frozen=True, slots=True)
class OriginProfile:
    favourites: Weighted  # where this county's migrants mostly go
    agreement_partners: tuple[str, ...]  # its top destinations, with agreements from the start


@dataclass(frozen=True, slots=True)
class Geography:
    origins: tuple[str, ...]
    origin_draw: Weighted
    destination_draw: Weighted  # the corridors and the pool, for any origin
    profiles: dict[str, OriginProfile]
    favourite_share: float

    def destinations(self) -> tuple[str, ...]:
        return self.destination_draw.items

    def involved(self) -> tuple[str, ...]:
        """Every county that can appear in the scenario: origins and all destinations."""
        return tuple(sorted(set(self.origins) | set(self.destinations())))

    def destination(self, rng: random.Random, origin: str, avoid: str = "") -> str:
        """A destination for a migrant from ``origin``, never ``origin`` itself (nor ``avoid``)."""
        profile = self.profiles[origin]
        for _ in range(8):
            if rng.random() < self.favourite_share:
                code = profile.favourites.draw(rng)
            else:
                code = self.destination_draw.draw(rng)
            if code not in (origin, avoid):
                return code
        # Pathological weights only (every draw hit the excluded ones): walk the list.
        return next(c for c in self.destinations() if c not in (origin, avoid))


def build_geography(
    counties: int,
    rng: random.Random,
    *,
    favourites: int = 6,
    favourite_share: float = 0.75,
    agreements_per_origin: int = 3,
) -> Geography:
    origins = origin_counties(counties)
    # Hanbin (the city district) sends the most; the others vary around one.
    origin_weights = [rng.uniform(0.5, 1.5) * (2.5 if c == "610902" else 1.0) for c in origins]
    codes, weights = _destination_weights(rng)
    draw = Weighted(codes, weights)
    profiles = {
        origin: _origin_profile(origin, draw, rng, favourites, agreements_per_origin)
        for origin in origins
    }
    return Geography(
        origins=origins,
        origin_draw=Weighted(origins, origin_weights),
        destination_draw=draw,
        profiles=profiles,
        favourite_share=favourite_share,
    )


def _destination_weights(rng: random.Random) -> tuple[list[str], list[float]]:
    codes: list[str] = []
    weights: list[float] = []
    for corridor in CORRIDORS:
        members = corridor_counties(corridor)
        jitter = [rng.uniform(0.3, 1.7) for _ in members]
        scale = corridor.weight / sum(jitter)
        codes.extend(members)
        weights.extend(j * scale for j in jitter)
    taken = _corridor_set()
    others = [c for c in divisions.county_codes() if c not in taken]
    pool = sorted(rng.sample(others, min(ELSEWHERE_POOL, len(others))))
    codes.extend(pool)
    weights.extend([ELSEWHERE_WEIGHT / len(pool)] * len(pool))
    return codes, weights


def _origin_profile(
    origin: str, draw: Weighted, rng: random.Random, favourites: int, agreements: int
) -> OriginProfile:
    chosen: list[str] = []
    while len(chosen) < min(favourites, len(draw.items) - 1):
        code = draw.draw(rng)
        if code != origin and code not in chosen:
            chosen.append(code)
    zipf = [1.0 / (rank + 1) for rank in range(len(chosen))]
    return OriginProfile(
        favourites=Weighted(chosen, zipf), agreement_partners=tuple(chosen[:agreements])
    )
