"""A bulletin's figures (disclosure.bulletin.log_fold and content) by hand-computed cases.

The log is raw records, decoded and folded the way the bulletin reads the broker; the
expected figures are worked out here from the scenarios' own numbers.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest

from agents import assessment_config as cfg
from agents import assessment_rules as rules
from contracts.events.campaigns import VerificationResultReported
from contracts.events.clock import ClockTicked
from disclosure.bulletin import content
from disclosure.bulletin.log_fold import LogFold
from streams import codec
from tests.unit import bulletin_log
from tests.unit.agents.test_assessment_rules import (
    BAOAN,
    DAY,
    HANBIN,
    HANYIN,
    REGION,
    T0,
    XUNYANG,
    Rec,
    _fair_scenario,
    county_event,
    events_for,
)
from tests.unit.bulletin_log import CAMPAIGN, PARTITIONS, PERSONS, Record

CONFIG = cfg.load()


def tick(at: dt.datetime) -> list[Record]:
    event = county_event(ClockTicked, REGION, at, uuid.uuid5(uuid.NAMESPACE_URL, f"t{at}"))
    return [Record("validated", p, codec.encode(event)) for p in range(PARTITIONS)]


def fair_log() -> LogFold:
    """The assessment tests' fair scenario: Bao'an registered six arrivals from Hanbin on
    time; Xunyang acknowledged one receipt; coverage: Hanbin's six outflows covered, Bao'an
    sent two on, uncovered. Plus a clock tick in February."""
    records = [r for e in _fair_scenario() for r in bulletin_log.as_records(e)]
    return bulletin_log.fold([*records, *tick(T0 + 35 * DAY)])


def test_unassessed_counties_are_not_ranked_and_the_region_counts_each_flow_once() -> None:
    c = content.compute(fair_log(), "2026-01", CONFIG, region=REGION, scope="all")
    ranked = [(s.county, s.rank) for s in c.league.standings]
    # Only Bao'an settled enough duties of its own (six, as destination); Hanbin owed nothing,
    # Xunyang one, Hanyin (the receipt's counterpart) none: listed, not ranked.
    assert ranked[0] == (BAOAN, 1)
    assert {county for county, rank in ranked if rank is None} == {HANBIN, XUNYANG, HANYIN}
    baoan = next(s for s in c.league.standings if s.county == BAOAN)
    assert baoan.scores.origin is None
    # Eight flows in January: Hanbin's six (covered), Bao'an's two moves on (not).
    assert (c.region_coverage.numerator, c.region_coverage.denominator) == (6, 8)
    cover = {r.county: r for r in c.coverage}
    assert (cover[HANBIN].outflows.numerator, cover[HANBIN].outflows.denominator) == (6, 6)
    assert (cover[BAOAN].inflows.numerator, cover[BAOAN].inflows.denominator) == (6, 6)
    assert (cover[BAOAN].outflows.numerator, cover[BAOAN].outflows.denominator) == (0, 2)
    assert c.coverage_target("origin") == CONFIG.rule("origin", "agreement_coverage").target


def test_the_region_scope_leaves_out_counties_outside_it_and_may_rank_nobody() -> None:
    c = content.compute(fair_log(), "2026-01", CONFIG, region=REGION, scope="region")
    assert BAOAN not in {s.county for s in c.league.standings}
    assert not c.league.ranked  # Hanbin and Xunyang: not assessed
    assert BAOAN not in {r.county for r in c.coverage}
    # The region's coverage is every flow of the period, whatever the scope.
    assert (c.region_coverage.numerator, c.region_coverage.denominator) == (6, 8)


def test_indicators_carry_numerator_denominator_and_the_sample() -> None:
    c = content.compute(fair_log(), "2026-01", CONFIG, region=REGION, scope="all")
    baoan = next(ci for ci in c.indicators if ci.county == BAOAN)
    assert baoan.settled == {"origin": 0, "destination": 6}
    rows = {(r.side, r.name): r for r in baoan.rows}
    timely = rows[("destination", "registration_timeliness")]
    assert (timely.fraction.numerator, timely.fraction.denominator, timely.score) == (6, 6, 100.0)
    assert rows[("origin", "feedback_rate")].score is None  # nothing to count: not 0
    assert len(baoan.rows) == sum(len(cfg.names(side)) for side in cfg.SIDES)


def test_breaches_and_escalations_by_county_and_kind() -> None:
    at = T0 + 2 * DAY
    recs = [
        Rec(1, "origin_confirmation", "a1" * 32, HANBIN, BAOAN, at, "breached", HANBIN),
        Rec(2, "origin_confirmation", "a2" * 32, HANBIN, BAOAN, at, "escalated", HANBIN),
        Rec(3, "receipt_acknowledgement", "a3" * 32, HANBIN, BAOAN, at, "late", HANBIN),
        Rec(4, "receipt_acknowledgement", "a4" * 32, HANBIN, BAOAN, at, "on_time", HANBIN),
        Rec(5, "arrival_registration", "a5" * 32, XUNYANG, HANBIN, at, "escalated", HANBIN),
    ]
    records = [r for rec in recs for e in events_for(rec) for r in bulletin_log.as_records(e)]
    log = bulletin_log.fold([*records, *tick(T0 + 60 * DAY)])
    c = content.compute(log, "2026-01", CONFIG, region=REGION, scope="region")
    rows = {r.county: r for r in c.breaches}
    assert rows[HANBIN].by_kind == {
        "origin_confirmation": {"breached": 2, "escalated": 1},
        "receipt_acknowledgement": {"breached": 1, "escalated": 0},  # late: the breach stands
    }
    assert rows[XUNYANG].by_kind == {"arrival_registration": {"breached": 1, "escalated": 1}}
    assert (rows[HANBIN].total("breached"), rows[HANBIN].total("escalated")) == (3, 1)
    assert c.kinds == ("arrival_registration", "origin_confirmation", "receipt_acknowledgement")


def test_campaign_results_progress_and_which_periods_they_appear_in() -> None:
    log = bulletin_log.fold(bulletin_log.records())
    q1 = content.compute(log, "2026-Q1", CONFIG, region=REGION, scope="region")
    (summary,) = q1.campaigns
    assert summary.record.campaign_id == CAMPAIGN
    assert summary.closed
    # Progress: the newest figures of each partition summed, by check and by county.
    assert summary.by_check == (("lost_contact", 4, 3, 1), ("stale", 8, 3, 5))
    assert summary.by_county == ((HANBIN, 8, 5, 3), (HANYIN, 4, 1, 3))
    # Results: the first reported for each task of this campaign.
    assert dict(summary.results) == {
        "present": 3,
        "not_found": 1,
        "moved_on": 1,
        "returned_home": 1,
    }
    # It checked the records of 3 January to 1 March and ran from 1 March to its closing on
    # 2 April: in every month from January to April, not in December before.
    for month in ("2026-01", "2026-03", "2026-04"):
        assert content.compute(log, month, CONFIG, region=REGION, scope="region").campaigns
    assert content.compute(log, "2025-12", CONFIG, region=REGION, scope="region").campaigns == ()


def test_a_second_result_for_a_task_and_broadcast_copies_change_nothing() -> None:
    records = bulletin_log.records()
    again = county_event(
        VerificationResultReported,
        HANYIN,
        T0 + 80 * DAY,
        uuid.uuid5(uuid.NAMESPACE_URL, "second result"),
        person_key=PERSONS[0],
        task_id="task-0",
        result="deceased",
    )
    opened = next(r for r in records if b"campaign_opened" in r.value)
    log = bulletin_log.fold([*records, *bulletin_log.as_records(again), opened, opened])
    c = content.compute(log, "2026-Q1", CONFIG, region=REGION, scope="region")
    (summary,) = c.campaigns
    assert dict(summary.results)["present"] == 3
    assert "deceased" not in dict(summary.results)
    assert len(log.campaigns.campaigns) == 1


def test_movement_against_the_previous_period() -> None:
    log = bulletin_log.fold(bulletin_log.records())
    c = content.compute(log, "2026-02", CONFIG, region=REGION, scope="all")
    assert c.previous.text == "2026-01"
    before = rules.standings(log.assessment, "2026-01", CONFIG, region=REGION, scope="all")
    ranks = {s.county: s.rank for s in before.standings}
    assert c.movement, "the scenario has counties in February"
    for m in c.movement:
        assert m.previous_rank == ranks.get(m.county)
        if m.rank is not None and m.previous_rank is not None:
            assert m.climbed == m.previous_rank - m.rank
    assert content.previous_of(c.period).text == "2026-01"
    q1 = content.compute(log, "2026-Q1", CONFIG, region=REGION, scope="all")
    assert q1.previous.text == "2025-Q4"
    assert not q1.previous_league.ranked


def test_a_period_not_closed_or_a_log_without_ticks_has_no_bulletin() -> None:
    log = bulletin_log.fold(bulletin_log.records())
    with pytest.raises(content.NotReady, match="no bulletin for 2026-Q2 yet: it closes at"):
        content.compute(log, "2026-Q2", CONFIG, region=REGION, scope="region")
    unticked = [r for r in bulletin_log.records() if b"clock_ticked" not in r.value]
    with pytest.raises(content.NotReady, match="holds no clock tick"):
        content.compute(bulletin_log.fold(unticked), "2026-01", CONFIG, region=REGION, scope="all")


def test_the_fold_does_not_depend_on_how_partitions_interleave() -> None:
    records = bulletin_log.records()
    by_partition: dict[tuple[str, int], list[Record]] = {}
    for r in records:
        by_partition.setdefault((r.topic, r.partition), []).append(r)
    rng = random.Random(7)
    shuffled: list[Record] = []
    queues = [list(q) for q in by_partition.values()]
    while any(queues):  # a random interleaving that keeps each partition's order
        queue = rng.choice([q for q in queues if q])
        shuffled.append(queue.pop(0))
    a, b = bulletin_log.fold(records), bulletin_log.fold(shuffled)
    assert a.positions() == b.positions()
    assert a.log_digests() == b.log_digests()
    ca = content.compute(a, "2026-Q1", CONFIG, region=REGION, scope="all")
    cb = content.compute(b, "2026-Q1", CONFIG, region=REGION, scope="all")
    assert ca == cb


def test_every_record_read_counts_in_the_digest_decoded_or_not() -> None:
    records = bulletin_log.records()
    alert = next(i for i, r in enumerate(records) if b"alert_raised" in r.value)
    changed = list(records)
    changed[alert] = Record("alerts", 0, records[alert].value.replace(b"no agreement", b"none!!"))
    a, b = bulletin_log.fold(records), bulletin_log.fold(changed)
    # The bulletin never decodes an alert, yet a changed one changes the log's digest.
    assert a.log_digests()["alerts"][0] != b.log_digests()["alerts"][0]
    assert a.log_digests()["obligations"] == b.log_digests()["obligations"]
    assert a.positions() == b.positions()


def test_a_record_that_does_not_decode_is_counted_and_skipped() -> None:
    records = bulletin_log.records()
    bad = Record("obligations", 1, b'{"event_type": "obligation_opened", "person_')
    log = bulletin_log.fold([*records, bad])
    assert log.undecodable == 1
    assert (
        log.positions()["obligations"][1]
        == bulletin_log.fold(records).positions()["obligations"][1] + 1
    )
