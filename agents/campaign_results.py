"""The answers to a campaign's verification tasks, and what each does to the case. Pure, no I/O.

- Results, from the assignee only: ``present`` refreshes the record (and, for a lost contact,
  is the arrival; for an unmatched arrival, the origin's confirmation); ``moved_on`` to X
  hands the case over to X; ``returned_home`` closes it at the destination and gives it
  back to the origin; ``not_found`` marks the person lost contact; ``deceased`` closes the
  case and cancels what is open; ``duplicate`` merges the task's record into the one named
  (``duplicate_of``). ``records_split`` naming that task undoes the merge: both records
  are active again, and the history keeps the merge and the split.
- A task's answer after the deadline is fulfilled late; after the campaign closed it is
  recorded and applied, but there is no obligation left to fulfil.
"""

from __future__ import annotations

from agents import case_moves
from agents.campaign_rules import replace_task
from agents.case_state import Task, acting_county
from agents.case_step import CaseStep
from contracts.agreement_terms import AgreementBook, Defaults
from contracts.events.campaigns import RecordsSplit, VerificationResultReported


def apply_answer(
    step: CaseStep,
    event: VerificationResultReported | RecordsSplit,
    book: AgreementBook,
    defaults: Defaults,
) -> None:
    task = next((t for t in step.state.tasks if t.task_id == event.task_id), None)
    if task is None:
        return  # no such task on this case: remembered, nothing to apply
    if isinstance(event, RecordsSplit):
        _split(step, task, event)
        return
    if task.result is not None or acting_county(event) != task.assignee:
        return  # answered already, or not the assignee's to answer
    ob = step.get(task.obligation_id)
    if not ob.closed:
        step.fulfil(ob)
    replace_task(step, task, result=event.result)
    _apply_result(step, task, event, book, defaults)


def _apply_result(
    step: CaseStep,
    task: Task,
    event: VerificationResultReported,
    book: AgreementBook,
    defaults: Defaults,
) -> None:
    county = task.assignee
    state = step.state
    if event.result == "present":
        step.update(status="active")
        if task.check == "lost_contact":
            # The destination found them: that is the arrival the outflow waited for.
            step.fulfil_if(step.find("arrival_registration", county))
            case_moves.register(step, county, step.cause_id)
            step.update(pending_outflow=None, destination=county, owner=county)
        elif task.check == "unmatched_arrival":
            step.fulfil_if(step.find("origin_confirmation", county))
            step.update(pending_inflow=None)
    elif event.result == "moved_on" and event.moved_to is not None:
        case_moves.handover(step, county, event.moved_to, book, defaults)
    elif event.result == "returned_home":
        home = state.origin or county
        case_moves.close_left_duties(step, county)
        case_moves.leave(step, county)
        step.update(destination=None, owner=home, pending_outflow=None, status="active")
    elif event.result == "not_found":
        step.fulfil_if(step.find("arrival_registration", county))
        case_moves.leave(step, county)
        step.update(status="lost_contact", pending_outflow=None)
    elif event.result == "deceased":
        for ob in step.state.open_obligations():
            step.cancel(ob, "the person died")
        for county_ in {r.county for r in step.state.registrations if r.active}:
            case_moves.leave(step, county_)
        step.update(status="closed", pending_outflow=None, pending_inflow=None)
    elif event.result == "duplicate" and event.duplicate_of is not None:
        _merge(step, task, event.duplicate_of)


def _merge(step: CaseStep, task: Task, keep: str) -> None:
    records = step.state.registrations
    if task.record_id is None or not any(r.record_id == keep for r in records):
        return
    step.update(
        registrations=tuple(
            r.evolve(active=False, merged_into=keep, merged_by=task.task_id)
            if r.record_id == task.record_id and r.merged_into is None
            else r
            for r in records
        )
    )


def _split(step: CaseStep, task: Task, event: RecordsSplit) -> None:
    step.update(
        registrations=tuple(
            r.evolve(active=True, merged_into=None, merged_by=None)
            if r.merged_by == task.task_id and r.merged_into == event.merged_into
            else r
            for r in step.state.registrations
        )
    )
