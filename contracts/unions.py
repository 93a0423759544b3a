"""One discriminated union per topic, and the registry of every event class."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from contracts.envelope import Envelope
from contracts.events.agreements import AgreementAmended, AgreementRevoked, AgreementSigned
from contracts.events.campaigns import (
    CampaignClosed,
    CampaignExtended,
    CampaignOpened,
    RecordsSplit,
    VerificationResultReported,
    VerificationTaskAssigned,
)
from contracts.events.clock import ClockTicked
from contracts.events.cooperation import (
    InquiryAnswered,
    InquirySent,
    ReceiptAcknowledged,
    ServiceRecorded,
)
from contracts.events.derived import (
    AgreementCoveragePublished,
    AlertRaised,
    CampaignProgressPublished,
    DeadLettered,
    ObligationBreached,
    ObligationCancelled,
    ObligationEscalated,
    ObligationFulfilled,
    ObligationOpened,
    ObligationReminded,
    ScorecardPublished,
)
from contracts.events.migration import (
    ArrivalNotFound,
    CaseTakenOver,
    InflowRegistered,
    MovedOn,
    OriginAnswered,
    OutflowRegistered,
    ReturnedHome,
)
from contracts.events.registry import (
    CountyRegistered,
    KeyRotated,
    PublisherRegistered,
    PublisherRevoked,
)

RegistryEvent = Annotated[
    CountyRegistered | PublisherRegistered | KeyRotated | PublisherRevoked,
    Field(discriminator="event_type"),
]

# What county nodes and the region publish, and (once checked) the validated topic carries.
CountyEvent = Annotated[
    AgreementSigned
    | AgreementAmended
    | AgreementRevoked
    | OutflowRegistered
    | InflowRegistered
    | ArrivalNotFound
    | OriginAnswered
    | MovedOn
    | ReturnedHome
    | CaseTakenOver
    | InquirySent
    | InquiryAnswered
    | ServiceRecorded
    | ReceiptAcknowledged
    | CampaignOpened
    | CampaignExtended
    | CampaignClosed
    | VerificationResultReported
    | RecordsSplit
    | ClockTicked,
    Field(discriminator="event_type"),
]

ObligationEvent = Annotated[
    ObligationOpened
    | ObligationReminded
    | ObligationFulfilled
    | ObligationBreached
    | ObligationEscalated
    | ObligationCancelled
    | VerificationTaskAssigned,
    Field(discriminator="event_type"),
]

AlertEvent = Annotated[
    AlertRaised | AgreementCoveragePublished | CampaignProgressPublished,
    Field(discriminator="event_type"),
]
ScorecardEvent = Annotated[ScorecardPublished, Field(discriminator="event_type")]
DeadLetterEvent = Annotated[DeadLettered, Field(discriminator="event_type")]

ALL_EVENTS: tuple[type[Envelope], ...] = (
    CountyRegistered,
    PublisherRegistered,
    KeyRotated,
    PublisherRevoked,
    AgreementSigned,
    AgreementAmended,
    AgreementRevoked,
    OutflowRegistered,
    InflowRegistered,
    ArrivalNotFound,
    OriginAnswered,
    MovedOn,
    ReturnedHome,
    CaseTakenOver,
    InquirySent,
    InquiryAnswered,
    ServiceRecorded,
    ReceiptAcknowledged,
    CampaignOpened,
    CampaignExtended,
    CampaignClosed,
    VerificationTaskAssigned,
    VerificationResultReported,
    RecordsSplit,
    ClockTicked,
    ObligationOpened,
    ObligationReminded,
    ObligationFulfilled,
    ObligationBreached,
    ObligationEscalated,
    ObligationCancelled,
    AlertRaised,
    AgreementCoveragePublished,
    CampaignProgressPublished,
    ScorecardPublished,
    DeadLettered,
)

EVENT_CLASSES: dict[str, type[Envelope]] = {
    cls.model_fields["event_type"].default: cls for cls in ALL_EVENTS
}
