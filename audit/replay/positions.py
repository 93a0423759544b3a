"""Positions in the validated log, and the cause a derived record names. Pure, no I/O.

A **position** is the next offset per validated partition: ``{0: 120, 1: 98}`` covers
offsets 0-119 of partition 0 and 0-97 of partition 1. A verification is made *at* a position
``V``: the replay reads the log up to ``V``, and the live derived topics are restricted to
the records whose cause lies below ``V``.

The **cause** of a derived record is the validated record whose decision produced it: the
workers put its ``<topic>/<partition>/<offset>`` in the record's ``liudong-cause`` header
(:data:`CAUSE_HEADER`). Topic names hold dots and dashes but no slash, so the value reads
from the right.

``--at-position`` takes a position as ``P:O`` pairs, comma-separated (``0:120,1:98``), or
in the form a bulletin prints its positions (``validated=1000,900,950``, partitions in order,
alone or among the other topics' ``obligations=.../alerts=.../validated=...``): a bulletin's
validated position is the one to replay to for the state it was computed from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CAUSE_HEADER = "liudong-cause"

Position = Mapping[int, int]  # validated partition -> next offset


class PositionError(ValueError):
    """A position that cannot be read; the message is one line."""


@dataclass(frozen=True, slots=True, order=True)
class Cause:
    """Where the record that caused a derived record lies."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"


def parse_cause(value: bytes | str) -> Cause:
    """A ``liudong-cause`` header value; PositionError for anything else."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    topic, _, rest = text.rpartition("/")
    topic, _, partition = topic.rpartition("/")
    if not topic or not partition.isdigit() or not rest.isdigit():
        raise PositionError(f"{text!r} is not <topic>/<partition>/<offset>")
    return Cause(topic, int(partition), int(rest))


def cause_of(headers: Iterable[tuple[str, bytes]] | None) -> Cause | None:
    """The record's cause from its headers; None if it names none (or not readably)."""
    for name, value in headers or ():
        if name == CAUSE_HEADER:
            try:
                return parse_cause(value)
            except PositionError:
                return None
    return None


def parse_position(text: str) -> dict[int, int]:
    """``0:120,1:98`` -> ``{0: 120, 1: 98}``; ``validated=120,98`` (also among other
    topics, ``/``-separated) likewise; PositionError (one line) otherwise."""
    if "=" in text:
        return _bulletin_form(text)
    out: dict[int, int] = {}
    for part in text.split(","):
        partition, sep, offset = part.strip().partition(":")
        if not sep or not partition.isdigit() or not offset.isdigit():
            raise PositionError(
                f"{part.strip()!r} is not PARTITION:OFFSET (for example 0:120,1:98)"
            )
        if int(partition) in out:
            raise PositionError(f"partition {int(partition)} is given twice")
        out[int(partition)] = int(offset)
    return out


def _bulletin_form(text: str) -> dict[int, int]:
    for part in text.strip().split("/"):
        name, _, offsets = part.partition("=")
        if name.strip() != "validated":
            continue
        numbers = [o.strip() for o in offsets.split(",")]
        if not all(n.isdigit() for n in numbers):
            raise PositionError(f"validated: offsets are whole numbers, not {offsets!r}")
        return {p: int(n) for p, n in enumerate(numbers)}
    raise PositionError(f"{text.strip()!r} names no validated=OFFSET,... position")


def show(position: Position) -> str:
    """The ``--at-position`` form of a position, partitions in order."""
    return ",".join(f"{p}:{o}" for p, o in sorted(position.items()))


def check_within(
    asked: Position,
    partitions: Iterable[int],
    reached: Position,
    *,
    limit: str = "what the live system has derived",
) -> None:
    """PositionError unless ``asked`` names every partition and none past ``reached`` (how
    far the live system has derived, or the log's end: ``limit`` says which)."""
    every = sorted(partitions)
    missing = [p for p in every if p not in asked]
    unknown = sorted(p for p in asked if p not in every)
    if unknown:
        raise PositionError(f"the validated topic has no partition {unknown[0]}")
    if missing:
        raise PositionError(f"the position names no offset for partition {missing[0]}")
    for p in every:
        if asked[p] > reached.get(p, 0):
            raise PositionError(
                f"partition {p}: offset {asked[p]} is past {limit} ({reached.get(p, 0)})"
            )


def lowest(*positions: Position) -> dict[int, int]:
    """Per partition, the smallest offset any of ``positions`` gives (absent counts as 0)."""
    keys = set().union(*positions)
    return {p: min(pos.get(p, 0) for pos in positions) for p in sorted(keys)}
