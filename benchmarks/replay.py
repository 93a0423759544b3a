"""The bench's replay stage: the validated topic the one-worker stage produced, replayed.

* one process (:func:`audit.replay.runner.replay_job`, in the bench's own process): its
  rate against the raw consume ceiling of the same run, and its CPU seconds per event;
  one and two processes run three times each, alternating, and the run with the least CPU
  per event of each counts (the others paid for the machine's other load too);
* two processes (``liudong replay --workers 2``, forked): CPU seconds per event against one
  process's (both processes and the merge; on two cores shared with the broker two
  processes cannot run much faster than one, but they must not add work per event), and
  their rate;
* one process deriving what ``--verify`` compares (the derived records' canonical digests
  and the assessment fold): what the verification adds per event;
* the expected time of a national year (1.5 billion events) on 64 processes: each process's
  share of the events at the CPU cost per event of the two-process run, one core each, the
  broker not the bottleneck. An extrapolation, labelled as such.

CPU is read from ``getrusage`` (this process and its reaped children); only the replay runs
meanwhile. Reads the clock to measure only.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass

from agents import assessment_config
from audit.replay.outcome import Outcome
from audit.replay.reader import end_offsets
from audit.replay.runner import Job, rare_collections, replay, replay_job
from benchmarks import stats
from benchmarks.stats import Row, Target
from streams import topics

NATIONAL_EVENTS = 1_500_000_000  # a national year, about
REPEATS = 3  # runs of one and of two processes, alternating; the best of each is reported
NATIONAL_PROCESSES = 64


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass(frozen=True, slots=True)
class Run:
    processes: int
    events: int
    wall_s: float
    cpu_s: float
    cases: int

    @property
    def rate(self) -> float | None:
        return stats.rate(self.events, self.wall_s)

    @property
    def cpu_per_event(self) -> float | None:
        return self.cpu_s / self.events if self.events else None


def best(runs: list[Run]) -> Run:
    """The run with the least CPU per event: on a shared machine every other run paid for
    someone else's load too (caches, the broker's share of the cores)."""
    return min(runs, key=lambda r: r.cpu_per_event if r.cpu_per_event is not None else 1e9)


class ReplayStage:
    def __init__(self, bootstrap: str, region: str) -> None:
        self.bootstrap = bootstrap
        self.region = region

    async def job(self, prefix: str, *, verify: bool = False) -> Job:
        validated = topics.VALIDATED.full_name(prefix)
        ends = {tp.partition: n for tp, n in (await end_offsets(self.bootstrap, validated)).items()}
        config = assessment_config.load() if verify else None
        return Job(self.bootstrap, prefix, self.region, ends, tuple(sorted(ends)),
                   digests=verify, config=config)  # fmt: skip

    async def one(self, prefix: str, *, verify: bool = False) -> Run:
        """One process: this one, on its running event loop."""
        job = await self.job(prefix, verify=verify)
        cpu, began = cpu_seconds(), time.monotonic()
        with rare_collections():
            done = await replay_job(job)
            outcome = Outcome.of(done, config=job.config)
            summary = outcome.summary()
        return Run(1, summary.events, time.monotonic() - began, cpu_seconds() - cpu, summary.cases)

    async def many(self, prefix: str, processes: int) -> Run:
        """``processes`` forked processes. The fork happens from this thread while its loop
        waits: each child runs a loop of its own."""
        job = await self.job(prefix)
        cpu, began = cpu_seconds(), time.monotonic()
        summary = replay(job, processes).summary()
        wall = time.monotonic() - began
        return Run(processes, summary.events, wall, cpu_seconds() - cpu, summary.cases)

    async def run(self, prefix: str, raw: float | None) -> tuple[list[Row], dict[str, object]]:
        ones, twos = [], []
        for _ in range(REPEATS):  # alternating, so that a busy moment of the machine is shared
            ones.append(await self.one(prefix))
            twos.append(await self.many(prefix, 2))
        one, two = best(ones), best(twos)
        verified = await self.one(prefix, verify=True)
        facts: dict[str, object] = {
            "replay_events": one.events,
            "replay_cases": one.cases,
            "replay_cpu_s_per_event_1": one.cpu_per_event,
            "replay_cpu_s_per_event_2": two.cpu_per_event,
        }
        return rows(raw, one, two, verified), facts


def national_hours(cpu_per_event: float | None) -> float | None:
    if cpu_per_event is None:
        return None
    return NATIONAL_EVENTS * cpu_per_event / NATIONAL_PROCESSES / 3600


def rows(raw: float | None, one: Run, two: Run, verified: Run) -> list[Row]:
    eps, us = "events/s", "us"
    hours = national_hours(two.cpu_per_event)
    per_event = (two.cpu_per_event or 0) * 1e6
    return [
        Row("replay (audit.replay), 1 process", one.rate, eps, "raw",
            stats.ratio(one.rate, raw), Target(">=", 0.5),
            note=f"{one.events:,} validated events, {one.cases:,} cases; best of {REPEATS}"),
        Row("replay CPU per event, 1 process", _us(one.cpu_per_event), us),
        Row("replay, 2 processes (--workers 2)", two.rate, eps, "1 process",
            stats.ratio(two.rate, one.rate), note="2 CPUs shared with the broker"),
        Row("replay CPU per event, 2 processes", _us(two.cpu_per_event), us, "1 process",
            stats.ratio(two.cpu_per_event, one.cpu_per_event), Target("<=", 1.15),
            note=f"both processes and the merge; best of {REPEATS}"),
        Row("replay deriving what --verify compares, 1 process", verified.rate, eps,
            "1 process", stats.ratio(verified.rate, one.rate),
            note="canonical digests of every derived record and the assessment fold"),
        Row("national year on 64 processes (EXTRAPOLATED)", hours, "h",
            note=f"1.5e9 events x {per_event:.1f} us / 64 processes, a core each"),
    ]  # fmt: skip


def _us(seconds: float | None) -> float | None:
    return seconds * 1e6 if seconds is not None else None
