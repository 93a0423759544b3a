"""Clean-up and verification campaigns (清理清查)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from contracts.envelope import Envelope
from contracts.events.migration import PersonEvent
from contracts.types import CheckKind, CountyCode, Identifier, Instant, VerificationResult


class CampaignOpened(Envelope):
    """The region opens a clean-up and verification campaign; broadcast to every partition.

    Every case its counties are party to is checked for the campaign's kinds at once, and
    each finding becomes a verification task for the responsible county.
    """

    event_type: Literal["campaign_opened"] = "campaign_opened"
    campaign_id: Identifier = Field(description="The campaign's id.")
    counties: tuple[CountyCode, ...] = Field(
        min_length=1, description="The counties whose cases are checked."
    )
    period_start: Instant = Field(description="The start of the period under review.")
    period_end: Instant = Field(description="The end of the period under review.")
    deadline: Instant = Field(description="When every task's result is due.")
    checks: tuple[CheckKind, ...] = Field(
        min_length=1, description="What to look for in the cases."
    )

    @model_validator(mode="after")
    def _ordered(self) -> CampaignOpened:
        if not self.period_start < self.period_end <= self.deadline:
            raise ValueError("need period_start < period_end <= deadline")
        return self


class CampaignExtended(Envelope):
    """The region moves a campaign's deadline; broadcast to every partition."""

    event_type: Literal["campaign_extended"] = "campaign_extended"
    campaign_id: Identifier = Field(description="The campaign extended.")
    deadline: Instant = Field(description="The new deadline for every open task.")


class CampaignClosed(Envelope):
    """The region closes a campaign; broadcast to every partition."""

    event_type: Literal["campaign_closed"] = "campaign_closed"
    campaign_id: Identifier = Field(description="The campaign closed.")
    early: bool = Field(
        default=False, description="Closed before its deadline: open tasks are cancelled."
    )


class VerificationTaskAssigned(PersonEvent):
    """Derived by the campaign agent from live state; itself an obligation of the assignee."""

    event_type: Literal["verification_task_assigned"] = "verification_task_assigned"
    task_id: Identifier = Field(description="The task's id, repeated in its result.")
    campaign_id: Identifier = Field(description="The campaign that found it.")
    check: CheckKind = Field(description="What was found.")
    assignee_county: CountyCode = Field(description="The county that must verify it.")
    due_at: Instant = Field(description="The campaign's deadline when the task was assigned.")


class VerificationResultReported(PersonEvent):
    """The assignee reports what it found for a verification task; applied to the case."""

    event_type: Literal["verification_result_reported"] = "verification_result_reported"
    task_id: Identifier = Field(description="The task answered.")
    result: VerificationResult = Field(
        description="present, moved_on (to moved_to), returned_home, not_found (lost "
        "contact), deceased (case closed) or duplicate (of duplicate_of: records merged)."
    )
    moved_to: CountyCode | None = Field(
        default=None, description="For moved_on only: where the person went."
    )
    duplicate_of: Identifier | None = Field(
        default=None,
        description="For duplicate only: the record kept, named by the id of the event "
        "that registered it (the task's own record is merged into it).",
    )

    @model_validator(mode="after")
    def _details(self) -> VerificationResultReported:
        if (self.result == "moved_on") != (self.moved_to is not None):
            raise ValueError("moved_to is required for moved_on and only for it")
        if (self.result == "duplicate") != (self.duplicate_of is not None):
            raise ValueError("duplicate_of is required for duplicate and only for it")
        return self


class RecordsSplit(PersonEvent):
    """Undo a merge: the two records become separate again (history is never rewritten)."""

    event_type: Literal["records_split"] = "records_split"
    merged_into: Identifier = Field(
        description="The record it was merged into (its registering event's id)."
    )
    task_id: Identifier = Field(description="The verification task whose merge is undone.")
