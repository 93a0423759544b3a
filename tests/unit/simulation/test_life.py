"""One person's stay (``simulation.life``), drawn alone: an announced stay opens with the
origin's outflow and the destination's arrival; an unannounced one with the arrival and the
origin's answer; a disowned person's stay ends there; answers never come before what they
answer."""

from __future__ import annotations

import datetime as dt
import random

from contracts.events.migration import InflowRegistered, OriginAnswered, OutflowRegistered
from simulation.config import AnomalyRates, CountyRates, ResponseRates, SimulationConfig
from simulation.geography import build_geography
from simulation.life import Life, Person, Plan
from simulation.scenario_time import DAY, OFFICE_OPEN

ORIGIN_ID = "610902198001010011"


def life(anomalies: AnomalyRates) -> tuple[Life, Person]:
    config = SimulationConfig(
        persons=1, months=3, anomalies=anomalies, rates=ResponseRates(late=0.0, missing=0.0)
    )
    geo = build_geography(config.counties, random.Random(1), agreements_per_origin=1)
    rates = {code: CountyRates(late=0.0, missing=0.0) for code in geo.involved()}
    origin = geo.origins[0]
    person = Person(0, origin, ORIGIN_ID, female=False, born=dt.date(1980, 1, 1))
    return Life(config, geo, rates, festivals=[], horizon=config.activity_days * DAY), person


def test_an_announced_stay_opens_with_the_outflow_then_the_arrival() -> None:
    never = AnomalyRates(unannounced=0.0, not_found=0.0, duplicate=0.0, stale=1.0)
    lives, person = life(never)
    plan = Plan(ORIGIN_ID, end=10_000 * DAY)
    t0 = 3 * DAY + OFFICE_OPEN
    assert lives.stay(plan, random.Random(7), person, t0, 0) is None  # stale: no more moves
    (t_out, by_out, outflow, fields), (t_in, by_in, inflow, _) = plan.steps
    assert (t_out, by_out, outflow) == (t0, person.origin, OutflowRegistered)
    assert inflow is InflowRegistered
    assert by_in == fields["destination_county"] != person.origin
    assert t_in > t_out
    assert all(step[3]["national_id"] == ORIGIN_ID for step in plan.steps)


def test_an_unannounced_arrival_is_answered_by_the_origin_and_a_disowned_one_ends_the_stay() -> (
    None
):
    disowned = AnomalyRates(unannounced=1.0, not_ours=1.0)
    lives, person = life(disowned)
    plan = Plan(ORIGIN_ID, end=10_000 * DAY)
    t0 = 3 * DAY + OFFICE_OPEN
    assert lives.stay(plan, random.Random(7), person, t0, 0) is None
    (t_in, _, inflow, _), (t_answer, by, answered, fields) = plan.steps
    assert (t_in, inflow) == (t0, InflowRegistered)
    assert (by, answered, fields["answer"]) == (person.origin, OriginAnswered, "not_ours")
    assert t_answer > t_in


def test_nothing_is_planned_past_the_final_tick() -> None:
    lives, person = life(AnomalyRates(unannounced=0.0, not_found=0.0, stale=1.0))
    plan = Plan(ORIGIN_ID, end=3 * DAY + OFFICE_OPEN + 1)
    lives.stay(plan, random.Random(7), person, 3 * DAY + OFFICE_OPEN, 0)
    assert [step[2] for step in plan.steps] == [OutflowRegistered]
