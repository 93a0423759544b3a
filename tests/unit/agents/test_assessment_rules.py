"""The two-way assessment fold (agents.assessment_rules) against a scripted scenario.

The scenario is a list of obligations with their intended outcomes (``Rec``); the events
the cases agent would derive for them are built from it, folded, and the tallies compared
with a computation written here, straight from the records and the definitions in
docs/assessment.md, for both sides of every county and every month and quarter.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from agents import assessment_config as cfg
from agents import assessment_figures, assessment_state
from agents import assessment_rules as rules
from agents.assessment_state import AssessmentState
from contracts.envelope import Envelope
from contracts.events.cooperation import InquirySent
from contracts.events.derived import (
    AgreementCoveragePublished,
    CoverageFigure,
    ObligationBreached,
    ObligationCancelled,
    ObligationEscalated,
    ObligationFulfilled,
    ObligationOpened,
    ObligationReminded,
    ScorecardPublished,
)
from contracts.events.migration import ArrivalNotFound
from contracts.league import Scores

E = TypeVar("E", bound=Envelope)

REGION = "610900"
HANBIN, XUNYANG, HANYIN, BAOAN = "610902", "610981", "610921", "440306"
COUNTIES = (HANBIN, XUNYANG, HANYIN, BAOAN)
T0 = dt.datetime(2026, 1, 3, 8, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
_IDS = uuid.UUID("3b1f0c7e-2d5a-4e69-8c1b-7f6a5e4d3c2b")
OUTCOMES = ("on_time", "late", "breached", "escalated", "open", "cancelled")
CONFIG = cfg.load()


@dataclass(frozen=True)
class Rec:
    """One obligation as the scenario means it to go."""

    n: int
    kind: str
    person: str
    responsible: str
    counterpart: str
    opened: dt.datetime
    outcome: str
    home: str  # the person's home county (origin)
    inquiry: str | None = None  # certificate | other, for inquiry_answer
    not_found: bool = False  # an arrival answered "not found"

    @property
    def obligation_id(self) -> str:
        return f"{self.kind}:{self.n}"

    @property
    def due(self) -> dt.datetime:
        return self.opened + 20 * DAY


def eid(*parts: Any) -> uuid.UUID:
    return uuid.uuid5(_IDS, ":".join(str(p) for p in parts))


def derived(cls: type[E], at: dt.datetime, key: str, **fields: Any) -> E:
    event_id = fields.pop("event_id", None) or eid(cls.__name__, key, at.isoformat())
    return cls.model_validate(
        {
            "event_id": event_id,
            "schema_version": cls.SCHEMA_VERSION,
            "occurred_at": at,
            "recorded_at": at,
            "source_county": REGION,
            "publisher_id": f"{REGION}/agents",
            "correlation_id": event_id,
            "causation_id": fields.pop("causation_id", None),
            **fields,
        }
    )


def county_event(cls: type[E], county: str, at: dt.datetime, event_id: uuid.UUID, **f: Any) -> E:
    return cls.model_validate(
        {
            "event_id": event_id,
            "schema_version": cls.SCHEMA_VERSION,
            "occurred_at": at,
            "recorded_at": at,
            "source_county": county,
            "publisher_id": f"{county}/node",
            "correlation_id": event_id,
            **f,
        }
    )


def events_for(r: Rec) -> list[Envelope]:
    """What the log holds for one record: its county cause (when the fold reads it) and the
    derived obligation events, in the order the cases agent emits them."""
    base = {"person_key": r.person, "obligation_id": r.obligation_id}
    who = {**base, "responsible_county": r.responsible}
    cause = eid("cause", r.n)
    out: list[Envelope] = []
    if r.inquiry is not None:
        out.append(
            county_event(
                InquirySent,
                r.counterpart,
                r.opened,
                cause,
                person_key=r.person,
                inquiry_id=f"inq-{r.n}",
                to_county=r.responsible,
                kind=r.inquiry,
            )
        )
    out.append(
        derived(
            ObligationOpened,
            r.opened,
            r.obligation_id,
            causation_id=cause,
            **who,
            kind=r.kind,
            counterpart_county=r.counterpart,
            opened_at=r.opened,
            due_at=r.due,
            remind_at=r.opened + 10 * DAY,
            escalate_at=r.due + 15 * DAY,
        )
    )
    out.append(
        derived(ObligationReminded, r.opened + 10 * DAY, r.obligation_id, **who, due_at=r.due)
    )
    answer = eid("answer", r.n)
    if r.outcome in ("late", "breached", "escalated"):
        out.append(derived(ObligationBreached, r.due + DAY, r.obligation_id, **who, due_at=r.due))
    if r.outcome == "escalated":
        out.append(
            derived(
                ObligationEscalated, r.due + 16 * DAY, r.obligation_id, **who, escalated_to=REGION
            )
        )
    if r.outcome in ("on_time", "late"):
        at = r.opened + 5 * DAY if r.outcome == "on_time" else r.due + 3 * DAY
        if r.not_found:
            out.append(
                county_event(
                    ArrivalNotFound,
                    r.responsible,
                    at,
                    answer,
                    person_key=r.person,
                    origin_county=r.counterpart,
                    destination_county=r.responsible,
                )
            )
        out.append(
            derived(
                ObligationFulfilled,
                at,
                r.obligation_id,
                causation_id=answer,
                **who,
                late=r.outcome == "late",
                fulfilled_by_publisher=f"{r.responsible}/node",
            )
        )
    if r.outcome == "cancelled":
        out.append(
            derived(ObligationCancelled, r.opened + 2 * DAY, r.obligation_id, **who, reason="moved")
        )
    return out


def scenario(seed: int = 5, persons: int = 60) -> list[Rec]:
    rng = random.Random(seed)
    recs: list[Rec] = []

    def add(
        kind: str, person: str, resp: str, cp: str, at: dt.datetime, home: str, **kw: Any
    ) -> None:
        outcome = kw.pop("outcome", None) or rng.choice(OUTCOMES[:5])
        recs.append(Rec(len(recs), kind, person, resp, cp, at, outcome, home, **kw))

    for p in range(persons):
        person = f"{p:064x}"
        home, dest, third = rng.sample(COUNTIES, 3)
        at = T0 + rng.randrange(0, 110) * DAY + rng.randrange(0, 20) * dt.timedelta(hours=1)
        if rng.random() < 0.7:  # announced by the home's outflow
            outcome = rng.choice(OUTCOMES)
            not_found = outcome in ("on_time", "late") and rng.random() < 0.2
            add(
                "arrival_registration",
                person,
                dest,
                home,
                at,
                home,
                outcome=outcome,
                not_found=not_found,
            )
        else:  # the destination found them first
            add("origin_confirmation", person, home, dest, at, home)
        if rng.random() < 0.5:
            add("receipt_acknowledgement", person, home, dest, at + 4 * DAY, home)
        if rng.random() < 0.4:
            kind = rng.choice(("certificate", "other"))
            add("inquiry_answer", person, home, dest, at + 2 * DAY, home, inquiry=kind)
        if rng.random() < 0.2:  # the home asks the destination
            add("inquiry_answer", person, dest, home, at + 3 * DAY, home, inquiry="other")
        if rng.random() < 0.25:
            taker = home if rng.random() < 0.4 else third
            add(
                "case_takeover",
                person,
                taker,
                dest,
                at + 9 * DAY,
                home,
                outcome=rng.choice(OUTCOMES),
            )
        if rng.random() < 0.2:
            add("verification_result", person, dest, home, at + 6 * DAY, home)
    return recs


def coverage_figure(scope: str, counts: tuple[int, ...]) -> CoverageFigure:
    """(flows, covered) for the region; (outflows, covered, inflows, covered) for a county."""
    if scope == "region":
        return CoverageFigure(scope=scope, flows=counts[0], covered=counts[1])
    out, out_covered, inflows, in_covered = counts
    return CoverageFigure(
        scope=scope,
        flows=out + inflows,
        covered=out_covered + in_covered,
        outflows=out,
        outflows_covered=out_covered,
        inflows=inflows,
        inflows_covered=in_covered,
    )


def coverage_events() -> list[Envelope]:
    def cov(
        at: dt.datetime, period: str, partition: int, figs: dict[str, tuple[int, ...]]
    ) -> AgreementCoveragePublished:
        return derived(
            AgreementCoveragePublished,
            at,
            f"cov:{period}:{partition}:{at.isoformat()}",
            period=period,
            partition=partition,
            figures=tuple(coverage_figure(s, c) for s, c in figs.items()),
        )

    return [
        cov(
            T0 + 5 * DAY,
            "2026-01",
            0,
            {"region": (4, 2), HANBIN: (3, 2, 1, 0), BAOAN: (0, 0, 2, 1)},
        ),
        # superseded by the newer figure of the same partition and month
        cov(
            T0 + 9 * DAY,
            "2026-01",
            0,
            {"region": (5, 3), HANBIN: (4, 3, 1, 0), BAOAN: (0, 0, 3, 2)},
        ),
        cov(
            T0 + 9 * DAY,
            "2026-01",
            1,
            {"region": (2, 2), HANBIN: (0, 0, 1, 1), HANYIN: (2, 2, 0, 0)},
        ),
        cov(T0 + 40 * DAY, "2026-02", 0, {"region": (3, 0), XUNYANG: (3, 0, 0, 0)}),
    ]


# (month, county, side) -> (covered, flows): as origin its outflows, as destination its inflows
EXPECTED_COVERAGE = {
    ("2026-01", HANBIN, "origin"): (3, 4),
    ("2026-01", HANBIN, "destination"): (1, 2),
    ("2026-01", BAOAN, "destination"): (2, 3),
    ("2026-01", HANYIN, "origin"): (2, 2),
    ("2026-02", XUNYANG, "origin"): (0, 3),
}


def log(recs: Iterable[Rec]) -> list[Envelope]:
    return [e for r in recs for e in events_for(r)] + coverage_events()


# --- the independent computation -------------------------------------------------------------


def period_set(at: dt.datetime) -> set[str]:
    return {f"{at:%Y-%m}", f"{at.year}-Q{(at.month - 1) // 3 + 1}"}


def side_of(r: Rec) -> str:
    if r.kind in ("arrival_registration", "handover_notice"):
        return "destination"
    if r.kind in ("origin_confirmation", "receipt_acknowledgement"):
        return "origin"
    return "origin" if r.responsible == r.home else "destination"


Key = tuple[str, str, str]  # county, side, indicator


def expected(recs: list[Rec], period: str) -> dict[Key, tuple[set[str], set[str]]]:
    """(numerator units, denominator units) per county, side and indicator."""
    out: dict[Key, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))

    def put(county: str, side: str, name: str, unit: str, hit: bool) -> None:
        num, den = out[(county, side, name)]
        den.add(unit)
        if hit:
            num.add(unit)

    mine = [r for r in recs if period in period_set(r.opened)]
    for r in mine:
        fulfilled = r.outcome in ("on_time", "late")
        settled = r.outcome in ("on_time", "late", "breached", "escalated")
        breached = r.outcome in ("late", "breached", "escalated")
        on_time = r.outcome == "on_time"
        oid, side = r.obligation_id, side_of(r)
        other = "origin" if side == "destination" else "destination"
        if r.kind == "arrival_registration":
            put(r.counterpart, "origin", "registration_coverage", oid, True)
        if r.kind == "origin_confirmation":
            put(r.responsible, "origin", "registration_coverage", oid, False)
            put(r.counterpart, "destination", "registration_coverage", oid, True)
        if not settled:
            continue
        if r.kind == "arrival_registration":
            put(r.responsible, "destination", "registration_coverage", oid, fulfilled)
        if r.kind in ("arrival_registration", "origin_confirmation", "case_takeover"):
            put(r.responsible, side, "registration_timeliness", oid, on_time)
        if r.kind == "inquiry_answer":
            name = f"{'certificate' if r.inquiry == 'certificate' else 'inquiry'}_answers_on_time"
            put(r.responsible, side, name, oid, on_time)
        if r.kind == "receipt_acknowledgement":
            put(r.responsible, "origin", "receipt_rate", oid, fulfilled)
        if r.kind == "verification_result":
            put(r.responsible, side, "verification_on_time", oid, on_time)
        put(r.responsible, side, "feedback_rate", oid, fulfilled)
        put(r.responsible, side, "breaches", oid, breached)
        put(r.responsible, side, "escalations", oid, r.outcome == "escalated")
        put(r.counterpart, other, "partner_breaches", oid, breached)
    # Service coverage: persons who came to live at a county in the period, and whether that
    # county recorded a service for them (at any time).
    for r in mine:
        if r.kind == "origin_confirmation":
            county = r.counterpart
        elif r.kind == "arrival_registration" and r.outcome in ("on_time", "late"):
            if r.not_found:
                continue
            county = r.responsible
        elif (
            r.kind == "case_takeover"
            and r.outcome in ("on_time", "late")
            and r.responsible != r.home
        ):
            county = r.responsible
        else:
            continue
        served = any(
            s.kind == "receipt_acknowledgement" and s.person == r.person and s.counterpart == county
            for s in recs
        )
        put(county, "destination", "service_coverage", r.person, served)
    return out


def as_counts(exp: dict[Key, tuple[set[str], set[str]]], period: str) -> dict[Key, tuple[int, int]]:
    counts = {k: (len(n), len(d)) for k, (n, d) in exp.items()}
    for (p, county, side), (covered, flows) in EXPECTED_COVERAGE.items():
        if p in assessment_state.months_in(period):
            num, den = counts.get((county, side, "agreement_coverage"), (0, 0))
            counts[(county, side, "agreement_coverage")] = (num + covered, den + flows)
    return {k: v for k, v in counts.items() if v != (0, 0)}


def folded(recs: list[Rec]) -> AssessmentState:
    return rules.fold_all(log(recs))


def actual(state: AssessmentState, period: str) -> dict[Key, tuple[int, int]]:
    out: dict[Key, tuple[int, int]] = {}
    for county, figures in assessment_figures.tally(state, period).items():
        for (side, name), lineage in figures.items():
            if (lineage.numerator, lineage.denominator) != (0, 0):
                out[(county, side, name)] = (lineage.numerator, lineage.denominator)
    return out


PERIODS = ("2026-01", "2026-02", "2026-03", "2026-04", "2026-Q1", "2026-Q2")


# --- tallies -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [5, 11, 2026])
def test_tallies_equal_the_independent_computation(seed: int) -> None:
    recs = scenario(seed)
    state = folded(recs)
    for period in PERIODS:
        assert actual(state, period) == as_counts(expected(recs, period), period), period
    # Every county is assessed on both sides somewhere in the quarter.
    q1 = actual(state, "2026-Q1")
    for county in COUNTIES:
        assert {s for c, s, _ in q1 if c == county} == {"origin", "destination"}, county


def test_the_quarter_is_the_sum_of_its_months() -> None:
    state = folded(scenario())
    q1 = actual(state, "2026-Q1")
    summed: dict[Key, tuple[int, int]] = {}
    for month in ("2026-01", "2026-02", "2026-03"):
        for key, (n, d) in actual(state, month).items():
            if key[2] == "service_coverage":
                continue  # counts persons: one person can arrive in two months
            sn, sd = summed.get(key, (0, 0))
            summed[key] = (sn + n, sd + d)
    assert {k: v for k, v in q1.items() if k[2] != "service_coverage"} == summed


def test_fold_order_and_redelivery_do_not_matter() -> None:
    recs = scenario()
    events = log(recs)
    shuffled = events[:]
    random.Random(3).shuffle(shuffled)
    state_a = rules.fold_all(events)
    state_b = rules.fold_all(shuffled + events[:50])  # shuffled, and some re-delivered
    for period in PERIODS:
        assert actual(state_a, period) == actual(state_b, period)
    assert state_a.digest() == state_b.digest()


def test_published_values_carry_every_indicator_of_both_sides() -> None:
    state = folded(scenario())
    indicators = assessment_figures.values(assessment_figures.tally(state, "2026-Q1")[HANBIN])
    assert [(i.side, i.name) for i in indicators] == [
        (side, name) for side in cfg.SIDES for name in cfg.names(side)
    ]
    assert ("origin", "receipt_rate") in {(i.side, i.name) for i in indicators}
    assert ("origin", "service_coverage") not in {(i.side, i.name) for i in indicators}


# --- lineage ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("county", "side", "name"),
    [
        (HANBIN, "origin", "registration_coverage"),
        (BAOAN, "destination", "registration_timeliness"),
        (XUNYANG, "origin", "receipt_rate"),
        (HANYIN, "destination", "partner_breaches"),
        (HANBIN, "origin", "certificate_answers_on_time"),
        (BAOAN, "destination", "breaches"),
    ],
)
def test_lineage_lists_exactly_the_contributing_obligations(
    county: str, side: str, name: str
) -> None:
    recs = scenario()
    state = folded(recs)
    num, den = expected(recs, "2026-Q1")[(county, side, name)]
    assert den, "the scenario must exercise this indicator"
    lineage = rules.explain(state, county, "2026-Q1", side, name)  # type: ignore[arg-type]
    assert lineage.numerator_obligations == num
    assert lineage.denominator_obligations == den
    by_id = {r.obligation_id: r for r in recs}
    # Every event of those obligations but reminders (they change no figure); an inquiry's
    # inquiry_sent (it says which kind it was) and an arrival_not_found count too.
    wanted = {
        str(e.event_id)
        for oid in den
        for e in events_for(by_id[oid])
        if not isinstance(e, ObligationReminded)
    }
    assert lineage.denominator_events == wanted
    assert lineage.numerator_events == {
        str(e.event_id)
        for oid in num
        for e in events_for(by_id[oid])
        if not isinstance(e, ObligationReminded)
    }


def test_service_coverage_lineage_names_the_arrival_and_the_service() -> None:
    person = "ee" * 32
    arrival = Rec(900, "arrival_registration", person, BAOAN, HANBIN, T0, "on_time", HANBIN)
    service = Rec(
        901, "receipt_acknowledgement", person, HANBIN, BAOAN, T0 + 40 * DAY, "open", HANBIN
    )
    state = folded([arrival, service])
    lineage = rules.explain(state, BAOAN, "2026-01", "destination", "service_coverage")
    assert (lineage.numerator, lineage.denominator) == (1, 1)
    assert lineage.numerator_obligations == {arrival.obligation_id, service.obligation_id}
    # found nobody: the arrival does not count as someone living there
    gone = Rec(
        902, "arrival_registration", "ff" * 32, BAOAN, HANBIN, T0, "on_time", HANBIN, not_found=True
    )
    state = folded([gone])
    assert (
        rules.explain(state, BAOAN, "2026-01", "destination", "service_coverage").denominator == 0
    )
    assert rules.explain(state, BAOAN, "2026-01", "destination", "feedback_rate").numerator == 1


# --- publication and late events ---------------------------------------------------------------


def publish_all(
    state: AssessmentState,
    published: dict[tuple[str, str], ScorecardPublished],
    **kw: Any,
) -> list[ScorecardPublished]:
    cards = rules.publications(state, published, CONFIG, region=REGION, **kw)
    published.update(rules.newest([*published.values(), *cards]))
    return cards


def test_periods_publish_once_closed_then_revise_on_a_late_event() -> None:
    events = log(scenario())
    state = AssessmentState()
    published: dict[tuple[str, str], ScorecardPublished] = {}
    for event in events:
        if event.occurred_at < dt.datetime(2026, 3, 15, tzinfo=dt.UTC):
            rules.fold(state, event)
    # Event time has not passed March: January and February are closed, nothing else.
    clock = state.clock
    first = publish_all(state, published)
    assert {c.period for c in first} == {"2026-01", "2026-02"}
    assert {(c.reason, c.revision) for c in first} == {("first publication", 1)}
    assert all(c.occurred_at == clock for c in first)
    assert publish_all(state, published) == []  # nothing changed: nothing to publish
    # Event time moves past the end of the quarter (plus the day of grace).
    now = dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC)
    for event in events:
        if event.occurred_at < now:
            rules.fold(state, event)
    tick = derived(
        ObligationReminded,
        now,
        "clock",
        person_key="00" * 32,
        obligation_id="x:clock",
        responsible_county=HANBIN,
        due_at=now + 30 * DAY,
    )
    rules.fold(state, tick)
    closing = publish_all(state, published)
    fresh = [c for c in closing if c.period in ("2026-03", "2026-Q1")]
    assert {c.period for c in fresh} == {"2026-03", "2026-Q1"}
    assert {(c.reason, c.revision) for c in fresh} == {("first publication", 1)}
    # January and February obligations that were settled meanwhile revise those periods.
    for card in closing:
        if card.period in ("2026-01", "2026-02"):
            assert card.revision > 1
            assert card.reason.startswith("update obligation_"), card.reason
    # A late obligation for February: HANYIN answers a certificate inquiry from BAOAN.
    late = Rec(
        5000,
        "inquiry_answer",
        "99" * 32,
        HANYIN,
        BAOAN,
        dt.datetime(2026, 2, 10, tzinfo=dt.UTC),
        "on_time",
        HANYIN,
        inquiry="certificate",
    )
    before = dict(published)
    for event in events_for(late):
        rules.fold(state, event)
    revised = publish_all(state, published)
    keys = {(HANYIN, "2026-02"), (HANYIN, "2026-Q1"), (BAOAN, "2026-02"), (BAOAN, "2026-Q1")}
    assert {(c.county, c.period) for c in revised} == keys
    assert keys <= set(before), "the scenario has these four scorecards already"
    opened = next(e for e in events_for(late) if isinstance(e, ObligationOpened))
    for card in revised:
        assert card.revision == before[(card.county, card.period)].revision + 1
        assert (
            card.reason
            == f"late event obligation_opened {opened.event_id} for {card.period} (+1 more)"
        )
        assert card.causation_id == opened.event_id
        assert card.occurred_at == now
        old = assessment_figures.as_figures(before[(card.county, card.period)].indicators)
        new = assessment_figures.as_figures(card.indicators)
        changed = {k for k in new if new[k] != old[k]}
        if card.county == HANYIN:
            n, d = old[("origin", "certificate_answers_on_time")]
            assert new[("origin", "certificate_answers_on_time")] == (n + 1, d + 1)
            assert changed == {
                ("origin", "certificate_answers_on_time"),
                ("origin", "feedback_rate"),
                ("origin", "breaches"),
                ("origin", "escalations"),
            }
        else:
            assert changed == {("destination", "partner_breaches")}


def test_an_outcome_after_the_period_is_an_update() -> None:
    rec = Rec(
        7000,
        "arrival_registration",
        "77" * 32,
        BAOAN,
        HANBIN,
        dt.datetime(2026, 1, 25, tzinfo=dt.UTC),
        "breached",
        HANBIN,
    )
    opened, reminded, breached = events_for(rec)
    state = AssessmentState()
    published: dict[tuple[str, str], ScorecardPublished] = {}
    for e in (opened, reminded):
        rules.fold(state, e)
    first = publish_all(state, published)  # the reminder (Feb 4) closed January
    assert {(c.county, c.period, c.revision) for c in first} == {(HANBIN, "2026-01", 1)}
    rules.fold(state, breached)
    revised = publish_all(state, published)
    assert {(c.county, c.period, c.revision) for c in revised} == {
        (BAOAN, "2026-01", 1),  # its first figure: the breach settled the arrival
        (HANBIN, "2026-01", 2),  # partner breach
    }
    hanbin = next(c for c in revised if c.county == HANBIN)
    assert hanbin.reason == f"update obligation_breached {breached.event_id} for 2026-01"
    assert hanbin.causation_id == breached.event_id


def test_scorecards_are_deterministic() -> None:
    recs = scenario()
    cards = []
    for order in (0, 1):
        events = log(recs)
        if order:
            random.Random(9).shuffle(events)
        state = rules.fold_all(events)
        cards.append(
            sorted(
                rules.publications(state, {}, CONFIG, region=REGION),
                key=lambda c: (c.county, c.period),
            )
        )
    # the clock event can differ when two events share the newest instant; nothing else
    strip = [[c.model_copy(update={"causation_id": None}) for c in run] for run in cards]
    assert strip[0] == strip[1]
    assert len({c.event_id for c in cards[0]}) == len(cards[0])


def test_restart_recomputes_and_names_the_reason() -> None:
    recs = scenario()
    state = folded(recs)
    published = rules.newest(rules.publications(state, {}, CONFIG, region=REGION))
    again = folded(recs)
    assert rules.publications(again, published, CONFIG, region=REGION, at_start=True) == []
    heavier = CONFIG.model_copy(update={"sides": cfg.SideWeights(origin=3, destination=1)})
    again = folded(recs)
    cards = rules.publications(again, published, heavier, region=REGION, at_start=True)
    assert cards
    assert all(c.reason.startswith("recomputed at start: scores") for c in cards)
    assert all(c.revision == published[(c.county, c.period)].revision + 1 for c in cards)


# --- what-if -----------------------------------------------------------------------------------


def only(side_rules: dict[str, dict[str, str]]) -> cfg.AssessmentConfig:
    """A config where each side scores only the named indicator, as its plain ratio (and a
    side is assessed from one settled obligation on)."""
    lines = ["min_settled_obligations = 1", "[sides]", "origin = 1", "destination = 1"]
    for side in cfg.SIDES:
        lines.append(f"[{side}]")
        for name in cfg.names(side):
            weight = 1 if side_rules[side].get(name) else 0
            lower = cfg.BY_NAME[name].better == "lower"
            target, floor = (0.0, 1.0) if lower else (1.0, 0.0)
            lines.append(f"{name} = {{ weight = {weight}, target = {target}, floor = {floor} }}")
    return cfg.parse("\n".join(lines))


def test_whatif_changes_ranks_as_expected_and_leaves_state_unchanged() -> None:
    a_recs = [
        Rec(1, "origin_confirmation", "a1" * 32, HANBIN, BAOAN, T0, "on_time", HANBIN),
        Rec(2, "origin_confirmation", "a2" * 32, HANBIN, BAOAN, T0, "on_time", HANBIN),
        Rec(3, "receipt_acknowledgement", "a1" * 32, HANBIN, BAOAN, T0, "breached", HANBIN),
        Rec(4, "receipt_acknowledgement", "a2" * 32, HANBIN, BAOAN, T0, "on_time", HANBIN),
    ]
    b_recs = [
        Rec(5, "origin_confirmation", "b1" * 32, XUNYANG, BAOAN, T0, "breached", XUNYANG),
        Rec(6, "origin_confirmation", "b2" * 32, XUNYANG, BAOAN, T0, "on_time", XUNYANG),
        Rec(7, "receipt_acknowledgement", "b1" * 32, XUNYANG, BAOAN, T0, "on_time", XUNYANG),
        Rec(8, "receipt_acknowledgement", "b2" * 32, XUNYANG, BAOAN, T0, "on_time", XUNYANG),
    ]
    state = rules.fold_all(e for r in a_recs + b_recs for e in events_for(r))
    published = rules.newest(rules.publications(state, {}, CONFIG, region=REGION))
    before = (state.digest(), dict(published))
    dest = {"registration_timeliness": "x"}
    timely = only({"origin": {"registration_timeliness": "x"}, "destination": dest})
    receipts = only({"origin": {"receipt_rate": "x"}, "destination": dest})

    def standings(config: cfg.AssessmentConfig) -> dict[str, Any]:
        table = rules.standings(state, "2026-01", config, region=REGION, scope="all")
        return {s.county: s for s in table.standings}

    t, r = standings(timely), standings(receipts)
    # HANBIN: timeliness 2/2, receipts 1/2; XUNYANG: timeliness 1/2, receipts 2/2. BAOAN has
    # destination figures, none of them weighted here: no score, unranked.
    assert (t[HANBIN].scores.combined, t[XUNYANG].scores.combined) == (100.0, 50.0)
    assert (r[HANBIN].scores.combined, r[XUNYANG].scores.combined) == (50.0, 100.0)
    assert (t[HANBIN].rank, t[XUNYANG].rank, t[BAOAN].rank) == (1, 2, None)
    assert (r[XUNYANG].rank, r[HANBIN].rank, r[BAOAN].rank) == (1, 2, None)
    assert t[BAOAN].scores == Scores(None, None, None)
    # Under the shipped weights each county settled 4 duties or none: below the minimum of
    # 5, nobody is assessed and nobody is ranked.
    base = standings(CONFIG)
    assert set(base) == {HANBIN, XUNYANG, BAOAN}
    assert {s.rank for s in base.values()} == {None}
    assert (state.digest(), dict(published)) == before


# --- fair scores: hand-computed -----------------------------------------------------------------


def _closing_tick() -> Envelope:
    """An event at 2 February: event time past January's end and its day of grace."""
    at = dt.datetime(2026, 2, 2, 9, tzinfo=dt.UTC)
    return derived(
        ObligationReminded,
        at,
        "closing",
        person_key="00" * 32,
        obligation_id="x:closing",
        responsible_county=HANBIN,
        due_at=at + 30 * DAY,
    )


def _fair_scenario() -> list[Envelope]:
    # BAOAN registers six arrivals from HANBIN on time: duties on its destination side only.
    # HANBIN's six outflows were covered by an agreement; BAOAN sent two people on, uncovered.
    # XUNYANG acknowledged one receipt on time: one duty.
    arrivals = [
        Rec(100 + i, "arrival_registration", f"{i + 1:064x}", BAOAN, HANBIN, T0, "on_time", HANBIN)
        for i in range(6)
    ]
    receipt = Rec(
        200, "receipt_acknowledgement", "a7" * 32, XUNYANG, HANYIN, T0, "on_time", XUNYANG
    )
    figures = (
        coverage_figure("region", (8, 6)),
        coverage_figure(HANBIN, (6, 6, 0, 0)),
        coverage_figure(BAOAN, (2, 0, 6, 6)),
    )
    coverage = derived(
        AgreementCoveragePublished,
        T0 + DAY,
        "fair-coverage",
        period="2026-01",
        partition=0,
        figures=figures,
    )
    events = [e for r in [*arrivals, receipt] for e in events_for(r)]
    return [*events, coverage, _closing_tick()]


def test_a_destination_only_county_has_no_origin_score() -> None:
    state = rules.fold_all(_fair_scenario())
    cards = {
        c.county: c
        for c in rules.publications(state, {}, CONFIG, region=REGION)
        if c.period == "2026-01"
    }
    baoan = cards[BAOAN]
    assert baoan.origin_score is None  # two uncovered outflows, but no duty as origin
    # As destination: registration coverage 6/6, on time 6/6, feedback 6/6, breaches 0/6 and
    # escalations 0/6 (100 each), agreement coverage of its inflows 6/6 (100), service
    # coverage 0/6 (0 points): (15 + 10 + 10 + 10 + 5 + 8) * 100 / 70.
    assert baoan.destination_score == round(58 * 100 / 70, 2) == 82.86
    assert baoan.combined_score == 82.86


def test_coverage_alone_or_one_obligation_is_not_assessed() -> None:
    state = rules.fold_all(_fair_scenario())
    cards = {
        c.county: c
        for c in rules.publications(state, {}, CONFIG, region=REGION)
        if c.period == "2026-01"
    }
    # HANBIN's only figures as origin are its registrations, its partners' record and its
    # covered outflows: no settled duty of its own, so it is not assessed (never 100).
    hanbin = cards[HANBIN]
    assert assessment_figures.as_figures(hanbin.indicators)[("origin", "agreement_coverage")] == (
        6,
        6,
    )
    assert (hanbin.origin_score, hanbin.destination_score, hanbin.combined_score) == (
        None,
        None,
        None,
    )
    # XUNYANG settled one obligation, on time: below the minimum of 5, not assessed (never 100).
    xunyang = cards[XUNYANG]
    assert assessment_figures.as_figures(xunyang.indicators)[("origin", "feedback_rate")] == (1, 1)
    assert (xunyang.origin_score, xunyang.destination_score, xunyang.combined_score) == (
        None,
        None,
        None,
    )
    assert xunyang.model_dump(mode="json")["origin_score"] is None  # null in the contract


def test_agreement_coverage_is_directional() -> None:
    state = rules.fold_all(_fair_scenario())
    figures = assessment_figures.tally(state, "2026-01")
    assert (
        figures[BAOAN][("origin", "agreement_coverage")].numerator,
        figures[BAOAN][("origin", "agreement_coverage")].denominator,
    ) == (0, 2)
    assert (
        figures[BAOAN][("destination", "agreement_coverage")].numerator,
        figures[BAOAN][("destination", "agreement_coverage")].denominator,
    ) == (6, 6)
    assert (
        figures[HANBIN][("origin", "agreement_coverage")].numerator,
        figures[HANBIN][("origin", "agreement_coverage")].denominator,
    ) == (6, 6)
    assert figures[HANBIN][("destination", "agreement_coverage")].denominator == 0


def test_only_the_assessed_are_ranked_and_nobody_assessed_is_no_ranking() -> None:
    state = rules.fold_all(_fair_scenario())
    table = rules.standings(state, "2026-01", CONFIG, region=REGION, scope="all")
    assert [(s.county, s.rank) for s in table.standings] == [
        (BAOAN, 1),
        (HANBIN, None),
        (HANYIN, None),  # a partner in XUNYANG's receipt: figures, but no duty of its own
        (XUNYANG, None),
    ]
    # The region's own counties: none of Ankang's was assessed, so there is no ranking.
    region = rules.standings(state, "2026-01", CONFIG, region=REGION, scope="region")
    assert region.ranked == ()
    assert [s.county for s in region.standings] == [HANBIN, HANYIN, XUNYANG]


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26-01", "2026-1", ""])
def test_bad_periods(text: str) -> None:
    with pytest.raises(ValueError, match="is not a period"):
        assessment_state.period_bounds(text)


def test_a_year_is_a_period_but_not_one_the_assessment_scores() -> None:
    with pytest.raises(ValueError, match="'2026' is a year: use a month"):
        assessment_state.period_bounds("2026")


def test_period_bounds() -> None:
    assert assessment_state.period_bounds("2026-Q4") == (
        dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
        dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
    )
    assert assessment_state.months_in("2026-Q1") == ("2026-01", "2026-02", "2026-03")
    assert assessment_state.periods_of(dt.datetime(2026, 3, 31, 23, tzinfo=dt.UTC)) == (
        "2026-03",
        "2026-Q1",
    )


# --- the CLI's bad arguments: one line, exit 2, before any broker is asked ---------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scorecard", "--period", "2026-13"], "is not a period"),
        (["scorecard", "--period", "2026-Q1", "--county", "999999"], "not a current GB/T 2260"),
        (["scorecard"], "scorecard needs --period"),
        (
            ["scorecard", "explain", "--county", HANBIN, "--period", "2026-Q1", "--indicator", "x"],
            "invalid choice: 'x'",
        ),
        (
            [
                "scorecard",
                "explain",
                "--county",
                HANBIN,
                "--period",
                "Q1",
                "--indicator",
                "breaches",
            ],
            "is not a period",
        ),
        (
            [
                *("scorecard", "explain", "--county", HANBIN, "--period", "2026-Q1"),
                *("--indicator", "service_coverage", "--side", "origin"),
            ],
            "service_coverage is not an indicator of the origin side",
        ),
        (
            ["scorecard", "whatif", "--period", "2026-Q1", "--config", "/nonexistent/w.toml"],
            "/nonexistent/w.toml: no such file",
        ),
        (["assess", "--config", "/nonexistent/w.toml"], "/nonexistent/w.toml: no such file"),
    ],
)
def test_bad_cli_arguments(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from entrypoints.cli import main

    try:
        code = main(argv)
    except SystemExit as exited:
        code = exited.code  # type: ignore[assignment]
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


# --- what the cases agent really derives --------------------------------------------------------


def test_the_fold_reads_what_the_cases_agent_derives() -> None:
    from contracts.events.clock import ClockTicked
    from contracts.events.cooperation import InquiryAnswered, ServiceRecorded
    from contracts.events.migration import InflowRegistered, OutflowRegistered, PersonEvent
    from tests.unit import case_fixtures as cf

    hanbin, baoan = cf.HANBIN, cf.BAOAN
    county_events: list[PersonEvent | ClockTicked] = [
        cf.make(
            OutflowRegistered,
            county=hanbin,
            at=cf.day(0),
            origin_county=hanbin,
            destination_county=baoan,
            reason="work",
        ),
        cf.make(
            InflowRegistered,
            county=baoan,
            at=cf.day(3),
            origin_county=hanbin,
            destination_county=baoan,
        ),
        cf.make(
            InquirySent,
            county=baoan,
            at=cf.day(4),
            inquiry_id="q1",
            to_county=hanbin,
            kind="certificate",
        ),
        cf.make(
            ServiceRecorded,
            county=baoan,
            at=cf.day(5),
            service_id="s1",
            origin_county=hanbin,
            service="check_up",
        ),
        cf.tick(cf.day(12)),  # past the certificate's 7 days: breached
        cf.make(
            InquiryAnswered,
            county=hanbin,
            at=cf.day(13),
            inquiry_id="q1",
            to_county=baoan,
            answer="confirmed",
        ),
        cf.tick(cf.day(40)),  # the receipt (30 days) is breached too
    ]
    _, derived = cf.run(county_events)
    state = rules.fold_all([*county_events, *derived])
    figures = assessment_figures.tally(state, "2026-03")

    def value(county: str, side: cfg.Side, name: str) -> tuple[int, int]:
        lineage = figures[county].get((side, name))
        return (lineage.numerator, lineage.denominator) if lineage else (0, 0)

    assert value(hanbin, "origin", "registration_coverage") == (1, 1)
    assert value(baoan, "destination", "registration_coverage") == (1, 1)
    assert value(baoan, "destination", "registration_timeliness") == (1, 1)
    assert value(hanbin, "origin", "certificate_answers_on_time") == (0, 1)  # answered late
    assert value(hanbin, "origin", "receipt_rate") == (0, 1)
    assert value(hanbin, "origin", "breaches") == (2, 2)
    assert value(hanbin, "origin", "feedback_rate") == (1, 2)
    assert value(baoan, "destination", "partner_breaches") == (2, 2)
    assert value(baoan, "destination", "service_coverage") == (1, 1)
    # the arrival BAOAN registered on time: no breach for HANBIN to share, as origin
    assert value(hanbin, "origin", "partner_breaches") == (0, 1)
