"""Division names for the page, one way per language: Chinese from GB/T 2260, English from
the shipped table (:mod:`dashboard.english_names` writes it), and the groups a
county belongs to (its prefecture and its province) for views that aggregate."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Literal

from contracts import divisions

Level = Literal["county", "prefecture", "province"]
LEVELS: tuple[Level, ...] = ("county", "prefecture", "province")


@cache
def _english() -> dict[str, str]:
    """Code -> English name; a code that is a county and a prefecture (东莞市) has one name."""
    text = resources.files("dashboard").joinpath("data/division_names_en.csv")
    lines = (line for line in text.read_text("utf-8").splitlines() if not line.startswith("#"))
    table: dict[str, str] = {}
    for row in csv.DictReader(lines):
        table.setdefault(row["code"], row["en"])
    return table


def english(code: str) -> str:
    """``Hanbin District``; a code outside GB/T 2260 is ``County <code>``."""
    return _english().get(code, f"County {code}")


def chinese(code: str) -> str:
    """``汉滨区``; a prefecture that only groups a municipality's districts is the municipality
    (``北京市``, not ``市辖区``)."""
    division = divisions.authority(code)
    if division is None:
        return code
    if division.level == "prefecture" and division.name in ("市辖区", "县"):
        return division.province
    if division.level == "prefecture" and division.name.endswith("直辖县级行政区划"):
        return f"{division.province}直辖县"
    return division.name


def group_of(code: str, level: Level) -> str:
    """The code of the division at ``level`` that holds county ``code`` (itself for county)."""
    if level == "county":
        return code
    if level == "prefecture":
        return code[:4] + "00"
    return code[:2] + "0000"


def names(codes: Iterable[str]) -> dict[str, dict[str, str]]:
    return {c: {"zh": chinese(c), "en": english(c)} for c in sorted(set(codes)) if c}
