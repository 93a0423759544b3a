"""``liudong bench [--quick]``: every stage, in one run, on one broker started here.

1. one single-node KRaft broker on loopback (``infra.kafka.cluster.KafkaCluster``);
2. the simulator publishes one signed event set (``simulation``) to ``bench-src``:
   at least 20,000 events with ``--quick``, 200,000 in the full run;
3. raw aiokafka consume + decode of it: Kafka's ceiling;
4. the pure-work ceiling (:mod:`benchmarks.ceiling`): the same events decoded, verified
   and decided in one loop from memory; and the signature micro-benchmark (``cryptography``
   against libsodium, inline against a thread pool beside the loop);
5. the plain Faust baseline (its own process) on the same topic;
6. one ``liudong worker`` process on a byte-for-byte clone (fresh group and state):
   sustained events/s through the gate and the cases agent, from its group's committed
   offsets; its CPU seconds per event and peak RSS; its time split from a py-spy profile
   taken meanwhile (:mod:`benchmarks.profile`; the top frames go beside the results);
7. replay (:mod:`benchmarks.replay`) of the validated topic step 6 produced: one
   process, two processes, and one deriving what ``--verify`` compares;
8. two ``liudong worker`` processes on another clone, with standby replicas (the default),
   then two more without: CPU seconds per event against one worker's, and what the
   standbys cost;
9. latency: a fresh worker, the events re-published at 20% of step 6's rate, each timed to
   its validated copy and to its first derived obligation; against raw acks=all
   produce -> consume round trips at the same rate on the same broker;
10. state at scale (:mod:`benchmarks.memory`): memory with 1,000,000 persons of state
    (100,000 with ``--quick``), the restart after a SIGKILL on that disk, and Faust's
    recovery into an empty store.

Every worker runs on the deployment's table store (RocksDB, infra/deploy).
``--only pipeline``: steps 1-6 and 9; ``--only memory``: steps 1, 2, 6 and 10;
``--only replay``: steps 1, 2, raw consume, 6 and 7.

Results: ``bench/results/<UTC timestamp>.md`` and ``.json`` (and ``-profile.txt``); the
table is printed.
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
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from benchmarks import ceiling, corpus, measure, processes, stats
from benchmarks import profile as profiling
from benchmarks import rows as table
from benchmarks.latency import PipelineLatency, pipeline_latency, raw_round_trip
from benchmarks.memory import MemoryStage
from benchmarks.replay import ReplayStage
from benchmarks.results import Result, render, results_dir
from benchmarks.scale import DEPLOYED_STORE, FULL, PARTITIONS, QUICK, Scale
from benchmarks.stats import Row
from infra.kafka.cluster import KafkaCluster
from infra.settings import Settings
from streams import signing, topics
from streams.signing import public_key_b64


def cmd_bench(settings: Settings, quick: bool, only: str | None = None) -> int:
    """Run the benchmark; print the table; 0 when it ran (targets missed or not), 1 if not.

    ``only="memory"``: the event set, the one-worker stage and the state stages;
    ``only="pipeline"``: raw consume, the ceilings, plain Faust, one worker and latency;
    ``only="replay"``: raw consume, one worker (for its validated topic) and the replays.
    """
    scale = QUICK if quick else FULL
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    work = settings.home / "bench" / stamp
    work.mkdir(parents=True, exist_ok=True)
    cluster = KafkaCluster(work / "kafka", settings=settings)
    print(f"bench ({scale.name}): starting Kafka under {work}", flush=True)
    try:
        cluster.start()
        bench = Bench(cluster.bootstrap_servers, work, scale, only)
        result = asyncio.run(bench.run())
    finally:
        cluster.stop()
    markdown = render(result, scale, stamp)
    out_dir = results_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{stamp}.md").write_text(markdown + "\n")
    (out_dir / f"{stamp}.json").write_text(json.dumps(result.as_json(scale, stamp), indent=2))
    if result.profile:
        (out_dir / f"{stamp}-profile.txt").write_text(result.profile + "\n")
    print(markdown)
    print(f"\nwrote {out_dir / (stamp + '.md')} and .json")
    shutil.rmtree(work, ignore_errors=True)
    return 0


class Bench:
    def __init__(self, bootstrap: str, work: Path, scale: Scale, only: str | None = None) -> None:
        self.bootstrap = bootstrap
        self.work = work
        self.scale = scale
        self.partitions = PARTITIONS
        self.memory_only = only == "memory"
        self.pipeline_only = only == "pipeline"
        self.replay_only = only == "replay"
        self.region_key = Ed25519PrivateKey.generate()
        self.facts: dict[str, Any] = {}

    def say(self, text: str) -> None:
        print(f"bench: {text}", flush=True)

    async def run(self) -> Result:
        began = time.monotonic()
        events = await self.publish()
        if self.memory_only:
            one = await self.pipeline("bench-one", events, workers=1)
            memory = await MemoryStage(self).run(events, one.peak_kib)
            self.facts["elapsed_s"] = time.monotonic() - began
            return Result(memory, self.facts)
        source = topics.COUNTY_EVENTS.full_name("bench-src")
        raw = await measure.raw_consume(self.bootstrap, source, self.scale.stage_timeout_s)
        self.say(f"raw consume + decode: {raw.events_per_s}")
        if self.replay_only:
            rows = await self.replays_alone(events, raw.events_per_s)
            self.facts["elapsed_s"] = time.monotonic() - began
            return Result(rows, self.facts)
        pure, verify = await self.ceilings(events)
        faust_rate = await self.faust_baseline(source, events.size)
        self.say(f"plain Faust: {faust_rate}")
        one = await self.pipeline("bench-one", events, workers=1, profile=True)
        self.say(f"pipeline, one worker: {one.rate}")
        rows = table.ceiling_rows(self.facts, raw.events_per_s, pure, verify)
        rows += table.pipeline_rows(self.facts, raw.events_per_s, pure, faust_rate, one)
        if not self.pipeline_only:
            rows += await self.replays_and_scaling(events, raw.events_per_s, one)
        lat, rtt, base_kib = await self.latency(events, one.rate)
        if base_kib is not None:
            self.facts["worker_rss_after_warmup_gib"] = base_kib / (1024 * 1024)
        rows += table.latency_rows(self.facts, lat, rtt)
        if not self.pipeline_only:
            rows += await MemoryStage(self).run(events, one.peak_kib)
        self.facts["elapsed_s"] = time.monotonic() - began
        return Result(rows, self.facts, one.profile)

    async def publish(self) -> corpus.Corpus:
        """The event set, simulated and published once to ``bench-src``, and read back."""
        cfg = self.scale.config
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
        return events

    async def replays_alone(self, events: corpus.Corpus, raw: float | None) -> list[Row]:
        """``--only replay``: one worker makes the validated topic, then the replays."""
        await self.pipeline("bench-one", events, workers=1)
        replayed, facts = await ReplayStage(self.bootstrap, self.scale.config.region).run(
            "bench-one", raw
        )
        self.facts.update(facts)
        ceiling = Row("raw aiokafka consume + decode", raw, "events/s", note="Kafka's ceiling")
        return [ceiling, *replayed]

    async def replays_and_scaling(
        self, events: corpus.Corpus, raw: float | None, one: table.PipelineRun
    ) -> list[Row]:
        """The replays of one worker's validated topic, then two workers with standby
        replicas and two without."""
        replayed, facts = await ReplayStage(self.bootstrap, self.scale.config.region).run(
            "bench-one", raw
        )
        self.facts.update(facts)
        self.say(f"replay: {replayed[0].value} events/s in one process")
        two = await self.pipeline("bench-two", events, workers=2)
        self.say(f"pipeline, two workers: {two.rate}")
        bare = await self.pipeline("bench-two-bare", events, workers=2, standbys=0)
        self.say(f"pipeline, two workers without standbys: {bare.rate}")
        return [*replayed, *table.scale_rows(one, two, bare)]

    # -- stages ------------------------------------------------------------------------------

    def env(
        self, home: Path, prefix: str, store: str = DEPLOYED_STORE, standbys: int = 1
    ) -> dict[str, str]:
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
            LIUDONG_FAUST_STORE=store,
            LIUDONG_STANDBY_REPLICAS=str(standbys),
        )

    def workers(self, prefix: str, count: int, standbys: int = 1) -> list[processes.Process]:
        out = []
        for i in range(count):
            home = self.work / f"{prefix}-w{i}"
            home.mkdir(parents=True, exist_ok=True)
            # The deployment's command (`liudong worker`), through this interpreter.
            argv = [sys.executable, "-m", "entrypoints.cli", "worker"]
            env = self.env(home, prefix, standbys=standbys)
            out.append(processes.Process(argv, env, home / "worker.log"))
        return out

    async def ceilings(
        self, events: corpus.Corpus
    ) -> tuple[ceiling.Ceiling, ceiling.VerifyFigures]:
        region_key = signing.load_public_key(public_key_b64(self.region_key))
        registry = ceiling.registry_of(events, self.scale.config.region, region_key)
        pure = await asyncio.to_thread(
            ceiling.pure_work, events, registry, region=self.scale.config.region
        )
        self.say(f"pure-work ceiling: {pure.events_per_s} events/s")
        verify = await ceiling.verify_figures(events, registry)
        self.say(
            f"verify: cryptography {verify.cryptography_us:.0f} us, libsodium "
            f"{verify.libsodium_us:.0f} us; decode + verify inline "
            f"{verify.inline_events_per_s:.0f}/s, pooled {verify.pooled_events_per_s:.0f}/s"
        )
        self.facts.update(
            ceiling_admitted=pure.admitted,
            ceiling_decode_us=pure.per_event_us(pure.decode_s),
            ceiling_verify_us=pure.per_event_us(pure.verify_s),
            ceiling_gate_us=pure.per_event_us(pure.gate_s),
            ceiling_cases_us=pure.per_event_us(pure.cases_s),
            verify_threads=verify.threads,
        )
        return pure, verify

    async def faust_baseline(self, source: str, size: int) -> float | None:
        home = self.work / "faust"
        home.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable, "-m", "benchmarks.faust_baseline",
            "--bootstrap", self.bootstrap, "--topic", source, "--app-id", "bench-faust",
            "--partitions", str(PARTITIONS), "--datadir", str(home / "data"),
        ]  # fmt: skip
        proc = processes.Process(argv, dict(os.environ), home / "faust.log")
        watch = measure.GroupWatch(self.bootstrap, "bench-faust", source)
        proc.start()
        try:
            done = await watch.run(self.scale.stage_timeout_s)
        finally:
            proc.stop()
        self.facts["faust_done"] = done
        return stats.linear_rate(watch.samples) if done else None

    async def pipeline(
        self,
        prefix: str,
        events: corpus.Corpus,
        workers: int,
        *,
        standbys: int = 1,
        profile: bool = False,
    ) -> table.PipelineRun:
        procs = self.workers(prefix, workers, standbys)
        watch = self.watch(prefix)
        await corpus.clone(
            events, bootstrap=self.bootstrap, prefix=prefix, partitions=PARTITIONS, events=()
        )
        for proc in procs:
            proc.start()
        run = table.PipelineRun()
        spy: profiling.Profiler | None = None
        cpu_before: list[float | None] = []
        cpu_after: list[float | None] = []
        try:
            await self.ready(prefix, workers)
            cpu_before = [p.cpu_seconds() for p in procs]
            if profile and procs[0].proc is not None:
                spy = profiling.Profiler(
                    procs[0].proc.pid, self.work / f"{prefix}.spy", self.work / f"{prefix}.spy.log"
                )
                spy.start()
            await corpus.write(
                self.bootstrap, topics.COUNTY_EVENTS.full_name(prefix), events.county_events
            )
            done = await watch.run(self.scale.stage_timeout_s)
            cpu_after = [p.cpu_seconds() for p in procs]
            if spy is not None:
                self.profiled(run, spy)
            run.peak_kib = procs[0].memory_kib("VmHWM")
        finally:
            for proc in procs:
                proc.stop()
        used = [
            a - b
            for a, b in zip(cpu_after, cpu_before, strict=True)
            if a is not None and b is not None
        ]
        if done and len(used) == workers:
            run.cpu_s_per_event = sum(used) / max(1, watch.total())
        run.samples = list(watch.samples)
        run.rate = stats.linear_rate(watch.samples) if done else None
        self.facts[f"{prefix}_validated"] = watch.total()
        self.facts[f"{prefix}_done"] = done
        self.facts[f"{prefix}_cpu_s_per_event"] = run.cpu_s_per_event
        return run

    def profiled(self, run: table.PipelineRun, spy: profiling.Profiler) -> None:
        stacks = spy.stop()
        if stacks is None:
            self.facts["profile_error"] = spy.error
            self.say(f"profile: {spy.error}")
            return
        run.split = profiling.split(stacks)
        run.profile = profiling.summary(stacks)
        self.facts.update(
            profile_samples=run.split.samples,
            profile_pure=run.split.pure,
            profile_framework=run.split.framework,
            profile_waits=run.split.waits,
        )

    def watch(self, prefix: str) -> measure.GroupWatch:
        return measure.GroupWatch(
            self.bootstrap,
            topics.workers_group(prefix),
            topics.VALIDATED.full_name(prefix),
            upstream=topics.COUNTY_EVENTS.full_name(prefix),
        )

    async def ready(self, prefix: str, workers: int) -> None:
        group = topics.workers_group(prefix)
        ok = await measure.wait_group_ready(
            self.bootstrap, group, workers, group, self.scale.stage_timeout_s
        )
        if not ok:
            raise RuntimeError(f"{workers} worker(s) of {prefix} did not become ready")
        await asyncio.sleep(2.0)  # let every member finish its assignment's start-up

    async def latency(
        self, events: corpus.Corpus, one: float | None
    ) -> tuple[PipelineLatency, list[float], int | None]:
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
            lat = await pipeline_latency(
                self.bootstrap,
                source=topics.COUNTY_EVENTS.full_name(prefix),
                validated=topics.VALIDATED.full_name(prefix),
                derived=topics.OBLIGATIONS.full_name(prefix),
                messages=tail[:count],
                rate=rate,
            )
        finally:
            proc.stop()
        rtt = await raw_round_trip(self.bootstrap, "bench-rtt", count, rate)
        return lat, rtt, base_kib
