"""Log positions: how far into each topic a bulletin read. Pure, no I/O.

A position is, per topic the bulletin reads and per partition, the offset it read up to
(exclusive: the partition's end offset when it was read). The text form, which the
document prints and ``--at-position`` takes, is
``obligations=120,98,77/alerts=5,6,7/validated=1000,900,950`` (partitions in order).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# The topics a bulletin is computed from (streams.topics names, without the prefix).
TOPICS: tuple[str, ...] = ("obligations", "alerts", "validated")

Positions = Mapping[str, tuple[int, ...]]


class PositionError(ValueError):
    """Not a position; the message is one line."""


def parse(text: str) -> Positions:
    """``obligations=1,2/alerts=3,4/validated=5,6`` as positions; PositionError otherwise."""
    out: dict[str, tuple[int, ...]] = {}
    for part in text.strip().split("/"):
        name, sep, offsets = part.partition("=")
        name = name.strip()
        if not sep or name not in TOPICS:
            raise PositionError(
                f"{part!r} is not TOPIC=OFFSET,OFFSET,...: topics are {', '.join(TOPICS)} "
                "(e.g. obligations=120,98/alerts=5,6/validated=1000,900)"
            )
        if name in out:
            raise PositionError(f"{name} is given twice")
        try:
            numbers = tuple(int(o) for o in offsets.split(","))
        except ValueError:
            raise PositionError(f"{name}: offsets are whole numbers, not {offsets!r}") from None
        if any(n < 0 for n in numbers):
            raise PositionError(f"{name}: offsets are not negative")
        out[name] = numbers
    missing = [t for t in TOPICS if t not in out]
    if missing:
        raise PositionError(f"positions for {', '.join(missing)} are missing")
    return MappingProxyType({t: out[t] for t in TOPICS})


def text(positions: Positions) -> str:
    """The text form :func:`parse` reads."""
    return "/".join(f"{t}={','.join(str(o) for o in positions[t])}" for t in TOPICS)


def as_json(positions: Positions) -> dict[str, list[int]]:
    return {t: list(positions[t]) for t in TOPICS}


def from_json(doc: object) -> Positions:
    """The JSON form a document embeds; PositionError if it is not one."""
    if not isinstance(doc, dict) or sorted(doc) != sorted(TOPICS):
        raise PositionError(f"positions name the topics {', '.join(TOPICS)}")
    out: dict[str, tuple[int, ...]] = {}
    for t in TOPICS:
        offsets = doc[t]
        if not isinstance(offsets, list) or not all(
            isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in offsets
        ):
            raise PositionError(f"{t}: offsets are a list of whole numbers")
        out[t] = tuple(offsets)
    return MappingProxyType(out)
