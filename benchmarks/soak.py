"""``liudong bench soak --minutes M``: a sustained load through a real worker, watched.

One single-node KRaft broker on loopback (started here, stopped at the end), one
``liudong worker`` process, and the simulator publishing signed counties' events at a
steady ``--rate`` for ``--minutes``. Every ``--sample-every`` seconds: the worker's
resident memory (``/proc/<pid>/status`` VmRSS) and its consumer group's lag (end offsets
minus committed offsets on the county-events and validated topics, summed).

"Bounded" compares the last third of the samples with the first third: memory is bounded
when the last third's peak is within ``RSS_GROWTH`` of the first third's, lag when the last
third's peak is within ``LAG_GROWTH`` of the first third's (or under what one sampling
interval publishes, whichever is larger). The worker keeps every case and every admitted
event id in its tables, so memory is expected to grow with the events processed; the
report gives that growth per thousand messages beside the verdict.

Results: ``bench/results/soak-<UTC timestamp>.md`` and ``.json``; the table is printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from benchmarks.measure import TOPIC_WAIT_S, wait_group_ready
from benchmarks.processes import Process
from benchmarks.results import results_dir
from benchmarks.scale import DEPLOYED_STORE
from infra.kafka.cluster import KafkaCluster
from infra.settings import Settings
from simulation.publisher import SimulationProgress, run_simulation
from simulation.scenario import SimulationConfig
from streams import topics
from streams.admin import ensure_topics
from streams.signing import public_key_b64
from streams.topic_reader import TopicReader, find_partitions

PARTITIONS = 6
PREFIX = "soak"
EVENTS_PER_PERSON = 4.0  # about what the simulator gives over 12 months (sized with margin)
RSS_GROWTH = 1.25  # last third's peak RSS at most 25% above the first third's
LAG_GROWTH = 1.5
MAX_MINUTES = 24 * 60.0


@dataclass(frozen=True, slots=True)
class Sample:
    at_s: float  # seconds since the load started
    published: int  # messages on county-events (end offsets; broadcast copies counted)
    processed: int  # county-events messages the worker group has committed
    lag: int | None  # messages behind, county-events + validated; None if unreadable
    rss_kib: int | None


@dataclass(frozen=True, slots=True)
class Verdict:
    first_max: float | None
    last_max: float | None
    limit: float | None
    bounded: bool | None  # None: too few samples to tell


def bounded(values: Sequence[float | None], growth: float, floor: float = 0.0) -> Verdict:
    """Last third's peak against the first third's times ``growth`` (or ``floor``)."""
    known = [v for v in values if v is not None]
    if len(known) < 3:
        return Verdict(None, None, None, None)
    third = max(1, len(known) // 3)
    first, last = max(known[:third]), max(known[-third:])
    limit = max(first * growth, floor)
    return Verdict(first, last, limit, last <= limit)


def growth_per_thousand(samples: Sequence[Sample]) -> float | None:
    """RSS growth in KiB per 1,000 messages processed, from the first third's end to the last
    sample (start-up excluded); None when too little was processed to tell."""
    known = [(s.processed, s.rss_kib) for s in samples if s.rss_kib is not None]
    if len(known) < 3:
        return None
    (start, start_kib), (end, end_kib) = known[len(known) // 3], known[-1]
    if end - start < 1000:
        return None
    return (end_kib - start_kib) / (end - start) * 1000


def scenario_for(rate: float, minutes: float) -> SimulationConfig:
    """A scenario that lasts at least ``minutes`` at ``rate`` (the soak stops it on time)."""
    persons = math.ceil(rate * minutes * 60 / EVENTS_PER_PERSON * 1.3) + 100
    return SimulationConfig(counties=20, persons=persons, months=12, tail_days=30)


def cmd_soak(settings: Settings, minutes: float, rate: float, sample_every_s: float) -> int:
    """Run the soak; print and write the report; 0 when it ran (bounded or not)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    work = settings.home / "bench" / f"soak-{stamp}"
    work.mkdir(parents=True, exist_ok=True)
    cluster = KafkaCluster(work / "kafka", settings=settings)
    print(f"soak: {minutes:g} min at {rate:g} events/s; starting Kafka under {work}", flush=True)
    try:
        cluster.start()
        soak = Soak(cluster.bootstrap_servers, work, minutes, rate, sample_every_s)
        report = asyncio.run(soak.run())
    finally:
        cluster.stop()
    markdown = render(report, stamp)
    out_dir = results_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"soak-{stamp}.md").write_text(markdown + "\n")
    (out_dir / f"soak-{stamp}.json").write_text(json.dumps(report.as_json(stamp), indent=2))
    print(markdown)
    print(f"\nwrote {out_dir / ('soak-' + stamp + '.md')} and .json")
    shutil.rmtree(work, ignore_errors=True)
    return 0


@dataclass
class Report:
    samples: list[Sample]
    facts: dict[str, Any]

    @property
    def rss(self) -> Verdict:
        return bounded([s.rss_kib for s in self.samples], RSS_GROWTH)

    @property
    def lag(self) -> Verdict:
        floor = float(self.facts["rate"]) * float(self.facts["sample_every_s"])
        return bounded([s.lag for s in self.samples], LAG_GROWTH, floor)

    def as_json(self, stamp: str) -> dict[str, Any]:
        return {
            "timestamp": stamp,
            "facts": self.facts,
            "rss": asdict(self.rss),
            "lag": asdict(self.lag),
            "rss_growth_kib_per_1000_messages": growth_per_thousand(self.samples),
            "samples": [asdict(s) for s in self.samples],
        }


class Soak:
    def __init__(
        self, bootstrap: str, work: Path, minutes: float, rate: float, sample_every_s: float
    ) -> None:
        self.bootstrap = bootstrap
        self.work = work
        self.minutes = minutes
        self.rate = rate
        self.sample_every_s = sample_every_s
        self.region_key = Ed25519PrivateKey.generate()
        self.config = scenario_for(rate, minutes)
        self.progress: SimulationProgress | None = None

    def say(self, text: str) -> None:
        print(f"soak: {text}", flush=True)

    def worker(self) -> Process:
        home = self.work / "worker"
        home.mkdir(parents=True, exist_ok=True)
        env = dict(
            os.environ,
            LIUDONG_HOME=str(home),
            LIUDONG_KAFKA_BOOTSTRAP=self.bootstrap,
            LIUDONG_TOPIC_PREFIX=PREFIX,
            LIUDONG_PARTITIONS=str(PARTITIONS),
            LIUDONG_REGION_CODE=self.config.region,
            LIUDONG_REGION_PUBLIC_KEY=public_key_b64(self.region_key),
            LIUDONG_LOG_FORMAT="json",
            LIUDONG_LOG_LEVEL="warning",
            # The deployment's store: with the in-memory default every case held is RSS, and
            # the soak would measure the state's size rather than the worker's memory.
            LIUDONG_FAUST_STORE=DEPLOYED_STORE,
        )
        argv = [sys.executable, "-m", "entrypoints.cli", "worker"]  # the deployment's command
        return Process(argv, env, home / "worker.log")

    async def run(self) -> Report:
        await ensure_topics(
            self.bootstrap, prefix=PREFIX, partitions=PARTITIONS, replication_factor=1
        )
        worker = self.worker()
        worker.start()
        try:
            group = topics.workers_group(PREFIX)
            if not await wait_group_ready(self.bootstrap, group, 1, group, 180.0):
                raise RuntimeError(f"the worker did not join its group (see {worker.log})")
            self.say(f"worker up; publishing {self.config.persons} persons' events")
            samples = await self.load(worker)
            alive = worker.alive()
        finally:
            worker.stop()
        last = self.progress
        facts: dict[str, Any] = {
            "minutes": self.minutes,
            "rate": self.rate,
            "sample_every_s": self.sample_every_s,
            "partitions": PARTITIONS,
            "persons_in_scenario": self.config.persons,
            "events_published": last.events if last else 0,
            "messages_published": last.messages if last else 0,
            "worker_alive_at_end": alive,
            "cpus": os.cpu_count(),
        }
        return Report(samples, facts)

    async def load(self, worker: Process) -> list[Sample]:
        simulation = asyncio.create_task(
            run_simulation(
                self.config,
                bootstrap_servers=self.bootstrap,
                topic_prefix=PREFIX,
                keys_dir=self.work / "keys",
                region_key=self.region_key,
                person_key_secret=b"soak-person-key-secret",
                rate=self.rate,
                progress=self._progress,
                progress_every=200,
            )
        )
        lag = LagProbe(self.bootstrap, topics.workers_group(PREFIX))
        await lag.start()
        samples: list[Sample] = []
        began = time.monotonic()
        deadline = began + self.minutes * 60
        try:
            while time.monotonic() < deadline and worker.alive():
                if simulation.done():
                    simulation.result()  # a failed publisher ends the soak with its error
                    break
                behind, processed, published = await lag.read()
                at = time.monotonic() - began
                samples.append(
                    Sample(
                        round(at, 1),
                        published,
                        processed,
                        behind,
                        worker.memory_kib("VmRSS"),
                    )
                )
                s = samples[-1]
                rss = f"{s.rss_kib / 1024:.0f} MiB" if s.rss_kib is not None else "?"
                self.say(f"{at:5.0f} s  published {s.published}  lag {s.lag}  RSS {rss}")
                next_at = began + len(samples) * self.sample_every_s
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        finally:
            simulation.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await simulation
            await lag.stop()
        return samples

    def _progress(self, progress: SimulationProgress) -> None:
        self.progress = progress


class LagProbe:
    """The worker group's committed offsets against the end offsets of its inputs."""

    def __init__(self, bootstrap: str, group: str) -> None:
        self.group = group
        self.admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        self.bootstrap = bootstrap
        self.probe = TopicReader(bootstrap)
        self.tps: list[TopicPartition] = []
        self.county = topics.COUNTY_EVENTS.full_name(PREFIX)

    async def start(self) -> None:
        await self.admin.start()
        await self.probe.open()
        names = [spec.full_name(PREFIX) for spec in (topics.COUNTY_EVENTS, topics.VALIDATED)]
        self.tps = await find_partitions(self.bootstrap, names, wait_s=TOPIC_WAIT_S)

    async def stop(self) -> None:
        await self.probe.close()
        await self.admin.close()

    async def read(self) -> tuple[int | None, int, int]:
        """(messages behind on both inputs, county-events messages committed, and on
        county-events in all)."""
        try:
            committed = await self.admin.list_consumer_group_offsets(
                self.group, partitions=self.tps
            )
            ends = await self.probe.end_offsets(self.tps)
        except KafkaError:
            return None, 0, 0
        done = {tp: max(0, int(committed[tp].offset)) if tp in committed else 0 for tp in self.tps}
        behind = sum(max(0, int(ends[tp]) - done[tp]) for tp in self.tps)
        processed = sum(n for tp, n in done.items() if tp.topic == self.county)
        published = sum(int(ends[tp]) for tp in self.tps if tp.topic == self.county)
        return behind, processed, published


def render(report: Report, stamp: str) -> str:
    f = report.facts
    head = [
        f"# liudong bench soak, {stamp}",
        "",
        f"{f['minutes']:g} minutes at {f['rate']:g} events/s (the simulator, signed), "
        f"{f['events_published']} events ({f['messages_published']} messages) through one "
        f"`liudong worker`; {f['partitions']} partitions; one Kafka broker on loopback; "
        f"{f['cpus']} CPUs; a sample every {f['sample_every_s']:g} s.",
        "",
        "| t (s) | messages published | messages processed | lag (messages) | worker RSS (MiB) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for s in report.samples:
        rss = f"{s.rss_kib / 1024:.1f}" if s.rss_kib is not None else "?"
        lag = "?" if s.lag is None else str(s.lag)
        head.append(f"| {s.at_s:.0f} | {s.published} | {s.processed} | {lag} | {rss} |")
    head += ["", _verdict_line("memory (RSS)", report.rss, 1 / 1024, "MiB")]
    head.append(_verdict_line("lag", report.lag, 1.0, "messages"))
    per_k = growth_per_thousand(report.samples)
    if per_k is not None:
        head.append(
            f"- RSS growth after warm-up: {per_k:.1f} KiB per 1,000 messages processed "
            "(the worker's tables on RocksDB, as deployed; the gate keeps no ids)."
        )
    if not f["worker_alive_at_end"]:
        head.append("- The worker was not alive at the end: see its log.")
    return "\n".join(head)


def _verdict_line(name: str, v: Verdict, scale: float, unit: str) -> str:
    if v.bounded is None or v.first_max is None or v.last_max is None or v.limit is None:
        return f"- {name}: too few samples to tell"
    word = "bounded" if v.bounded else "NOT bounded"
    return (
        f"- {name}: {word}: last third's peak {v.last_max * scale:,.1f} {unit} against "
        f"{v.limit * scale:,.1f} {unit} allowed (first third's peak "
        f"{v.first_max * scale:,.1f} {unit})"
    )
