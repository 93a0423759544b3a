"""National ID numbers (GB 11643-1999) checked at the county node, before hashing.

The raw number never leaves the node: only :func:`person_key` of it does (see
``streams.county_node``), a keyed hash of the normalized number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"  # ISO 7064 MOD 11-2: index = weighted sum mod 11
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")  # ASCII only: \d would admit other scripts
# Stated character by character so that any language normalizes alike (Python's own
# str.strip and JavaScript's trim disagree on several exotic spaces).
SPACES = " \t\n\r\u3000"  # stripped at both ends: ASCII whitespace, ideographic space
_FOLD = str.maketrans("０１２３４５６７８９Ｘｘx", "0123456789XXX")  # full-width, lower-case x


class InvalidNationalId(ValueError):
    """The number is not a valid 18-character citizen ID number."""


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize_national_id(raw: str) -> str:
    """The number as hashed; raise InvalidNationalId when it is not a valid one.

    Strip ``SPACES`` at both ends; fold full-width digits ０-９ and Ｘ/ｘ to ASCII and
    lower-case x to X; then it must be 17 ASCII digits and a check character, with a real
    birth date (digits 7-14, YYYYMMDD) and the GB 11643 check character."""
    number = raw.strip(SPACES).translate(_FOLD)
    if not _SHAPE.fullmatch(number):
        raise InvalidNationalId("national ID must be 17 digits and a check digit or X")
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidNationalId("national ID has an impossible birth date") from None
    expected = check_char(number[:17])
    if number[17] != expected:
        raise InvalidNationalId(
            f"national ID check digit is {number[17]!r}, GB 11643 requires {expected!r}"
        )
    return number


# What might be an ID number in text that should hold none: 17 digits and a check character,
# or a 15-digit (first-generation) number, standing alone: not part of a longer run of
# letters and digits (a hex person key holds runs of digits by chance). ASCII and full-width
# characters alike (a county form may hold either).
_DIGIT = "0-9\uff10-\uff19"
_WORD = _DIGIT + "A-Za-z\uff21-\uff3a\uff41-\uff5a"
_CANDIDATE = re.compile(
    rf"(?<![{_WORD}])(?:[{_DIGIT}]{{17}}[{_DIGIT}Xx\uff38\uff58]|[{_DIGIT}]{{15}})(?![{_WORD}])"
)
MASK = "*"


def mask_national_ids(text: str) -> tuple[str, int]:
    """``text`` with everything that looks like a national ID number masked, and how many.

    An 18-character candidate is masked when its check digit is valid (GB 11643); any run
    of exactly 15 digits is masked (those numbers carry no check digit). The mask is one
    ``*`` per character, so the text keeps its length and shape.
    """
    count = 0

    def mask(match: re.Match[str]) -> str:
        nonlocal count
        number = match.group(0).translate(_FOLD)
        if len(number) == 18 and check_char(number[:17]) != number[17]:
            return match.group(0)
        count += 1
        return MASK * len(number)

    return _CANDIDATE.sub(mask, text), count


def person_key(national_id: str, secret: bytes) -> str:
    """HMAC-SHA256 of the normalized number; raises InvalidNationalId for a bad number."""
    return hmac.new(secret, normalize_national_id(national_id).encode(), hashlib.sha256).hexdigest()
