"""``liudong bench [--quick]``: every stage, in one run, on one broker started here.

1. one single-node KRaft broker on loopback (``infra.kafka.cluster.KafkaCluster``);
2. the simulator publishes one signed event set (``streams.simulation``) to ``bench-src``;
3. raw aiokafka consume + decode of it: the ceiling;
4. the plain Faust baseline (its own process) on the same topic;
5. one ``liudong worker`` process on a byte-for-byte clone (fresh group and state):
   sustained events/s through the gate and the cases agent, from its group's committed
   offsets; its peak RSS;
6. replay (``streams.replay.replay_log``) of the validated topic step 5 produced;
7. two ``liudong worker`` processes on another clone;
8. latency: a fresh worker, the events re-published at 20% of step 5's rate, each timed to
   its validated copy and to its first derived obligation; against raw acks=all
   produce -> consume round trips at the same rate on the same broker.

Results: ``bench/results/<UTC timestamp>.md`` and ``.json``; the table is printed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.kafka.cluster import KafkaCluster
from infra.settings import Settings
from streams import topics
from streams.bench import corpus, measure, stats
from streams.bench.stats import Row, Target
from streams.replay import replay_log
from streams.signing import public_key_b64
from streams.simulation.scenario import SimulationConfig

GIB = 1024 * 1024  # KiB per GiB
TARGET_PERSONS = 1_000_000
PARTITIONS = 6


@dataclass(frozen=True, slots=True)
class Scale:
    name: str
    config: SimulationConfig
    latency_s: float  # how long the paced latency run publishes
    stage_timeout_s: float


QUICK = Scale("quick", SimulationConfig(persons=1_000, months=6, tail_days=10), 15.0, 180.0)
FULL = Scale(
    "full", SimulationConfig(counties=30, persons=6_000, months=12, tail_days=30), 60.0, 600.0
)


def cmd_bench(settings: Settings, quick: bool) -> int:
    """Run the benchmark; print the table; 0 when it ran (targets missed or not), 1 if not."""
    scale = QUICK if quick else FULL
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    work = settings.home / "bench" / stamp
    work.mkdir(parents=True, exist_ok=True)
    cluster = KafkaCluster(work / "kafka", settings=settings)
    print(f"bench ({scale.name}): starting Kafka under {work}", flush=True)
    try:
        cluster.start()
        bench = Bench(cluster.bootstrap_servers, work, scale)
        result = asyncio.run(bench.run())
    finally:
        cluster.stop()
    markdown = render(result, scale, stamp)
    out_dir = results_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{stamp}.md").write_text(markdown + "\n")
    (out_dir / f"{stamp}.json").write_text(json.dumps(result.as_json(scale, stamp), indent=2))
    print(markdown)
    print(f"\nwrote {out_dir / (stamp + '.md')} and .json")
    shutil.rmtree(work, ignore_errors=True)
    return 0


def results_dir() -> Path:
    """``bench/results`` of the source tree when run from one, else of the working directory."""
    root = Path(__file__).resolve().parents[2]
    return (root if (root / "pyproject.toml").exists() else Path.cwd()) / "bench" / "results"


@dataclass
class Result:
    rows: list[Row]
    facts: dict[str, Any]

    def as_json(self, scale: Scale, stamp: str) -> dict[str, Any]:
        return {
            "timestamp": stamp,
            "scale": scale.name,
            "facts": self.facts,
            "rows": [row.as_json() for row in self.rows],
        }


class Bench:
    def __init__(self, bootstrap: str, work: Path, scale: Scale) -> None:
        self.bootstrap = bootstrap
        self.work = work
        self.scale = scale
        self.region_key = Ed25519PrivateKey.generate()
        self.facts: dict[str, Any] = {}

    def say(self, text: str) -> None:
        print(f"bench: {text}", flush=True)

    async def run(self) -> Result:
        cfg = self.scale.config
        began = time.monotonic()
        report = await corpus.publish_corpus(
            cfg,
            bootstrap=self.bootstrap,
            prefix="bench-src",
            partitions=PARTITIONS,
            keys_dir=self.work / "keys",
            region_key=self.region_key,
            secret=b"bench-person-key-secret",
        )
        events = await corpus.load_corpus(self.bootstrap, "bench-src")
        self.facts.update(
            persons=cfg.persons,
            counties=cfg.counties,
            months=cfg.months,
            events=report.events,
            messages=events.size,
            partitions=PARTITIONS,
            simulator_publish_events_per_s=stats.rate(report.events, report.elapsed_s),
            cpus=os.cpu_count(),
            python=platform.python_version(),
        )
        self.say(f"published {report.events} events ({events.size} messages)")
        source = topics.COUNTY_EVENTS.full_name("bench-src")
        raw = await measure.raw_consume(self.bootstrap, source, self.scale.stage_timeout_s)
        self.say(f"raw consume + decode: {raw.events_per_s}")
        faust_rate = await self.faust_baseline(source, events.size)
        self.say(f"plain Faust: {faust_rate}")
        one, hwm_kib = await self.pipeline("bench-one", events, workers=1)
        self.say(f"pipeline, one worker: {one}")
        replay_rate, cases = await self.replay("bench-one")
        self.say(f"replay: {replay_rate} ({cases} cases)")
        two, _ = await self.pipeline("bench-two", events, workers=2)
        self.say(f"pipeline, two workers: {two}")
        lat, rtt, base_kib = await self.latency(events, one)
        self.facts["elapsed_s"] = time.monotonic() - began
        return Result(
            self.rows(
                raw.events_per_s,
                faust_rate,
                one,
                two,
                replay_rate,
                lat,
                rtt,
                hwm_kib,
                base_kib,
                cases,
            ),
            self.facts,
        )

    # -- stages ------------------------------------------------------------------------------

    def env(self, home: Path, prefix: str) -> dict[str, str]:
        return dict(
            os.environ,
            LIUDONG_HOME=str(home),
            LIUDONG_KAFKA_BOOTSTRAP=self.bootstrap,
            LIUDONG_TOPIC_PREFIX=prefix,
            LIUDONG_PARTITIONS=str(PARTITIONS),
            LIUDONG_REGION_CODE=self.scale.config.region,
            LIUDONG_REGION_PUBLIC_KEY=public_key_b64(self.region_key),
            LIUDONG_LOG_FORMAT="json",
            LIUDONG_LOG_LEVEL="warning",
        )

    def workers(self, prefix: str, count: int) -> list[measure.Process]:
        out = []
        for i in range(count):
            home = self.work / f"{prefix}-w{i}"
            home.mkdir(parents=True, exist_ok=True)
            # The deployment's command (`liudong worker`), through this interpreter.
            argv = [sys.executable, "-m", "streams.cli", "worker"]
            out.append(measure.Process(argv, self.env(home, prefix), home / "worker.log"))
        return out

    async def faust_baseline(self, source: str, size: int) -> float | None:
        home = self.work / "faust"
        home.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable, "-m", "streams.bench.faust_baseline",
            "--bootstrap", self.bootstrap, "--topic", source, "--app-id", "bench-faust",
            "--partitions", str(PARTITIONS), "--datadir", str(home / "data"),
        ]  # fmt: skip
        proc = measure.Process(argv, dict(os.environ), home / "faust.log")
        watch = measure.GroupWatch(self.bootstrap, "bench-faust", source)
        proc.start()
        try:
            done = await watch.run(self.scale.stage_timeout_s)
        finally:
            proc.stop()
        self.facts["faust_done"] = done
        return stats.linear_rate(watch.samples) if done else None

    async def pipeline(
        self, prefix: str, events: corpus.Corpus, workers: int
    ) -> tuple[float | None, int | None]:
        procs = self.workers(prefix, workers)
        watch = self.watch(prefix)
        await corpus.clone(
            events, bootstrap=self.bootstrap, prefix=prefix, partitions=PARTITIONS, events=()
        )
        for proc in procs:
            proc.start()
        try:
            await self.ready(prefix, workers)
            await corpus.write(
                self.bootstrap, topics.COUNTY_EVENTS.full_name(prefix), events.county_events
            )
            done = await watch.run(self.scale.stage_timeout_s)
            hwm = procs[0].memory_kib("VmHWM")
        finally:
            for proc in procs:
                proc.stop()
        self.facts[f"{prefix}_validated"] = watch.total()
        self.facts[f"{prefix}_done"] = done
        return (stats.linear_rate(watch.samples) if done else None), hwm

    def watch(self, prefix: str) -> measure.GroupWatch:
        return measure.GroupWatch(
            self.bootstrap,
            f"{prefix}-workers",
            topics.VALIDATED.full_name(prefix),
            upstream=topics.COUNTY_EVENTS.full_name(prefix),
        )

    async def ready(self, prefix: str, workers: int) -> None:
        group = f"{prefix}-workers"
        ok = await measure.wait_group_ready(
            self.bootstrap, group, workers, group, self.scale.stage_timeout_s
        )
        if not ok:
            raise RuntimeError(f"{workers} worker(s) of {prefix} did not become ready")
        await asyncio.sleep(2.0)  # let every member finish its assignment's start-up

    async def replay(self, prefix: str) -> tuple[float | None, int]:
        began = time.monotonic()
        replay = await replay_log(self.bootstrap, prefix, region=self.scale.config.region)
        seconds = time.monotonic() - began
        summary = replay.summary()
        self.facts["replay_events"] = summary.events
        self.facts["replay_obligations"] = sum(summary.obligations.values())
        return stats.rate(summary.events, seconds), summary.cases

    async def latency(
        self, events: corpus.Corpus, one: float | None
    ) -> tuple[measure.PipelineLatency, list[float], int | None]:
        prefix = "bench-lat"
        warm = max(1, events.size // 100)
        head, tail = events.county_events[:warm], events.county_events[warm:]
        await corpus.clone(
            events, bootstrap=self.bootstrap, prefix=prefix, partitions=PARTITIONS, events=()
        )
        rate = 0.2 * (one or 100.0)
        count = min(len(tail), max(1, int(rate * self.scale.latency_s)))
        self.facts.update(latency_rate_events_per_s=rate, latency_events=count)
        (proc,) = self.workers(prefix, 1)
        watch = self.watch(prefix)
        proc.start()
        try:
            await self.ready(prefix, 1)
            await corpus.write(self.bootstrap, topics.COUNTY_EVENTS.full_name(prefix), head)
            await watch.run(self.scale.stage_timeout_s)  # the worker is up and caught up
            base_kib = proc.memory_kib("VmRSS")
            lat = await measure.pipeline_latency(
                self.bootstrap,
                source=topics.COUNTY_EVENTS.full_name(prefix),
                validated=topics.VALIDATED.full_name(prefix),
                derived=topics.OBLIGATIONS.full_name(prefix),
                messages=tail[:count],
                rate=rate,
            )
        finally:
            proc.stop()
        rtt = await measure.raw_round_trip(self.bootstrap, "bench-rtt", count, rate)
        return lat, rtt, base_kib

    # -- the table ---------------------------------------------------------------------------

    def rows(
        self,
        raw: float | None,
        faust_rate: float | None,
        one: float | None,
        two: float | None,
        replay_rate: float | None,
        lat: measure.PipelineLatency,
        rtt: Sequence[float],
        hwm_kib: int | None,
        base_kib: int | None,
        cases: int,
    ) -> list[Row]:
        ms = 1000.0
        rtt50 = stats.percentile(rtt, 50) * ms if rtt else None
        rtt99 = stats.percentile(rtt, 99) * ms if rtt else None
        d50 = stats.percentile(lat.to_derived, 50) * ms if lat.to_derived else None
        d99 = stats.percentile(lat.to_derived, 99) * ms if lat.to_derived else None
        v99 = stats.percentile(lat.to_validated, 99) * ms if lat.to_validated else None
        peak = hwm_kib / GIB if hwm_kib is not None else None
        base = base_kib / GIB if base_kib is not None else None
        at_1m = (
            stats.extrapolate_linear(base, peak, cases, TARGET_PERSONS)
            if peak is not None and base is not None
            else None
        )
        self.facts.update(
            latency_samples_derived=len(lat.to_derived),
            latency_samples_validated=len(lat.to_validated),
            rtt_samples=len(rtt),
            worker_rss_after_warmup_gib=base,
            worker_peak_gib=peak,
            cases_in_state=cases,
        )
        eps = "events/s"
        return [
            Row("raw aiokafka consume + decode", raw, eps, note="the ceiling"),
            Row("plain Faust, one table write per event", faust_rate, eps, "raw",
                stats.ratio(faust_rate, raw), note="separate process"),
            Row("liudong pipeline, 1 worker (gate + cases)", one, eps, "raw",
                stats.ratio(one, raw), Target(">=", 0.25)),
            Row("liudong pipeline, 1 worker, vs plain Faust", one, eps, "faust",
                stats.ratio(one, faust_rate), Target(">=", 5.0)),
            Row("raw produce -> consume round trip p50", rtt50, "ms",
                note=f"acks=all, at {self.facts['latency_rate_events_per_s']:.0f}/s"),
            Row("raw produce -> consume round trip p99", rtt99, "ms"),
            Row("publish -> obligation p50 at 20% load", d50, "ms", "raw p50",
                stats.ratio(d50, rtt50)),
            Row("publish -> obligation p99 at 20% load", d99, "ms", "raw p99",
                stats.ratio(d99, rtt99), Target("<=", 5.0)),
            Row("publish -> validated p99 at 20% load", v99, "ms", "raw p99",
                stats.ratio(v99, rtt99), note="the gate alone"),
            Row("replay (streams.replay) of validated", replay_rate, eps, "raw",
                stats.ratio(replay_rate, raw), Target(">=", 0.7)),
            Row("liudong pipeline, 2 workers", two, eps, "one", stats.ratio(two, one),
                Target(">=", 1.7), note=f"{os.cpu_count()} CPUs, broker on the same machine"),
            Row(f"worker peak RSS, {cases:,} persons of state", peak, "GiB", note="measured"),
            Row("worker peak RSS, 1,000,000 persons", at_1m, "GiB", "measured",
                stats.ratio(at_1m, peak), Target("<=", 2.0), " GiB", target_on_value=True,
                note=f"EXTRAPOLATED linearly from {cases:,} persons"),
        ]  # fmt: skip


def render(result: Result, scale: Scale, stamp: str) -> str:
    f = result.facts
    head = [
        f"# liudong bench ({scale.name}), {stamp}",
        "",
        f"{f.get('events')} events ({f.get('messages')} messages with broadcast copies), "
        f"{f.get('persons')} persons, {f.get('counties')} origin counties, "
        f"{f.get('months')} months; {f.get('partitions')} partitions; one Kafka broker on "
        f"loopback; {f.get('cpus')} CPUs; Python {f.get('python')}; "
        f"{f.get('elapsed_s', 0):.0f} s in all.",
        "",
        stats.render_table(result.rows),
        "",
    ]
    missed = stats.misses(result.rows)
    if missed:
        head.append("Missed: " + "; ".join(_miss_text(row) for row in missed) + ".")
    else:
        head.append("Every target with a figure was met.")
    if scale.name == "quick":
        head.append("")
        head.append("Quick scale: small counts, so rates include more start-up noise and the "
                    "memory figure is extrapolated from few persons.")  # fmt: skip
    return "\n".join(head)


def _miss_text(row: Row) -> str:
    got = row.value if row.target_on_value else row.compared
    shown = "no figure" if got is None else f"{got:.3g}{'' if row.target_on_value else 'x'}"
    target = row.target.text(row.target_unit) if row.target else ""
    return f"{row.figure}: {shown} against {target}, {stats.shortfall(row)}"
