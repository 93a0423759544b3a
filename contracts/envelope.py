"""The envelope every event carries, whatever its type."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from pydantic import ConfigDict, Field, model_validator

from contracts.base import Contract
from contracts.types import AuthorityCode, Identifier, Instant, Signature


def _schema_extra(schema: dict[str, Any], cls: type) -> None:
    """``event_type`` and ``schema_version`` are required on the wire (the models default
    the first and the codec needs both before it can even pick a model)."""
    properties = schema.get("properties", {})
    if "event_type" not in properties:
        return
    properties["event_type"]["description"] = "The event's type: names this schema."
    required = schema.setdefault("required", [])
    for name in ("event_type", "schema_version"):
        if name not in required:
            required.append(name)
    required.sort()


class Envelope(Contract):
    """Fields common to every event.

    ``occurred_at`` is event time: what the rules reason about. ``recorded_at`` is when the
    publisher wrote it down. ``signature`` is the publisher's Ed25519 signature over the
    canonical JSON of every other field (see ``streams.signing``); derived events written by
    the region's own workers on internal topics carry none.
    """

    model_config = ConfigDict(json_schema_extra=_schema_extra)

    SCHEMA_VERSION: ClassVar[int] = 1
    PERSONAL: ClassVar[bool] = False  # carries a person key: reads of it are audited

    event_id: UUID = Field(
        strict=False,
        description="The event's unique id (a UUID). The same id on other content is "
        "refused (`event_id_reused`); the same event again is dropped as a duplicate.",
    )
    event_type: str
    schema_version: int = Field(
        ge=1,
        description="The version of this event type's schema the fields follow.",
    )
    occurred_at: Instant = Field(
        description="When it happened (event time): what deadlines and the logical clock "
        "reason about. RFC 3339 with an offset; read as UTC.",
    )
    recorded_at: Instant = Field(
        description="When the publisher recorded (and signed) it. RFC 3339 with an offset.",
    )
    source_county: AuthorityCode = Field(
        description="The county (6-digit GB/T 2260 code) the publisher acts for; the "
        "region's code for what the region publishes.",
    )
    publisher_id: Identifier = Field(
        description="Who signed it: `<county>/node` (a county node), `<region>/region` "
        "(the region) or `<county>/<name>` (a department or outposted office).",
    )
    correlation_id: UUID = Field(
        strict=False,
        description="Ties together the events of one exchange; the first event's own id "
        "when it starts one.",
    )
    causation_id: UUID | None = Field(
        default=None,
        strict=False,
        description="The id of the event that caused this one, if any.",
    )
    signature: Signature | None = Field(
        default=None,
        description="The publisher's Ed25519 signature (64 bytes, standard base64) over the "
        "canonical JSON of every other field. Required on what counties and the region "
        "publish; absent on events the region's workers derive.",
    )

    @model_validator(mode="after")
    def _current_version(self) -> Envelope:
        # Older versions are upcast before validation (contracts.upcasting); anything that
        # reaches a model must already be at its current version.
        if self.schema_version != self.SCHEMA_VERSION:
            raise ValueError(
                f"{self.event_type} is at schema version {self.SCHEMA_VERSION}; "
                f"got {self.schema_version}"
            )
        return self
