"""How big a bench run is: the quick and the full scale, and what every stage shares."""

from __future__ import annotations

from dataclasses import dataclass

from simulation.scenario import SimulationConfig

PARTITIONS = 6
PEAK_EVENTS_PER_S = 5_000.0  # the national Spring Festival peak one worker must carry


@dataclass(frozen=True, slots=True)
class Scale:
    name: str
    config: SimulationConfig
    latency_s: float  # how long the paced latency run publishes
    stage_timeout_s: float
    state_persons: int  # persons of state in the memory stage
    state_timeout_s: float  # its feeding


QUICK = Scale(
    "quick",
    SimulationConfig(persons=6_500, months=6, tail_days=10),  # ~22,800 events
    15.0,
    300.0,
    100_000,
    300.0,
)
FULL = Scale(
    "full",
    SimulationConfig(counties=30, persons=48_000, months=12, tail_days=30),  # ~207,000 events
    60.0,
    1_200.0,
    1_000_000,
    1_200.0,
)
# The deployment's table store (infra/deploy): every bench worker runs on it.
DEPLOYED_STORE = "rocksdb://"
