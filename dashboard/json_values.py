"""Values from PostgreSQL as JSON: datetimes (with their UTC offset) and UUIDs as strings."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def rows(records: Any) -> list[dict[str, Any]]:
    return [jsonable(dict(r)) for r in records]
