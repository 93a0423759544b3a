"""A small log, as raw records of the three topics a bulletin reads, for unit tests.

The obligations, inquiries, arrivals not found and coverage figures are the assessment
tests' scripted scenario (``tests.unit.agents.test_assessment_rules``); added here are clock ticks
(broadcast, like the region's), one clean-up campaign with its tasks, results and progress,
and a record the bulletin never decodes (an alert), so the digests cover records it skips.
Person events go to the partition of their person key; broadcast events to every partition.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from contracts.envelope import Envelope
from contracts.events.campaigns import (
    CampaignClosed,
    CampaignOpened,
    VerificationResultReported,
    VerificationTaskAssigned,
)
from contracts.events.clock import ClockTicked
from contracts.events.derived import AlertRaised, CampaignProgressPublished, ProgressFigure
from disclosure.bulletin.log_fold import LogFold
from streams import codec
from tests.unit.agents.test_assessment_rules import (
    DAY,
    HANBIN,
    HANYIN,
    REGION,
    T0,
    XUNYANG,
    county_event,
    derived,
    log,
    scenario,
)

PARTITIONS = 3
CAMPAIGN = "qingcha-20260301"
PERSONS = [f"{0xC0 + i:064x}" for i in range(12)]  # campaign subjects, apart from the scenario's


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    value: bytes


def _partition(event: Envelope) -> int:
    person = getattr(event, "person_key", None)
    return int(person[:8], 16) % PARTITIONS if person else 0


def _region(cls: type[Envelope], at: dt.datetime, name: str, **fields: object) -> Envelope:
    return county_event(cls, REGION, at, uuid.uuid5(uuid.NAMESPACE_URL, name), **fields)


def ticks(until: dt.datetime) -> list[Envelope]:
    at, out = T0, []
    while at <= until:
        out.append(_region(ClockTicked, at, f"tick:{at.isoformat()}"))
        at += 5 * DAY
    return out


def campaign_events() -> tuple[list[Envelope], list[Envelope], list[Envelope]]:
    """(validated, obligations, alerts) of one campaign over Hanbin and Hanyin in March."""
    opened = T0 + 57 * DAY  # 1 March
    deadline = opened + 30 * DAY
    validated: list[Envelope] = [
        _region(
            CampaignOpened,
            opened,
            "campaign-opened",
            campaign_id=CAMPAIGN,
            counties=(HANBIN, HANYIN),
            period_start=T0,
            period_end=opened,
            deadline=deadline,
            checks=("lost_contact", "stale"),
        )
    ]
    obligations: list[Envelope] = []
    results = ("present", "not_found", "moved_on", "present", "present", "returned_home")
    for i, person in enumerate(PERSONS):
        assignee = HANBIN if i % 3 else HANYIN
        check = "lost_contact" if i % 2 else "stale"
        task = f"task-{i}"
        obligations.append(
            derived(
                VerificationTaskAssigned,
                opened,
                f"{task}:assigned",
                person_key=person,
                task_id=task,
                campaign_id=CAMPAIGN,
                check=check,
                assignee_county=assignee,
                due_at=deadline,
            )
        )
        if i < len(results):
            moved = {"moved_to": XUNYANG} if results[i] == "moved_on" else {}
            validated.append(
                county_event(
                    VerificationResultReported,
                    assignee,
                    opened + (i + 1) * DAY,
                    uuid.uuid5(uuid.NAMESPACE_URL, f"{task}:result"),
                    person_key=person,
                    task_id=task,
                    result=results[i],
                    **moved,
                )
            )
    validated.append(
        _region(CampaignClosed, deadline + 2 * DAY, "campaign-closed", campaign_id=CAMPAIGN)
    )
    figures = (
        ProgressFigure(county=HANBIN, check="lost_contact", assigned=4, answered=3, overdue=1),
        ProgressFigure(county=HANBIN, check="stale", assigned=4, answered=2, overdue=2),
        ProgressFigure(county=HANYIN, check="stale", assigned=4, answered=1, overdue=3),
    )
    alerts: list[Envelope] = [
        derived(
            CampaignProgressPublished,
            deadline + DAY,
            "progress",
            campaign_id=CAMPAIGN,
            partition=0,
            closed=True,
            figures=figures,
        ),
        derived(
            AlertRaised,
            opened,
            "an-alert",
            alert_id="agreement_missing:610902:440306:2026-03",
            kind="agreement_missing",
            counties=(HANBIN, "440306"),
            period="2026-03",
            detail="no agreement in force",
        ),
    ]
    return validated, obligations, alerts


def records(persons: int = 60, until: dt.datetime | None = None) -> list[Record]:
    """The log, each topic's records per partition in log order."""
    end = until or T0 + 150 * DAY
    out: list[Record] = []
    base = log(scenario(persons=persons))
    more_validated, more_obligations, more_alerts = campaign_events()
    for event in [*base, *more_validated, *more_obligations, *more_alerts]:
        out += as_records(event)
    for tick in ticks(end):
        out += [Record("validated", p, codec.encode(tick)) for p in range(PARTITIONS)]
    return out


def as_records(event: Envelope) -> list[Record]:
    data = codec.encode(event)
    if event.event_type in ("obligation_opened",) or hasattr(event, "obligation_id"):
        return [Record("obligations", _partition(event), data)]
    if event.event_type == "verification_task_assigned":
        return [Record("obligations", _partition(event), data)]
    if event.event_type in ("agreement_coverage_published", "campaign_progress_published"):
        return [Record("alerts", getattr(event, "partition", 0) % PARTITIONS, data)]
    if event.event_type == "alert_raised":
        return [Record("alerts", 0, data)]
    if event.event_type in ("campaign_opened", "campaign_closed"):
        return [Record("validated", p, data) for p in range(PARTITIONS)]
    return [Record("validated", _partition(event), data)]


def with_offsets(recs: Iterable[Record]) -> Iterator[tuple[str, int, int, bytes]]:
    """(topic, partition, offset, bytes), offsets counted per topic and partition."""
    nexts: dict[tuple[str, int], int] = {}
    for r in recs:
        offset = nexts.get((r.topic, r.partition), 0)
        nexts[(r.topic, r.partition)] = offset + 1
        yield r.topic, r.partition, offset, r.value


def fold(recs: Iterable[Record]) -> LogFold:
    out = LogFold()
    for topic in ("obligations", "alerts", "validated"):
        for p in range(PARTITIONS):
            out.read_up_to(topic, p, 0)
    for topic, partition, offset, value in with_offsets(recs):
        out.absorb(topic, partition, offset, value)
    return out
