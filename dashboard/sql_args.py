"""Numbered ``$n`` placeholders for a statement built from parts: each value is added once
and referred to by its number, so fragments from :mod:`dashboard.scope` and the
views' own filters compose without counting by hand."""

from __future__ import annotations

from typing import Any


class Args:
    def __init__(self) -> None:
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        """The placeholder (``$3``) for ``value``, appended as the next argument."""
        self.values.append(value)
        return f"${len(self.values)}"

    @property
    def next(self) -> int:
        """The number the next added value will take (for builders that take ``arg=``)."""
        return len(self.values) + 1

    def extend(self, values: tuple[Any, ...]) -> None:
        """Append values a builder numbered from :attr:`next` (in order)."""
        self.values.extend(values)
