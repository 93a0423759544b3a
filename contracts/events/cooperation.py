"""Cooperation between counties about a person: inquiries (协查), services and receipts."""

from __future__ import annotations

from typing import Literal

from contracts.events.migration import PersonEvent
from contracts.types import CountyCode, Identifier, InquiryAnswer, InquiryKind, ServiceKind


class InquirySent(PersonEvent):
    event_type: Literal["inquiry_sent"] = "inquiry_sent"
    inquiry_id: Identifier
    to_county: CountyCode
    kind: InquiryKind


class InquiryAnswered(PersonEvent):
    event_type: Literal["inquiry_answered"] = "inquiry_answered"
    inquiry_id: Identifier
    to_county: CountyCode  # the county that asked
    answer: InquiryAnswer


class ServiceRecorded(PersonEvent):
    """The destination records a service for a person from the origin; the origin signs for it."""

    event_type: Literal["service_recorded"] = "service_recorded"
    service_id: Identifier
    origin_county: CountyCode
    service: ServiceKind


class ReceiptAcknowledged(PersonEvent):
    """The origin acknowledges receipt (签收) of a service record."""

    event_type: Literal["receipt_acknowledged"] = "receipt_acknowledged"
    service_id: Identifier
    to_county: CountyCode  # the county that recorded the service
