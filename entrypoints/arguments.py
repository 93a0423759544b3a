"""What every command's arguments share: the exit status of a bad argument, the parser that
says so in one line, and the types of the arguments several commands take."""

from __future__ import annotations

import argparse
import datetime as dt
import math
from collections.abc import Callable
from typing import NoReturn

from contracts import divisions

EXIT_USAGE = 2

# Adds one sub-command to ``liudong``: the ``add_parser`` of its sub-parsers, which each
# command family's ``add_parser`` is given.
AddParser = Callable[..., argparse.ArgumentParser]


class UsageParser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr and exit status 2, never a traceback."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def county_code(value: str) -> str:
    if divisions.county(value) is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a current GB/T 2260 county-level code")
    return value


def positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not math.isfinite(number):  # float() reads "nan" and "inf", which no option means
        raise argparse.ArgumentTypeError(f"{value!r} is not a finite number")
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be positive")
    return number


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be positive")
    return number


def soak_minutes(value: str) -> float:
    minutes = positive_float(value)
    if minutes > 24 * 60:
        raise argparse.ArgumentTypeError(f"{value!r} is more than a day (1440 minutes)")
    return minutes


def instant(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 instant") from None
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} needs a time zone, e.g. +08:00 or Z")
    return parsed.astimezone(dt.UTC)


def period(value: str) -> str:
    from contracts import periods

    try:
        return periods.parse(value).text
    except periods.PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def assessed_period(value: str) -> str:
    """A period the assessment scores: a month or a quarter."""
    from agents.assessment_state import ASSESSED_KINDS
    from contracts import periods

    try:
        return periods.parse(value, ASSESSED_KINDS).text
    except periods.PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def utc_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--utc", action="store_true", help="times in UTC (default: UTC+8)")
