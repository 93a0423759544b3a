"""What every row module gives the store: a SQL statement with its arguments, and where an
event was read; and event payloads as PostgreSQL jsonb text."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Position:
    topic: str
    partition: int
    offset: int


def as_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if "\\u0000" in text:
        # jsonb refuses the NUL character: it is kept as the text "\u0000" instead.
        text = json.dumps(
            _without_nul(value), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
    return text


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\\u0000")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nul(v) for v in value]
    return value
