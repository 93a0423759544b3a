"""A table of words: code -> (中文, English), read-only, and how a reader looks one up."""

from __future__ import annotations

from types import MappingProxyType

from contracts.languages import Lang

Words = MappingProxyType[str, tuple[str, str]]  # code -> (中文, English)


def words(table: dict[str, tuple[str, str]]) -> Words:
    return MappingProxyType(table)


def word(table: Words, code: str, lang: Lang = "zh") -> str:
    """The code's word in ``lang``; the code itself when the table has no entry (a code newer
    than the table)."""
    entry = table.get(code)
    if entry is None:
        return code
    return entry[0] if lang == "zh" else entry[1]
