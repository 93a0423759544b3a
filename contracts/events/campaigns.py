"""Clean-up and verification campaigns (清理清查)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from contracts.envelope import Envelope
from contracts.events.migration import PersonEvent
from contracts.types import CheckKind, CountyCode, Identifier, Instant, VerificationResult


class CampaignOpened(Envelope):
    event_type: Literal["campaign_opened"] = "campaign_opened"
    campaign_id: Identifier
    counties: tuple[CountyCode, ...] = Field(min_length=1)
    period_start: Instant
    period_end: Instant
    deadline: Instant
    checks: tuple[CheckKind, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> CampaignOpened:
        if not self.period_start < self.period_end <= self.deadline:
            raise ValueError("need period_start < period_end <= deadline")
        return self


class CampaignExtended(Envelope):
    event_type: Literal["campaign_extended"] = "campaign_extended"
    campaign_id: Identifier
    deadline: Instant


class CampaignClosed(Envelope):
    event_type: Literal["campaign_closed"] = "campaign_closed"
    campaign_id: Identifier
    early: bool = False


class VerificationTaskAssigned(PersonEvent):
    """Derived by the campaign agent from live state; itself an obligation of the assignee."""

    event_type: Literal["verification_task_assigned"] = "verification_task_assigned"
    task_id: Identifier
    campaign_id: Identifier
    check: CheckKind
    assignee_county: CountyCode
    due_at: Instant


class VerificationResultReported(PersonEvent):
    event_type: Literal["verification_result_reported"] = "verification_result_reported"
    task_id: Identifier
    result: VerificationResult
    moved_to: CountyCode | None = None
    duplicate_of: Identifier | None = None

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
    merged_into: Identifier
    task_id: Identifier
