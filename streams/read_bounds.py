"""Where a read up to fixed end offsets stands, without any I/O.

A reader that must give the same records for the same positions reads each partition from
a start up to an end fixed at one moment: records past the end (written meanwhile) are left
out, and a partition is done once the consumer's position reaches its end, whether or not
a record sits at ``end - 1`` (a transaction marker or an aborted record holds that offset
and is never handed over under ``read_committed``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Generic, Protocol, TypeVar

K = TypeVar("K", bound=Hashable)


class Positioned(Protocol):
    @property
    def offset(self) -> int: ...


R = TypeVar("R", bound=Positioned)


class ReadBounds(Generic[K]):
    """The partitions (any hashable key) still to read, between a start and an end each.

    ``starts`` defaults to 0 (the beginning); a partition whose start is at or past its end
    has nothing to read and is done from the outset.
    """

    def __init__(self, ends: Mapping[K, int], starts: Mapping[K, int] | None = None) -> None:
        self.ends: dict[K, int] = {key: int(end) for key, end in ends.items()}
        self.starts: dict[K, int] = {key: int((starts or {}).get(key, 0)) for key in self.ends}
        self.remaining: set[K] = {key for key, end in self.ends.items() if self.starts[key] < end}
        self.reached_end: set[K] = set()  # read to the end (not finished early, not empty)

    def within(self, key: K, records: Iterable[R]) -> list[R]:
        """The records of ``key`` between its start and its end (none once it is done)."""
        if key not in self.remaining:
            return []
        low, high = self.starts[key], self.ends[key]
        return [r for r in records if low <= r.offset < high]

    def reached(self, key: K, position: int) -> bool:
        """Whether ``key`` is done with the consumer's ``position`` (its next offset); a
        partition that reaches its end leaves :attr:`remaining`."""
        if key in self.remaining and position >= self.ends[key]:
            self.remaining.discard(key)
            self.reached_end.add(key)
        return key not in self.remaining

    def finish(self, key: K) -> None:
        """Stop reading ``key`` before its end (for example, a cut the caller found)."""
        self.remaining.discard(key)

    @property
    def done(self) -> bool:
        return not self.remaining
