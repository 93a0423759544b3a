"""A clean-up and verification campaign's (清理清查) tasks on one person's case. Pure, no I/O.

- Each finding (:mod:`agents.campaign_findings`) is a task, and each task a
  ``verification_result`` obligation of its assignee, due at the campaign deadline, so it
  reminds, breaches and escalates like any other. An extension re-opens the unanswered
  tasks' obligations at the new deadline (the old ones are cancelled, their breach, if any,
  stands); closing the campaign cancels the unanswered ones.
- The answers to tasks: :mod:`agents.campaign_results`; the campaign's progress figures:
  :mod:`agents.campaign_progress`; the campaigns themselves: :mod:`contracts.campaign_book`.
"""

from __future__ import annotations

import uuid

from agents.campaign_findings import CampaignRules, Finding, findings
from agents.case_state import CaseState, Derived, Task
from agents.case_step import CaseStep
from contracts.agreement_terms import AgreementBook, Defaults
from contracts.campaign_book import Campaign
from contracts.events.campaigns import (
    CampaignClosed,
    CampaignExtended,
    CampaignOpened,
    VerificationTaskAssigned,
)

# Fixed forever: task and progress ids are uuid5 under it, so replays give the same ids.
NAMESPACE = uuid.UUID("2f7c9a4e-51d3-4b8e-9c6a-0e4d7b3a1f92")


def task_id(campaign_id: str, person_key: str, finding: Finding) -> str:
    name = f"{campaign_id}:{finding.check}:{person_key}:{finding.record_id or ''}"
    return str(uuid.uuid5(NAMESPACE, name))


def open_tasks(
    state: CaseState,
    event: CampaignOpened,
    campaign: Campaign,
    *,
    book: AgreementBook,
    rules: CampaignRules,
    region: str,
    defaults: Defaults,
    derive: bool = True,
) -> tuple[CaseState, list[Derived]]:
    """A task (and its obligation) for each finding on this case; none twice."""
    step = CaseStep(state, event, region, derive=derive)
    known = {t.task_id for t in state.tasks}
    terms = defaults.resolve(None, None)
    for finding in findings(state, campaign, book, event.occurred_at, rules):
        tid = task_id(campaign.campaign_id, state.person_key, finding)
        if tid in known:
            continue
        ob = step.open(
            "verification_result",
            responsible=finding.assignee,
            counterpart=finding.counterpart,
            days=1,
            terms=terms,
            ref=tid,
            due_at=campaign.deadline,
            obligation_id=f"verification_result:{tid}",
        )
        task = Task(
            task_id=tid,
            campaign_id=campaign.campaign_id,
            check=finding.check,
            assignee=finding.assignee,
            counterpart=finding.counterpart,
            obligation_id=ob.obligation_id,
            record_id=finding.record_id,
        )
        step.update(tasks=(*step.state.tasks, task))
        step.derive_event(
            VerificationTaskAssigned,
            tid,
            "assigned",
            person_key=state.person_key,
            task_id=tid,
            campaign_id=campaign.campaign_id,
            check=finding.check,
            assignee_county=finding.assignee,
            due_at=campaign.deadline,
        )
    return step.state, step.out


def extend(
    state: CaseState,
    event: CampaignExtended,
    campaign: Campaign,
    *,
    region: str,
    defaults: Defaults,
    derive: bool = True,
) -> tuple[CaseState, list[Derived]]:
    """Unanswered tasks get a new obligation at the new deadline; the old one is cancelled."""
    step = CaseStep(state, event, region, derive=derive)
    terms = defaults.resolve(None, None)
    for task in _unanswered(state, campaign.campaign_id):
        ob = step.get(task.obligation_id)
        if ob.due_at >= campaign.deadline:
            continue  # opened at this deadline already (a repeat)
        step.cancel(ob, f"campaign extended to {campaign.deadline.isoformat()}")
        new = step.open(
            "verification_result",
            responsible=task.assignee,
            counterpart=task.counterpart,
            days=1,
            terms=terms,
            ref=task.task_id,
            due_at=campaign.deadline,
            obligation_id=f"verification_result:{task.task_id}:{campaign.deadline:%Y%m%dT%H%M}",
        )
        replace_task(step, task, obligation_id=new.obligation_id)
    return step.state, step.out


def close(
    state: CaseState,
    event: CampaignClosed,
    campaign_id: str,
    *,
    region: str,
    derive: bool = True,
) -> tuple[CaseState, list[Derived]]:
    step = CaseStep(state, event, region, derive=derive)
    for task in _unanswered(state, campaign_id):
        ob = step.get(task.obligation_id)
        if not ob.closed:
            step.cancel(ob, "campaign closed before an answer")
        replace_task(step, task, closed=True)
    return step.state, step.out


def _unanswered(state: CaseState, campaign_id: str) -> list[Task]:
    return [
        t for t in state.tasks if t.campaign_id == campaign_id and t.result is None and not t.closed
    ]


def replace_task(step: CaseStep, task: Task, **changes: object) -> None:
    new = task.evolve(**changes)
    step.update(tasks=tuple(new if t.task_id == task.task_id else t for t in step.state.tasks))
