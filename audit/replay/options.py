"""What ``liudong replay`` was asked (:class:`Options`, as the CLI parsed it) and which
combinations of its flags make no sense."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from audit.replay.positions import Position
from contracts.human_time import LOCAL, Zone


@dataclass(frozen=True, slots=True)
class Options:
    """Everything ``liudong replay`` was asked, as the CLI parsed it."""

    as_of: dt.datetime | None = None
    at_position: Position | None = None
    verify: bool = False
    county: str | None = None
    workers: int = 1
    report: Path | None = None
    check_report: Path | None = None
    recompute: bool = False
    config: Path | None = None
    derived_prefix: str | None = None
    wait_s: float = 10.0
    fmt: str = "table"
    zone: Zone = LOCAL


def usage_problem(o: Options) -> str | None:
    """What is wrong with the combination of options, if anything (one line)."""
    if o.check_report is not None:
        others = [
            name
            for name, given in (
                ("--verify", o.verify),
                ("--as-of", o.as_of is not None),
                ("--at-position", o.at_position is not None),
                ("--county", o.county is not None),
                ("--report", o.report is not None),
                ("--derived-prefix", o.derived_prefix is not None),
            )
            if given
        ]
        if others:
            return f"--check-report reads a record made earlier: drop {', '.join(others)}"
        return None
    if o.recompute:
        return "--recompute goes with --check-report FILE"
    if o.as_of is not None and o.at_position is not None:
        return "give --as-of or --at-position, not both"
    if o.county is not None and o.verify:
        return "--county shows one county's snapshot; verify without it"
    if o.report is not None and not o.verify:
        return "--report records a verification: add --verify"
    if o.derived_prefix is not None and not o.verify:
        return "--derived-prefix names the live topics to verify against: add --verify"
    if o.wait_s < 0:
        return "--wait must not be negative"
    return None
