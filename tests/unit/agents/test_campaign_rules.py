"""Clean-up and verification campaigns: tasks from live state, results applied, progress.

Driven through ``PartitionCases``, the engine the live cases agent and the replay share,
with its cases in a dict: no Faust, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from agents.case_state import CaseState
from agents.partition_cases import DerivedEvent, PartitionCases
from audit.replay.digest import digest, rows_of_cases
from contracts.campaign_book import CampaignBook
from contracts.envelope import Envelope
from contracts.events.campaigns import (
    CampaignClosed,
    CampaignExtended,
    CampaignOpened,
    RecordsSplit,
    VerificationResultReported,
    VerificationTaskAssigned,
)
from contracts.events.derived import (
    CampaignProgressPublished,
    ObligationBreached,
    ObligationCancelled,
    ObligationEscalated,
    ObligationFulfilled,
    ObligationOpened,
)
from tests.unit import campaign_fixtures as cf
from tests.unit.case_fixtures import BAOAN, HANBIN, REGION, YANTA, day, make, tick


def engine() -> PartitionCases:
    return PartitionCases(0, REGION, {})


def feed(e: PartitionCases, events: Sequence[Envelope]) -> list[DerivedEvent]:
    return [out for event in events for out in e.apply(event)]


def cases(e: PartitionCases) -> dict[str, CaseState]:
    store: dict[str, CaseState] = e.cases  # type: ignore[assignment]
    return store


def tasks_of(out: list[DerivedEvent]) -> list[VerificationTaskAssigned]:
    return [o for o in out if isinstance(o, VerificationTaskAssigned)]


@pytest.fixture(scope="module")
def scenario() -> cf.Scenario:
    return cf.build()


def opened(scenario: cf.Scenario) -> tuple[PartitionCases, list[DerivedEvent]]:
    e = engine()
    return e, feed(e, scenario.events)


def answer(
    task: VerificationTaskAssigned,
    result: str,
    at: dt.datetime,
    county: str | None = None,
    **kw: Any,
) -> VerificationResultReported:
    return make(
        VerificationResultReported,
        county=county or task.assignee_county,
        at=at,
        person=False,
        person_key=task.person_key,
        task_id=task.task_id,
        result=result,
        **kw,
    )


def task_for(out: list[DerivedEvent], check: str) -> VerificationTaskAssigned:
    return next(t for t in tasks_of(out) if t.check == check)


# --- task generation ---------------------------------------------------------------------------


def test_one_task_per_seeded_anomaly_assigned_to_the_right_county(scenario: cf.Scenario) -> None:
    _, out = opened(scenario)
    got = sorted((t.person_key, t.check, t.assignee_county) for t in tasks_of(out))
    want = sorted((x.person_key, x.check, x.assignee) for x in scenario.expected)
    assert got == want
    assert len(got) == len(cf.KINDS) * 4  # and nothing for the clean, recent or outside cases
    for t in tasks_of(out):
        assert t.campaign_id == cf.CAMPAIGN
        assert t.due_at == cf.DEADLINE


def test_every_task_is_an_obligation_of_its_assignee_due_at_the_deadline(
    scenario: cf.Scenario,
) -> None:
    _, out = opened(scenario)
    opened_tasks = {
        o.obligation_id: o
        for o in out
        if isinstance(o, ObligationOpened) and o.kind == "verification_result"
    }
    assert len(opened_tasks) == len(scenario.expected)
    for t in tasks_of(out):
        ob = opened_tasks[f"verification_result:{t.task_id}"]
        assert ob.responsible_county == t.assignee_county
        assert ob.opened_at == cf.OPENED
        assert ob.due_at == cf.DEADLINE


def test_an_opening_delivered_twice_assigns_nothing_twice(scenario: cf.Scenario) -> None:
    e, out = opened(scenario)
    again = [ev for ev in scenario.events if isinstance(ev, CampaignOpened)]
    assert feed(e, again) == []
    assert len(tasks_of(out)) == len(scenario.expected)


def test_the_same_log_yields_the_same_tasks_and_digest(scenario: cf.Scenario) -> None:
    first, out1 = opened(scenario)
    second, out2 = opened(scenario)
    assert [o.event_id for o in out1] == [o.event_id for o in out2]
    d1 = digest(rows_of_cases(cases(first).values()))
    assert d1 == digest(rows_of_cases(cases(second).values()))


# --- deadlines -----------------------------------------------------------------------------------


def test_unanswered_tasks_breach_and_escalate_on_the_logical_clock(scenario: cf.Scenario) -> None:
    e, _ = opened(scenario)
    before = feed(e, [tick(cf.DEADLINE - dt.timedelta(hours=1))])
    assert not [
        o
        for o in before
        if isinstance(o, ObligationBreached) and o.obligation_id.startswith("verification_result")
    ]
    late = feed(
        e, [tick(cf.DEADLINE + dt.timedelta(days=1)), tick(cf.DEADLINE + dt.timedelta(days=40))]
    )
    breached = {o.obligation_id for o in late if isinstance(o, ObligationBreached)}
    escalated = {o.obligation_id for o in late if isinstance(o, ObligationEscalated)}
    tasks = {f"verification_result:{t.task_id}" for c in cases(e).values() for t in c.tasks}
    assert tasks <= breached
    assert tasks <= escalated


def test_progress_per_county_and_kind_matches_the_scenario(scenario: cf.Scenario) -> None:
    e, out = opened(scenario)
    lost = task_for(out, "lost_contact")
    stale = task_for(out, "stale")
    feed(e, [answer(lost, "present", day(205)), answer(stale, "present", day(206))])
    progress = feed(e, [tick(cf.DEADLINE + dt.timedelta(days=2))])
    figures = next(o for o in progress if isinstance(o, CampaignProgressPublished)).figures
    by = {(f.county, f.check): (f.assigned, f.answered, f.overdue) for f in figures}
    assert by == {
        (BAOAN, "lost_contact"): (4, 1, 3),
        (BAOAN, "stale"): (4, 1, 3),
        (HANBIN, "unmatched_arrival"): (4, 0, 4),
        (cf.FUTIAN, "duplicate"): (4, 0, 4),
        (YANTA, "revoked_agreement"): (4, 0, 4),
    }


def test_an_extension_moves_unanswered_tasks_to_the_new_deadline(scenario: cf.Scenario) -> None:
    e, out = opened(scenario)
    lost = task_for(out, "lost_contact")
    feed(e, [answer(lost, "present", day(205))])
    later = cf.DEADLINE + dt.timedelta(days=30)
    extension = make(
        CampaignExtended, county=REGION, at=day(220), person=False, campaign_id=cf.CAMPAIGN,
        deadline=later,
    )  # fmt: skip
    moved = feed(e, [extension])
    cancelled = [o for o in moved if isinstance(o, ObligationCancelled)]
    reopened = [o for o in moved if isinstance(o, ObligationOpened)]
    assert len(cancelled) == len(reopened) == len(scenario.expected) - 1
    assert {o.due_at for o in reopened} == {later}
    assert not [
        o
        for o in feed(e, [tick(cf.DEADLINE + dt.timedelta(days=1))])
        if isinstance(o, ObligationBreached) and o.obligation_id.startswith("verification_result")
    ]
    assert feed(e, [extension]) == []  # a repeat changes nothing


def test_closing_cancels_what_is_unanswered(scenario: cf.Scenario) -> None:
    e, out = opened(scenario)
    close = make(
        CampaignClosed, county=REGION, at=day(210), person=False, campaign_id=cf.CAMPAIGN,
        early=True,
    )  # fmt: skip
    closed = feed(e, [close])
    assert len([o for o in closed if isinstance(o, ObligationCancelled)]) == len(scenario.expected)
    assert all(t.closed for c in cases(e).values() for t in c.tasks)
    late = answer(task_for(out, "stale"), "present", day(211))
    assert not [o for o in feed(e, [late]) if isinstance(o, ObligationFulfilled)]


# --- results ------------------------------------------------------------------------------------


def test_present_for_a_lost_contact_is_the_arrival(scenario: cf.Scenario) -> None:
    e, out = opened(scenario)
    task = task_for(out, "lost_contact")
    derived = feed(e, [answer(task, "present", day(205))])
    fulfilled = {
        o.obligation_id.split(":")[0] for o in derived if isinstance(o, ObligationFulfilled)
    }
    assert fulfilled == {"verification_result", "arrival_registration"}
    case = cases(e)[task.person_key]
    assert case.pending_outflow is None
    assert [r.county for r in case.registrations if r.active] == [BAOAN]
    assert case.last_activity == day(205)


def test_moved_on_hands_the_case_over(scenario: cf.Scenario) -> None:
    e, out = opened(scenario)
    task = task_for(out, "stale")
    derived = feed(e, [answer(task, "moved_on", day(205), moved_to=YANTA)])
    takeover = [o for o in derived if isinstance(o, ObligationOpened) and o.kind == "case_takeover"]
    assert [(o.responsible_county, o.counterpart_county) for o in takeover] == [(YANTA, BAOAN)]
    case = cases(e)[task.person_key]
    assert case.destination == YANTA
    assert not [r for r in case.registrations if r.active and r.county == BAOAN]


def test_returned_home_closes_at_the_destination_and_reopens_at_the_origin(
    scenario: cf.Scenario,
) -> None:
    e, out = opened(scenario)
    task = task_for(out, "stale")
    feed(e, [answer(task, "returned_home", day(205))])
    case = cases(e)[task.person_key]
    assert (case.destination, case.owner, case.status) == (None, HANBIN, "active")
    assert not [r for r in case.registrations if r.active]


def test_not_found_marks_lost_contact(scenario: cf.Scenario) -> None:
    e, out = opened(scenario)
    task = task_for(out, "lost_contact")
    derived = feed(e, [answer(task, "not_found", day(205))])
    case = cases(e)[task.person_key]
    assert case.status == "lost_contact"
    assert not case.open_obligations()
    assert len([o for o in derived if isinstance(o, ObligationFulfilled)]) == 2


def test_deceased_closes_the_case_and_cancels_what_is_open(scenario: cf.Scenario) -> None:
    e, out = opened(scenario)
    task = task_for(out, "revoked_agreement")
    derived = feed(e, [answer(task, "deceased", day(205))])
    case = cases(e)[task.person_key]
    assert case.status == "closed"
    assert not case.open_obligations()
    assert [
        o.obligation_id.split(":")[0] for o in derived if isinstance(o, ObligationCancelled)
    ] == ["inquiry_answer"]
    # a closed case is not checked again by a later campaign
    later = make(
        CampaignOpened, county=REGION, at=day(300), publisher=f"{REGION}/region", person=False,
        campaign_id="qingcha-2026-h2", counties=(HANBIN,), period_start=day(200),
        period_end=day(300), deadline=day(330), checks=cf.KINDS,
    )  # fmt: skip
    assert task.person_key not in {t.person_key for t in tasks_of(feed(e, [later]))}


def test_a_merge_then_a_split_gives_back_both_records(scenario: cf.Scenario) -> None:
    e, out = opened(scenario)
    task = task_for(out, "duplicate")
    original = cases(e)[task.person_key].registrations
    keep = next(r for r in original if r.county == BAOAN)
    feed(e, [answer(task, "duplicate", day(205), duplicate_of=keep.record_id)])
    merged = cases(e)[task.person_key].registrations
    assert [r.county for r in merged if r.active] == [BAOAN]
    assert next(r for r in merged if r.county == cf.FUTIAN).merged_into == keep.record_id
    split = make(
        RecordsSplit, county=cf.FUTIAN, at=day(206), person=False, person_key=task.person_key,
        merged_into=keep.record_id, task_id=task.task_id,
    )  # fmt: skip
    feed(e, [split])
    assert cases(e)[task.person_key].registrations == original


def test_only_the_assignee_can_answer(scenario: cf.Scenario) -> None:
    e, out = opened(scenario)
    task = task_for(out, "lost_contact")
    derived = feed(e, [answer(task, "present", day(205), county=YANTA)])
    assert not [o for o in derived if isinstance(o, ObligationFulfilled)]
    assert (
        next(t for t in cases(e)[task.person_key].tasks if t.task_id == task.task_id).result is None
    )


def test_an_answer_after_the_deadline_is_fulfilled_late_and_the_breach_stands(
    scenario: cf.Scenario,
) -> None:
    e, out = opened(scenario)
    task = task_for(out, "unmatched_arrival")
    feed(e, [tick(cf.DEADLINE + dt.timedelta(days=1))])
    derived = feed(e, [answer(task, "present", cf.DEADLINE + dt.timedelta(days=2))])
    done = [o for o in derived if isinstance(o, ObligationFulfilled)]
    assert [o.late for o in done if o.obligation_id.startswith("verification_result")] == [True]
    assert cases(e)[task.person_key].pending_inflow is None


def test_campaign_book_ignores_repeats_and_shorter_deadlines() -> None:
    opening = cf.build().events[-2]
    book = CampaignBook().apply(opening)
    assert book.apply(opening) is book
    shorter = make(
        CampaignExtended, county=REGION, at=day(220), person=False, campaign_id=cf.CAMPAIGN,
        deadline=day(210),
    )  # fmt: skip
    after = book.apply(shorter)
    assert after.campaigns == book.campaigns  # the deadline only ever moves later
    assert after.apply(shorter) is after  # and the event, remembered, is a repeat
