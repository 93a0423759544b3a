"""Small numbers withheld, so that no single person can be singled out. Pure, no I/O.

Used by the bulletin's public edition and the public disclosure page for county figures.
A count is shown when it is 0 or at least the threshold (``LIUDONG_PUBLIC_SUPPRESS_BELOW``,
default 5); otherwise it is
withheld as ``<5``. A fraction (numerator of a denominator) is shown whole only when its
numerator, its denominator and their difference are each 0 or at least the threshold:
``38 / 40`` says that 2 were not, so it is withheld too. Of a withheld fraction the
denominator is still shown when it is large enough by itself, and the numerator and the
ratio are withheld (``*``).
"""

from __future__ import annotations

from dataclasses import dataclass

WITHHELD = "*"


@dataclass(frozen=True, slots=True)
class Shown:
    """A figure as it may be shown: ``text`` (the number, ``<5`` or ``*``) and whether it is
    the number itself."""

    text: str
    exact: bool


def small(n: int, threshold: int) -> bool:
    return 0 < n < threshold


def count(n: int, threshold: int | None) -> Shown:
    """A count; ``threshold`` None shows everything (the offices' edition)."""
    if threshold is not None and small(n, threshold):
        return Shown(f"<{threshold}", exact=False)
    return Shown(str(n), exact=True)


def fraction_shown(numerator: int, denominator: int, threshold: int | None) -> bool:
    """Whether ``numerator / denominator`` may be shown whole."""
    if threshold is None:
        return True
    return not any(small(n, threshold) for n in (numerator, denominator, denominator - numerator))


def fraction(numerator: int, denominator: int, threshold: int | None) -> tuple[Shown, Shown]:
    """(numerator, denominator) as they may be shown."""
    if fraction_shown(numerator, denominator, threshold):
        return Shown(str(numerator), True), Shown(str(denominator), True)
    return Shown(WITHHELD, exact=False), count(denominator, threshold)
