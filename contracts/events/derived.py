"""Events the region's agents derive: obligations, alerts, scorecards, dead letters.

Their ids are derived deterministically from their causes, and their times from event time,
so replaying the log yields byte-identical derived events.
"""

from __future__ import annotations

from typing import ClassVar, Literal

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

_OBLIGATION_ID = "The obligation's id, derived from its cause."
_RESPONSIBLE = "The county that owes it."


class ObligationOpened(PersonEvent):
    """A county now owes something by a deadline (derived by the region's agents)."""

    event_type: Literal["obligation_opened"] = "obligation_opened"
    obligation_id: Identifier = Field(description=_OBLIGATION_ID)
    kind: ObligationKind = Field(description="What is owed.")
    responsible_county: CountyCode = Field(description=_RESPONSIBLE)
    counterpart_county: CountyCode = Field(description="The county it is owed to.")
    opened_at: Instant = Field(description="Event time of the cause.")
    due_at: Instant = Field(description="The deadline, in event time.")
    remind_at: Instant = Field(description="When a reminder is sent if still open.")
    escalate_at: Instant = Field(description="When a breach is escalated to the region.")
    urgent: bool = Field(default=False, description="Pregnancy, birth or an urgent inquiry.")
    agreement_id: Identifier | None = Field(
        default=None,
        description="The agreement in force whose terms set the deadlines; unset: defaults.",
    )


class ObligationReminded(PersonEvent):
    """An open obligation reached its reminder instant."""

    event_type: Literal["obligation_reminded"] = "obligation_reminded"
    obligation_id: Identifier = Field(description=_OBLIGATION_ID)
    responsible_county: CountyCode = Field(description=_RESPONSIBLE)
    due_at: Instant = Field(description="The deadline still ahead.")


class ObligationFulfilled(PersonEvent):
    """The responsible county did what it owed (the cause is ``causation_id``)."""

    event_type: Literal["obligation_fulfilled"] = "obligation_fulfilled"
    obligation_id: Identifier = Field(description=_OBLIGATION_ID)
    responsible_county: CountyCode = Field(description=_RESPONSIBLE)
    late: bool = Field(description="After the deadline: the breach stands.")
    fulfilled_by_publisher: Identifier = Field(description="The publisher whose event did it.")


class ObligationBreached(PersonEvent):
    """The first clock tick after the deadline found the obligation open."""

    event_type: Literal["obligation_breached"] = "obligation_breached"
    obligation_id: Identifier = Field(description=_OBLIGATION_ID)
    responsible_county: CountyCode = Field(description=_RESPONSIBLE)
    due_at: Instant = Field(description="The deadline missed.")


class ObligationEscalated(PersonEvent):
    """A breached obligation still open at its escalation instant goes to the region."""

    event_type: Literal["obligation_escalated"] = "obligation_escalated"
    obligation_id: Identifier = Field(description=_OBLIGATION_ID)
    responsible_county: CountyCode = Field(description=_RESPONSIBLE)
    escalated_to: Identifier = Field(description="Who handles it now: the region's code.")


class ObligationCancelled(PersonEvent):
    """The obligation no longer applies (for example, the person moved on before it was due)."""

    event_type: Literal["obligation_cancelled"] = "obligation_cancelled"
    obligation_id: Identifier = Field(description=_OBLIGATION_ID)
    responsible_county: CountyCode = Field(description=_RESPONSIBLE)
    reason: ShortText = Field(description="Why it no longer applies.")


class AlertRaised(Envelope):
    """Something the region's operators should look at."""

    event_type: Literal["alert_raised"] = "alert_raised"
    alert_id: Identifier = Field(
        description="Names what the alert is about; the same alert from several partitions "
        "has the same id, so readers keep one."
    )
    kind: AlertKind = Field(description="What kind of problem.")
    counties: tuple[CountyCode, ...] = Field(
        min_length=1, max_length=3, description="The counties concerned."
    )
    period: Identifier = Field(description="The month it concerns, e.g. 2026-03.")
    detail: ShortText = Field(description="A sentence for the operator.")


class CoverageFigure(Contract):
    """Flows and flows covered, for one scope."""

    scope: Identifier = Field(description='"region", or a county code.')
    flows: int = Field(
        ge=0, description="Flows the scope is party to, either way (a person's move, once)."
    )
    covered: int = Field(ge=0, description="Of those, flows an agreement in force covered.")
    # A county's flows by direction: leaving it (its side as origin) and arriving in it (as
    # destination). None for the region, and in figures published before version 2.
    outflows: int | None = Field(
        default=None, ge=0, description="A county's flows leaving it (null for the region)."
    )
    outflows_covered: int | None = Field(
        default=None, ge=0, description="Of its outflows, those an agreement in force covered."
    )
    inflows: int | None = Field(
        default=None, ge=0, description="A county's flows arriving in it (null for the region)."
    )
    inflows_covered: int | None = Field(
        default=None, ge=0, description="Of its inflows, those an agreement in force covered."
    )


class AgreementCoveragePublished(Envelope):
    """Share of flows covered by an agreement in force, per county and for the region.

    Version 2 adds each county's figures by direction (outflows, inflows).
    """

    SCHEMA_VERSION: ClassVar[int] = 2
    event_type: Literal["agreement_coverage_published"] = "agreement_coverage_published"
    period: Identifier = Field(description="The month, e.g. 2026-03.")
    partition: int = Field(
        ge=0,
        description="The agent partition tallied: the region's figure is the sum over "
        "partitions of each partition's newest publication for the period.",
    )
    figures: tuple[CoverageFigure, ...] = Field(description="One figure per scope.")


class ProgressFigure(Contract):
    """A campaign's tasks for one assignee county and one kind of check."""

    county: CountyCode = Field(description="The assignee county.")
    check: CheckKind = Field(description="The kind of check.")
    assigned: int = Field(ge=0, description="Tasks assigned.")
    answered: int = Field(ge=0, description="Tasks with a result.")
    overdue: int = Field(ge=0, description="Tasks unanswered past the deadline.")


class CampaignProgressPublished(Envelope):
    """A campaign's tasks per assignee county and kind, as one agent partition sees them.

    As for coverage, the campaign's figures are the sum over partitions of each partition's
    newest publication.
    """

    event_type: Literal["campaign_progress_published"] = "campaign_progress_published"
    campaign_id: Identifier = Field(description="The campaign.")
    partition: int = Field(ge=0, description="The agent partition tallied.")
    closed: bool = Field(description="The campaign is closed.")
    figures: tuple[ProgressFigure, ...] = Field(description="One per assignee and kind.")


class IndicatorValue(Contract):
    """One indicator of a scorecard, with its numerator and denominator."""

    name: Identifier = Field(description="The indicator (see the assessment weights).")
    side: Literal["origin", "destination"] = Field(
        description="Scored as origin (流出地) or destination (流入地)."
    )
    numerator: int = Field(ge=0, description="What counted for the county.")
    denominator: int = Field(ge=0, description="Out of how many.")


class ScorecardPublished(Envelope):
    """A county's two-way assessment (双向考核) for a period; later revisions replace it.

    A side's score is null when the side is not assessed (不参评): fewer settled obligations
    of its own on that side than the minimum the weight file sets. The combined score is null
    when neither side is assessed. Version 2 made the scores nullable (version 1 published
    0.0 for a side without figures).
    """

    SCHEMA_VERSION: ClassVar[int] = 2
    event_type: Literal["scorecard_published"] = "scorecard_published"
    county: CountyCode = Field(description="The county scored.")
    period: Identifier = Field(description="A month (2026-03), quarter (2026-Q1) or year.")
    revision: int = Field(ge=1, description="1, then one more for each revision.")
    reason: ShortText = Field(description="Why this revision was published.")
    indicators: tuple[IndicatorValue, ...] = Field(description="The figures behind the scores.")
    origin_score: float | None = Field(
        ge=0, le=100, strict=False, description="Score as origin; null: not assessed (不参评)."
    )
    destination_score: float | None = Field(
        ge=0,
        le=100,
        strict=False,
        description="Score as destination; null: not assessed (不参评).",
    )
    combined_score: float | None = Field(
        ge=0,
        le=100,
        strict=False,
        description="Both sides weighed; null when neither side is assessed.",
    )


class DeadLettered(Envelope):
    """Bad input, kept: its bytes (base64), why it was refused and where it came from.

    What is kept is bounded (``streams.dead_letters``): the bytes received with anything that
    looks like a national ID number masked, cut at a fixed length; the whole message stays
    at its source position. ``raw_length`` is the length received; ``raw_sha256`` the
    SHA-256 of the bytes received, left out when a number was masked (a hash of a short
    message would give the number back to anyone trying every number).
    """

    event_type: Literal["dead_lettered"] = "dead_lettered"
    reason_code: Identifier = Field(description="The gate's stable reason code.")
    reason: str = Field(
        max_length=2000,
        description="The reason, for a person (control characters escaped, ID numbers masked).",
    )
    raw: str = Field(
        description="Standard base64 of the bytes kept: those received, ID numbers masked, "
        "cut at a fixed length."
    )
    source_topic: Identifier = Field(description="Where it was read.")
    source_partition: int = Field(ge=0, description="Its partition there.")
    source_offset: int = Field(ge=0, description="Its offset there.")
    raw_length: int | None = Field(
        default=None, ge=0, description="The length of the message received, in bytes."
    )
    raw_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the bytes received; null when an ID number was masked.",
    )
    ids_masked: int = Field(
        default=0, ge=0, description="How many things that look like ID numbers were masked."
    )
