"""The envelope every event carries, whatever its type."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field, model_validator

from contracts.base import Contract
from contracts.types import AuthorityCode, Identifier, Instant, Signature


class Envelope(Contract):
    """Fields common to every event.

    ``occurred_at`` is event time: what the rules reason about. ``recorded_at`` is when the
    publisher wrote it down. ``signature`` is the publisher's Ed25519 signature over the
    canonical JSON of every other field (see ``streams.signing``); derived events written by
    the region's own workers on internal topics carry none.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    PERSONAL: ClassVar[bool] = False  # carries a person key: reads of it are audited

    event_id: UUID = Field(strict=False)
    event_type: str
    schema_version: int = Field(ge=1)
    occurred_at: Instant
    recorded_at: Instant
    source_county: AuthorityCode
    publisher_id: Identifier
    correlation_id: UUID = Field(strict=False)
    causation_id: UUID | None = Field(default=None, strict=False)
    signature: Signature | None = None

    @model_validator(mode="after")
    def _current_version(self) -> Envelope:
        # Older versions are upcast before validation (contracts.upcasting); anything that
        # reaches a model must already be at its current version.
        if self.schema_version != self.SCHEMA_VERSION:
            raise ValueError(
                f"{self.event_type} must be schema version {self.SCHEMA_VERSION}, "
                f"got {self.schema_version}"
            )
        return self
