"""The simulator's scenario: deterministic, time-ordered, real codes, valid IDs, realistic."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agents.gate_rules import Accepted, GateLimits, decide
from agents.registry import Registry
from contracts import divisions, unions
from contracts.events.clock import ClockTicked
from contracts.identity import normalize_national_id
from simulation.geography import ANKANG, REGION, origin_counties
from simulation.publisher import CountySigners, EventIds, county_registrations
from simulation.scenario import (
    INQUIRY_DAYS,
    AnomalyRates,
    ResponseRates,
    SimEvent,
    SimulationConfig,
    county_rates,
    generate,
    involved_counties,
)
from streams.codec import Codec, encode
from streams.county_node import CountyNode

COUNTY_FIELDS = (
    "origin_county",
    "destination_county",
    "to_county",
    "from_county",
    "home_county",
    "by_county",
)
# Half a year from 1 January: the Spring Festival (17 February) and June are both in it.
RATES = ResponseRates(late=0.2, missing=0.1, spread=0.8)
HALF_YEAR = SimulationConfig(persons=5_000, months=6, seed=11, rates=RATES)


@pytest.fixture(scope="module")
def stream() -> list[SimEvent]:
    return list(generate(HALF_YEAR))


def small(**changes: Any) -> SimulationConfig:
    return SimulationConfig(**({"persons": 300, "months": 3, "tail_days": 20} | changes))


def test_the_same_seed_gives_the_same_stream_and_another_seed_another() -> None:
    assert list(generate(small())) == list(generate(small()))
    assert list(generate(small())) != list(generate(small(seed=2027)))


def test_the_plan_cache_changes_speed_only() -> None:
    assert list(generate(small(plan_cache=0))) == list(generate(small(plan_cache=7)))


def test_events_are_in_time_order_with_a_tick_opening_every_day(stream: list[SimEvent]) -> None:
    times = [event.occurred_at for event in stream]
    assert times == sorted(times)
    ticks = [event for event in stream if event.kind is ClockTicked]
    start = HALF_YEAR.start
    assert [t.occurred_at for t in ticks] == [
        start + dt.timedelta(days=d) for d in range(HALF_YEAR.last_tick_day + 1)
    ]
    assert all(t.county == REGION and t.fields == {} for t in ticks)
    assert stream[-1] == ticks[-1]  # the final tick, tail_days after the last month
    assert ticks[-1].occurred_at == dt.datetime(2026, 8, 30, tzinfo=dt.UTC)
    for day, group in itertools.groupby(stream, key=lambda e: e.occurred_at.date()):
        assert next(group).kind is ClockTicked, day


def test_every_national_id_is_valid_and_born_in_the_origin(stream: list[SimEvent]) -> None:
    ids = {str(e.fields["national_id"]) for e in stream if "national_id" in e.fields}
    assert len(ids) > 4_000
    assert all(normalize_national_id(number) == number for number in ids)
    for event in stream:
        if event.kind.__name__ == "OutflowRegistered":
            assert str(event.fields["national_id"])[:6] == event.fields["origin_county"]


def test_every_county_is_a_real_county_code(stream: list[SimEvent]) -> None:
    named = {e.county for e in stream if e.county != REGION}
    named |= {str(e.fields[f]) for e in stream for f in COUNTY_FIELDS if f in e.fields}
    assert all(divisions.county(code) is not None for code in named)
    assert named <= set(involved_counties(HALF_YEAR)) | {REGION}
    assert {"440306", "441900", "310115", "320583"} & named  # the corridors are there


def test_origins_are_ankangs_ten_then_shaanxi_then_the_country() -> None:
    assert origin_counties(10) == ANKANG
    assert all(code.startswith("61") for code in origin_counties(107))
    national = origin_counties(2_800)
    assert len(set(national)) == 2_800
    assert all(divisions.county(code) is not None for code in national)
    with pytest.raises(ValueError, match="counties must be between"):
        origin_counties(5_000)


def test_the_spring_festival_sends_people_home_before_it_and_away_after(
    stream: list[SimEvent],
) -> None:
    def count(kind: str, first: dt.date, last: dt.date) -> int:
        return sum(
            1 for e in stream if e.kind.__name__ == kind and first <= e.occurred_at.date() <= last
        )

    home_before = count("ReturnedHome", dt.date(2026, 2, 3), dt.date(2026, 2, 16))
    home_june = count("ReturnedHome", dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    assert home_before > 3 * home_june
    away_after = count("OutflowRegistered", dt.date(2026, 2, 17), dt.date(2026, 3, 9))
    away_june = count("OutflowRegistered", dt.date(2026, 6, 1), dt.date(2026, 6, 21))
    assert away_after > 2 * away_june


def test_inquiries_are_answered_late_or_never_at_about_the_configured_rates(
    stream: list[SimEvent],
) -> None:
    sent = {e.fields["inquiry_id"]: e for e in stream if e.kind.__name__ == "InquirySent"}
    answered = {e.fields["inquiry_id"]: e for e in stream if e.kind.__name__ == "InquiryAnswered"}
    assert len(sent) > 1_000
    late = 0
    for inquiry_id, answer in answered.items():
        question = sent[inquiry_id]
        assert answer.county == question.fields["to_county"]
        assert answer.fields["to_county"] == question.county
        due = dt.timedelta(days=INQUIRY_DAYS[str(question.fields["kind"])])
        late += answer.occurred_at - question.occurred_at > due
    missing = (len(sent) - len(answered)) / len(sent)
    assert RATES.missing * 0.5 < missing < RATES.missing * 1.6
    assert RATES.late * 0.5 < late / len(sent) < RATES.late * 1.6


def test_county_rates_are_county_specific_and_follow_the_seed() -> None:
    rates = county_rates(HALF_YEAR)
    assert set(rates) == set(involved_counties(HALF_YEAR))
    assert len({r.late for r in rates.values()}) == len(rates)
    assert rates == county_rates(HALF_YEAR)
    assert rates != county_rates(SimulationConfig(seed=12, rates=RATES))


def test_anomalies_occur_and_vanish_when_switched_off(stream: list[SimEvent]) -> None:
    found = anomalies(stream)
    assert found["inflow_without_outflow"] > 100
    assert found["registered_in_two_places"] > 20
    assert found["arrival_not_found"] > 20
    assert found["not_ours"] > 5
    off = AnomalyRates(unannounced=0, not_found=0, duplicate=0, stale=0, not_ours=0)
    clean = anomalies(list(generate(small(persons=2_000, anomalies=off))))
    assert clean["registered_in_two_places"] == clean["arrival_not_found"] == 0
    assert clean["not_ours"] == 0


def anomalies(stream: list[SimEvent]) -> Counter[str]:
    found: Counter[str] = Counter()
    outflows: set[tuple[object, object, object]] = set()
    living_in: defaultdict[object, set[object]] = defaultdict(set)  # registered, not left
    for e in stream:
        name, f = e.kind.__name__, e.fields
        if name == "OutflowRegistered":
            outflows.add((f["national_id"], f["origin_county"], f["destination_county"]))
        elif name == "InflowRegistered":
            flow = (f["national_id"], f["origin_county"], f["destination_county"])
            found["inflow_without_outflow"] += flow not in outflows
            found["registered_in_two_places"] += bool(living_in[f["national_id"]])
            living_in[f["national_id"]].add(f["destination_county"])
        elif name in ("MovedOn", "ReturnedHome"):
            living_in[f["national_id"]].clear()
        elif name == "ArrivalNotFound":
            found["arrival_not_found"] += 1
        elif name == "OriginAnswered" and f["answer"] == "not_ours":
            found["not_ours"] += 1
    return found


def test_services_and_agreements_cover_some_flows_not_all(stream: list[SimEvent]) -> None:
    kinds = Counter(str(e.fields["service"]) for e in stream if "service" in e.fields)
    assert set(kinds) == {"contraception", "check_up", "prenatal", "pregnancy", "birth"}
    signatures = Counter(
        (e.fields["origin_county"], e.fields["destination_county"], e.county)
        for e in stream
        if e.kind.__name__ == "AgreementSigned"
    )
    agreed = {(origin, dest) for origin, dest, _ in signatures}
    assert len(agreed) == HALF_YEAR.counties * HALF_YEAR.agreements_per_origin
    # Both parties sign each agreement once: it binds only then.
    assert set(signatures.values()) == {1}
    assert {(o, d, o) for o, d in agreed} | {(o, d, d) for o, d in agreed} == set(signatures)
    flows = [
        (e.fields["origin_county"], e.fields["destination_county"])
        for e in stream
        if e.kind.__name__ == "OutflowRegistered"
    ]
    covered = sum(flow in agreed for flow in flows) / len(flows)
    assert 0.3 < covered < 0.9


def test_every_simulated_event_is_admitted_by_the_gate() -> None:
    """Signed per county as the publisher does, the whole stream passes the real gate rule."""
    config = small(persons=150, months=2)
    region_key = Ed25519PrivateKey.generate()
    secret = b"test-secret"
    keys = {code: Ed25519PrivateKey.generate() for code in involved_counties(config)}
    region = CountyNode(
        county=REGION,
        publisher_id=f"{REGION}/region",
        private_key=region_key,
        person_key_secret=secret,
        bootstrap_servers="unused",
    )
    ids = EventIds(config, region_key, secret)
    registry = Registry(REGION, region_key.public_key())
    for registration in county_registrations(config, region, keys, ids):
        registry.apply(registration, registration.model_dump(mode="json"))
    signers = CountySigners(keys, region, secret, "unused", "liudong")
    codec: Codec[Any] = Codec(unions.CountyEvent)
    last_tick: dt.datetime | None = None
    for sim_event in generate(config):
        raw = encode(signers.build(sim_event, ids.next()))
        verdict = decide(
            raw, codec=codec, registry=registry, last_tick=last_tick, limits=GateLimits()
        )
        assert isinstance(verdict, Accepted), (sim_event, verdict)
        last_tick = verdict.tick or last_tick
        if "national_id" in sim_event.fields:
            assert str(sim_event.fields["national_id"]).encode() not in raw


def test_generation_streams_without_building_the_whole_scenario() -> None:
    national = SimulationConfig(counties=2_800, persons=1_000_000, months=12)
    first = list(itertools.islice(generate(national), 20_000))
    assert first[0].kind is ClockTicked
    assert {e.county for e in first} - {REGION} > set(ANKANG)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"persons": -1}, "persons"),
        ({"months": 0}, "months"),
        ({"start": dt.datetime(2026, 1, 1)}, "time zone"),
        ({"start": dt.datetime(2040, 1, 1, tzinfo=dt.UTC)}, "Spring Festival"),
    ],
)
def test_impossible_configurations_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimulationConfig(**changes)
    with pytest.raises(ValueError, match="late"):
        ResponseRates(late=0.6, missing=0.4)
