"""The languages people read the system in: Chinese first (the county offices), English.

Every bilingual word in the tree is a pair in this order, (中文, English)."""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


def pick(pair: tuple[str, str], lang: Lang) -> str:
    """The word of ``pair`` (Chinese, English) in ``lang``."""
    return pair[0] if lang == "zh" else pair[1]
