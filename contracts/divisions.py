"""GB/T 2260 division codes, loaded from the shipped table (its header names the source)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

Level = Literal["county", "prefecture", "province"]


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    level: Level
    name: str
    prefecture: str
    province: str


@cache
def _table() -> dict[tuple[str, Level], Division]:
    text = resources.files("contracts").joinpath("data/gbt2260_codes.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    table: dict[tuple[str, Level], Division] = {}
    for row in rows:
        level: Level = row["level"]  # type: ignore[assignment]
        division = Division(row["code"], level, row["name"], row["prefecture"], row["province"])
        table[(division.code, level)] = division
    return table


def county(code: str) -> Division | None:
    """The county-level division with this code, or None if it is not a current county code."""
    return _table().get((code, "county"))


def authority(code: str) -> Division | None:
    """A division at any level (county, prefecture, province): who may act as a region."""
    table = _table()
    levels: tuple[Level, ...] = ("county", "prefecture", "province")
    for level in levels:
        found = table.get((code, level))
        if found is not None:
            return found
    return None


def all_divisions() -> list[Division]:
    """Every division of the table, by code, then level (county, prefecture, province)."""
    order = {"county": 0, "prefecture": 1, "province": 2}
    return sorted(_table().values(), key=lambda d: (d.code, order[d.level]))


def county_codes() -> list[str]:
    return sorted(code for code, level in _table() if level == "county")


def name_of(code: str) -> str:
    division = authority(code)
    return division.name if division else code
