"""Answers that come before their questions. Pure, no I/O.

Counties' systems do not deliver in order: an inquiry's answer, a receipt's acknowledgement
or a takeover can reach the log before the inquiry, the service or the move it answers.
Such an answer (one that matches no obligation of the case, open or closed) is kept in the
case, and:

- when its question arrives within the question's own period of the answer (the period the
  question sets: inquiry 7/15/30 days, receipt 30/15, takeover 30, from the agreement in
  force or the defaults), the obligation the question opens is fulfilled at once, on time,
  by the answer's publisher;
- if no question has come when the longest period such a question could set has passed
  since the answer, a tick raises the ``answer_without_question`` alert
  (无对应提问的答复) on the answering county and the county the answer named, and the
  answer is let go.

So an answer that came early neither leaves a duty open on the county that already answered
(to be breached later) nor vanishes without a word.
"""

from __future__ import annotations

import datetime as dt

from agents.case_state import CaseState, EarlyAnswer, period_of
from agents.case_step import CaseStep
from contracts.events.derived import AlertRaised, ObligationKind

ANSWERABLE: frozenset[ObligationKind] = frozenset(
    {"inquiry_answer", "receipt_acknowledgement", "case_takeover"}
)
ALERT_KIND = "answer_without_question"


def keep(
    step: CaseStep,
    kind: ObligationKind,
    *,
    responsible: str,
    counterpart: str,
    ref: str | None,
    days: int,
) -> None:
    """Keep the step's cause as an early answer, unless the case holds any obligation (open
    or closed) it answers: then it is a repeat or a late second answer, not an early one."""
    for ob in step.state.obligations:
        if (ob.kind, ob.responsible) != (kind, responsible):
            continue
        if (ob.ref == ref) if ref is not None else (ob.counterpart == counterpart):
            return
    cause = step.cause
    answer = EarlyAnswer(
        kind=kind,
        responsible=responsible,
        counterpart=counterpart,
        ref=ref,
        event_id=step.cause_id,
        publisher_id=cause.publisher_id,
        at=cause.occurred_at,
        until=cause.occurred_at + dt.timedelta(days=days),
    )
    step.update(early_answers=(*step.state.early_answers, answer))


def settle(step: CaseStep, before: CaseState) -> None:
    """Fulfil, at once, each obligation this step opened that a kept answer answers."""
    if not step.state.early_answers:
        return
    known = {ob.obligation_id for ob in before.obligations}
    for ob in step.state.obligations:
        if ob.obligation_id in known or ob.kind not in ANSWERABLE or ob.closed:
            continue
        answer = next((a for a in step.state.early_answers if a.answers(ob)), None)
        if answer is None:
            continue
        step.fulfil(ob, by=answer.publisher_id)
        step.update(early_answers=tuple(a for a in step.state.early_answers if a is not answer))


def expire(step: CaseStep, now: dt.datetime) -> None:
    """Alert on, and let go of, each kept answer whose window has passed by ``now``."""
    passed = [a for a in step.state.early_answers if a.until < now]
    if not passed:
        return
    step.update(early_answers=tuple(a for a in step.state.early_answers if a.until >= now))
    if not step.derive:
        return

    person = step.state.person_key
    for answer in passed:
        alert_id = f"{ALERT_KIND}:{answer.event_id}:{person}"
        what = answer.ref or answer.counterpart
        detail = (
            f"无对应提问的答复 / answer without a question: {answer.responsible} answered "
            f"{answer.kind} {what} on {answer.at:%Y-%m-%d}; none came by {answer.until:%Y-%m-%d}"
        )
        step.out.append(
            step.build(
                AlertRaised,
                alert_id,
                "alert",
                alert_id=alert_id,
                kind=ALERT_KIND,
                counties=tuple(dict.fromkeys((answer.responsible, answer.counterpart))),
                period=period_of(answer.at),
                detail=detail[:200],
            )
        )


def next_instant(state: CaseState) -> dt.datetime | None:
    """The first instant a tick must visit the case for a kept answer (just past its window)."""
    return min((a.until for a in state.early_answers), default=None)
