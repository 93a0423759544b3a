"""Cooperation between counties about a person: inquiries (协查), services and receipts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.events.migration import PersonEvent
from contracts.types import CountyCode, Identifier, InquiryAnswer, InquiryKind, ServiceKind


class InquirySent(PersonEvent):
    """A county asks another about a person (协查); the county asked must answer in time.

    Published by the asking county (``source_county``), never to itself.
    """

    event_type: Literal["inquiry_sent"] = "inquiry_sent"
    inquiry_id: Identifier = Field(description="The inquiry's id, repeated in the answer.")
    to_county: CountyCode = Field(description="The county asked, which must answer.")
    kind: InquiryKind = Field(
        description="certificate (answer within 7 days), urgent, e.g. pregnancy or birth "
        "(15), other (30), unless an agreement says otherwise."
    )


class InquiryAnswered(PersonEvent):
    """The county asked answers an inquiry.

    Published by the county answering (``source_county``), addressed to the one that asked.
    """

    event_type: Literal["inquiry_answered"] = "inquiry_answered"
    inquiry_id: Identifier = Field(description="The id of the inquiry answered.")
    to_county: CountyCode = Field(
        description="The county that asked (the inquiry's source_county), not the one answering."
    )
    answer: InquiryAnswer = Field(
        description="confirmed, denied, or unknown (the county asked cannot tell)."
    )


class ServiceRecorded(PersonEvent):
    """The destination records a service for a person from the origin; the origin signs for it.

    Published by the county that gave the service (``source_county``), never the origin.
    """

    event_type: Literal["service_recorded"] = "service_recorded"
    service_id: Identifier = Field(description="The service record's id, repeated in the receipt.")
    origin_county: CountyCode = Field(
        description="The person's home county, which must acknowledge receipt."
    )
    service: ServiceKind = Field(
        description="What was given; pregnancy and birth are urgent (15 days to acknowledge)."
    )


class ReceiptAcknowledged(PersonEvent):
    """The origin acknowledges receipt (签收) of a service record.

    Published by the origin (``source_county``), addressed to the county that recorded it.
    """

    event_type: Literal["receipt_acknowledged"] = "receipt_acknowledged"
    service_id: Identifier = Field(description="The id of the service record acknowledged.")
    to_county: CountyCode = Field(
        description="The county that recorded the service (its source_county), not the one "
        "acknowledging."
    )
