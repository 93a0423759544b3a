"""The model base every contract shares: frozen, closed, strict."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    # strict: a JSON "12" is not an int and a bool is not a number; datetimes and UUIDs still
    # parse from their JSON string forms because strict JSON mode accepts those.
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
