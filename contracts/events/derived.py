"""Events the region's agents derive: obligations, alerts, scorecards, dead letters.

Their ids are derived deterministically from their causes, and their times from event time,
so replaying the log yields byte-identical derived events.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.base import Contract
from contracts.envelope import Envelope
from contracts.events.migration import PersonEvent
from contracts.types import CheckKind, CountyCode, Identifier, Instant, ShortText

ObligationKind = Literal[
    "arrival_registration",  # B registers the arrival announced by A's outflow
    "origin_confirmation",  # A confirms a person B registered without an outflow
    "inquiry_answer",  # the counterpart answers an inquiry
    "receipt_acknowledgement",  # A signs for a service B recorded
    "handover_notice",  # B notifies the move on / return home
    "case_takeover",  # C (or A) takes over the case
    "verification_result",  # a campaign's assignee reports a result
]
AlertKind = Literal[
    "agreement_missing",
    "agreement_revoked_mid_case",
    "escalation",
    "answer_without_question",  # an answer kept for a question that never came in time
]


class ObligationOpened(PersonEvent):
    event_type: Literal["obligation_opened"] = "obligation_opened"
    obligation_id: Identifier
    kind: ObligationKind
    responsible_county: CountyCode
    counterpart_county: CountyCode
    opened_at: Instant
    due_at: Instant
    remind_at: Instant
    escalate_at: Instant
    urgent: bool = False
    agreement_id: Identifier | None = None


class ObligationReminded(PersonEvent):
    event_type: Literal["obligation_reminded"] = "obligation_reminded"
    obligation_id: Identifier
    responsible_county: CountyCode
    due_at: Instant


class ObligationFulfilled(PersonEvent):
    event_type: Literal["obligation_fulfilled"] = "obligation_fulfilled"
    obligation_id: Identifier
    responsible_county: CountyCode
    late: bool
    fulfilled_by_publisher: Identifier


class ObligationBreached(PersonEvent):
    event_type: Literal["obligation_breached"] = "obligation_breached"
    obligation_id: Identifier
    responsible_county: CountyCode
    due_at: Instant


class ObligationEscalated(PersonEvent):
    event_type: Literal["obligation_escalated"] = "obligation_escalated"
    obligation_id: Identifier
    responsible_county: CountyCode
    escalated_to: Identifier


class ObligationCancelled(PersonEvent):
    """The obligation no longer applies (for example, the person moved on before it was due)."""

    event_type: Literal["obligation_cancelled"] = "obligation_cancelled"
    obligation_id: Identifier
    responsible_county: CountyCode
    reason: ShortText


class AlertRaised(Envelope):
    event_type: Literal["alert_raised"] = "alert_raised"
    alert_id: Identifier
    kind: AlertKind
    counties: tuple[CountyCode, ...] = Field(min_length=1, max_length=3)
    period: Identifier
    detail: ShortText


class CoverageFigure(Contract):
    scope: Identifier  # "region" or a county code
    flows: int = Field(ge=0)
    covered: int = Field(ge=0)


class AgreementCoveragePublished(Envelope):
    """Share of flows covered by an agreement in force, per county and for the region."""

    event_type: Literal["agreement_coverage_published"] = "agreement_coverage_published"
    period: Identifier
    # Figures are tallied per agent partition: the region's figure is the sum over
    # partitions of each partition's newest publication for the period.
    partition: int = Field(ge=0)
    figures: tuple[CoverageFigure, ...]


class ProgressFigure(Contract):
    county: CountyCode  # the assignee
    check: CheckKind
    assigned: int = Field(ge=0)
    answered: int = Field(ge=0)
    overdue: int = Field(ge=0)  # unanswered past the deadline


class CampaignProgressPublished(Envelope):
    """A campaign's tasks per assignee county and kind, as one agent partition sees them.

    As for coverage, the campaign's figures are the sum over partitions of each partition's
    newest publication.
    """

    event_type: Literal["campaign_progress_published"] = "campaign_progress_published"
    campaign_id: Identifier
    partition: int = Field(ge=0)
    closed: bool
    figures: tuple[ProgressFigure, ...]


class IndicatorValue(Contract):
    name: Identifier
    side: Literal["origin", "destination"]
    numerator: int = Field(ge=0)
    denominator: int = Field(ge=0)


class ScorecardPublished(Envelope):
    event_type: Literal["scorecard_published"] = "scorecard_published"
    county: CountyCode
    period: Identifier
    revision: int = Field(ge=1)
    reason: ShortText
    indicators: tuple[IndicatorValue, ...]
    origin_score: float = Field(ge=0, le=100, strict=False)
    destination_score: float = Field(ge=0, le=100, strict=False)
    combined_score: float = Field(ge=0, le=100, strict=False)


class DeadLettered(Envelope):
    """Bad input, kept: its bytes (base64), why it was refused and where it came from.

    What is kept is bounded (``streams.dead_letters``): the bytes received with anything that
    looks like a national ID number masked, cut at a fixed length; the whole message stays
    at its source position. ``raw_length`` is the length received; ``raw_sha256`` the
    SHA-256 of the bytes received, left out when a number was masked (a hash of a short
    message would give the number back to anyone trying every number).
    """

    event_type: Literal["dead_lettered"] = "dead_lettered"
    reason_code: Identifier
    reason: str = Field(max_length=2000)
    raw: str  # standard base64 of the bytes kept
    source_topic: Identifier
    source_partition: int = Field(ge=0)
    source_offset: int = Field(ge=0)
    raw_length: int | None = Field(default=None, ge=0)
    raw_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    ids_masked: int = Field(default=0, ge=0)
