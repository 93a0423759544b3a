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
   produce -> consume round trips at the same rate on the same broker;
9. memory at scale (:mod:`streams.bench.replicate`, :mod:`streams.bench.seed`): the table
   state step 5's worker wrote, copied under new person keys and event ids to 1,000,000
   persons (100,000 with ``--quick``), written to a fresh prefix's changelogs and, record
   for record, into the RocksDB databases its worker opens, with the changelogs' offsets:
   the worker starts as after a restart on a disk whose changelog offsets Faust noted
   (agents.emit does not note them yet), with nothing to recover. It is fed
   the event set (its agents load every partition: each case parsed, the due index
   rebuilt) and its peak RSS (VmHWM) is read. Then a second worker with an empty store
   starts on the same changelogs, and how fast Faust recovers them is sampled for ~30 s
   (a full recovery at that rate would take far longer than the stage).

Every worker runs on the deployment's table store (RocksDB, infra/deploy).
``--only memory``: steps 1, 2, 5 and 9 only.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.kafka.cluster import KafkaCluster
from infra.settings import Settings
from streams import topics
from streams.bench import corpus, measure, replicate, seed, stats
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
    state_persons: int  # persons of state in the memory stage
    state_timeout_s: float  # its feeding


QUICK = Scale(
    "quick",
    SimulationConfig(persons=1_000, months=6, tail_days=10),
    15.0,
    180.0,
    100_000,
    300.0,
)
FULL = Scale(
    "full",
    SimulationConfig(counties=30, persons=6_000, months=12, tail_days=30),
    60.0,
    600.0,
    TARGET_PERSONS,
    900.0,
)
# The deployment's table store (infra/deploy): every bench worker runs on it.
DEPLOYED_STORE = "rocksdb://"
# The memory stage's recovery sample: how long it watches a fresh worker recover, at most.
RECOVERY_SAMPLE_S = 30.0
RECOVERY_TIMEOUT_S = 90.0


def cmd_bench(settings: Settings, quick: bool, only: str | None = None) -> int:
    """Run the benchmark; print the table; 0 when it ran (targets missed or not), 1 if not.

    ``only="memory"``: the event set, the one-worker stage and the memory stage, nothing else;
    ``only="pipeline"``: raw consume, plain Faust, one worker and latency (the live path).
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
    def __init__(self, bootstrap: str, work: Path, scale: Scale, only: str | None = None) -> None:
        self.bootstrap = bootstrap
        self.work = work
        self.scale = scale
        self.memory_only = only == "memory"
        self.pipeline_only = only == "pipeline"
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
        if self.memory_only:
            _, hwm_kib = await self.pipeline("bench-one", events, workers=1)
            memory = await self.memory_stages(events, hwm_kib)
            self.facts["elapsed_s"] = time.monotonic() - began
            return Result(memory, self.facts)
        source = topics.COUNTY_EVENTS.full_name("bench-src")
        raw = await measure.raw_consume(self.bootstrap, source, self.scale.stage_timeout_s)
        self.say(f"raw consume + decode: {raw.events_per_s}")
        faust_rate = await self.faust_baseline(source, events.size)
        self.say(f"plain Faust: {faust_rate}")
        one, hwm_kib = await self.pipeline("bench-one", events, workers=1)
        self.say(f"pipeline, one worker: {one}")
        replay_rate = two = None
        if not self.pipeline_only:
            replay_rate, _cases = await self.replay("bench-one")
            self.say(f"replay: {replay_rate} ({_cases} cases)")
            two, _ = await self.pipeline("bench-two", events, workers=2)
            self.say(f"pipeline, two workers: {two}")
        lat, rtt, base_kib = await self.latency(events, one)
        if base_kib is not None:
            self.facts["worker_rss_after_warmup_gib"] = base_kib / GIB
        memory = [] if self.pipeline_only else await self.memory_stages(events, hwm_kib)
        self.facts["elapsed_s"] = time.monotonic() - began
        rows = self.rows(raw.events_per_s, faust_rate, one, two, replay_rate, lat, rtt)
        return Result(rows + memory, self.facts)

    # -- stages ------------------------------------------------------------------------------

    def env(self, home: Path, prefix: str, store: str = DEPLOYED_STORE) -> dict[str, str]:
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
        )

    def workers(
        self, prefix: str, count: int, store: str = DEPLOYED_STORE
    ) -> list[measure.Process]:
        out = []
        for i in range(count):
            home = self.work / f"{prefix}-w{i}"
            home.mkdir(parents=True, exist_ok=True)
            # The deployment's command (`liudong worker`), through this interpreter.
            argv = [sys.executable, "-m", "streams.cli", "worker"]
            out.append(measure.Process(argv, self.env(home, prefix, store), home / "worker.log"))
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
        self.facts["replay_obligations"] = summary.obligations
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
    ) -> list[Row]:
        ms = 1000.0
        rtt50 = stats.percentile(rtt, 50) * ms if rtt else None
        rtt99 = stats.percentile(rtt, 99) * ms if rtt else None
        d50 = stats.percentile(lat.to_derived, 50) * ms if lat.to_derived else None
        d99 = stats.percentile(lat.to_derived, 99) * ms if lat.to_derived else None
        v99 = stats.percentile(lat.to_validated, 99) * ms if lat.to_validated else None
        self.facts.update(
            latency_samples_derived=len(lat.to_derived),
            latency_samples_validated=len(lat.to_validated),
            rtt_samples=len(rtt),
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
        ]  # fmt: skip

    # -- memory at scale ---------------------------------------------------------------------

    async def memory_stages(self, events: corpus.Corpus, one_kib: int | None) -> list[Row]:
        """Step 9 and its rows; ``one_kib`` is step 5's worker's peak (its state: the corpus)."""
        source = {
            table: replicate.latest(
                replicate.Record(m.partition, m.key, m.value)
                for part in await corpus.read_topic(
                    self.bootstrap, corpus.changelog("bench-one", table)
                )
                for m in part
                if m.key is not None
            )
            for table in corpus.WORKER_TABLES
        }
        cases = len(source["cases"])
        persons = self.scale.state_persons
        self.facts.update(
            cases_in_state=cases,
            state_persons=persons,
            state_gate_ids_per_person=len(source["gate-state"]) / max(1, cases),
        )
        self.say(f"memory: {cases} cases of step 5 to copy to {persons:,} persons")
        # No memory-store row: that store has no local disk, so its worker would have to
        # recover the whole state from the changelogs, which Faust does at ~2,000 records/s
        # (the recovery row below): ~50 minutes for 1,000,000 persons.
        prefix = "bench-mem"
        deployed, records = await self.at_scale(prefix, source, events, persons)
        recovery = await self.recovery_rate(prefix, records)
        return self.memory_rows(one_kib, cases, deployed, persons, records, recovery)

    def memory_worker(self, name: str, prefix: str) -> tuple[measure.Process, dict[str, str]]:
        """A ``liudong worker`` on the deployment's store, its home ``work/<name>``, logging
        Faust's recovery steps (info), which the stage reads back."""
        home = self.work / name
        home.mkdir(parents=True, exist_ok=True)
        env = dict(self.env(home, prefix), LIUDONG_WORKER_LOG_LEVEL="info")
        argv = [sys.executable, "-m", "streams.cli", "worker"]
        return measure.Process(argv, env, home / "worker.log"), env

    def seeder(self, env: dict[str, str]) -> seed.Seeder:
        return seed.Seeder(
            env,
            bootstrap=self.bootstrap,
            region_code=self.scale.config.region,
            region_key=public_key_b64(self.region_key),
        )

    async def at_scale(
        self,
        prefix: str,
        source: dict[str, dict[bytes, replicate.Record]],
        events: corpus.Corpus,
        persons: int,
    ) -> tuple[int | None, int]:
        """Peak RSS in KiB of a worker holding ``persons`` persons' state in its RocksDB
        (written there before it starts, and to its changelogs) and fed the event set, or
        None if it did not catch up within the stage's time; and the records written."""
        began = time.monotonic()
        templates = {table: list(records.values()) for table, records in source.items()}
        cases = len(templates["cases"])
        await corpus.clone(
            events, bootstrap=self.bootstrap, prefix=prefix, partitions=PARTITIONS, events=()
        )
        proc, env = self.memory_worker(f"{prefix}-w0", prefix)
        seeder = self.seeder(env)
        self.say(f"{prefix}: seeding the worker's RocksDB under {seeder.tabledir}")

        def told(what: str) -> Callable[[int], None]:
            return lambda n: self.say(
                f"{prefix}: {n:,} {what} records written (changelog + RocksDB), "
                f"{time.monotonic() - began:.0f} s"
            )

        counts = {
            "cases": replicate.cases_at_scale(templates["cases"], persons),
            "gate-state": replicate.gate_at_scale(templates["gate-state"], persons, cases),
            "case-partitions": replicate.partitions_meta(templates["case-partitions"]),
        }
        written = {}
        try:
            for table, records in counts.items():
                topic = corpus.changelog(prefix, table)
                if seeder.changelogs[table] != topic:
                    raise RuntimeError(f"{table}: the app's changelog is {seeder.changelogs}")
                written[table] = await corpus.write(
                    self.bootstrap,
                    topic,
                    (
                        corpus.Message(r.partition, r.key, r.value, 0)
                        for r in seeder.tee(table, records)
                    ),
                    told(table),
                )
                seeder.finish(table, await corpus.end_offsets(self.bootstrap, topic))
        finally:
            seeder.close()
        seeded_s = time.monotonic() - began
        total = sum(written.values())
        self.say(f"{prefix}: {total:,} records in changelogs and RocksDB {written}, "
                 f"{seeded_s:.0f} s")  # fmt: skip
        watch = self.watch(prefix)
        started = time.monotonic()
        proc.start()
        ticker = asyncio.create_task(self.tell_memory(prefix, proc, started))
        try:
            await self.ready(prefix, 1)
            ready_s = time.monotonic() - started
            await corpus.write(
                self.bootstrap, topics.COUNTY_EVENTS.full_name(prefix), events.county_events
            )
            self.say(f"{prefix}: worker up in {ready_s:.0f} s, event set fed; its agents load "
                     "their partitions, then work")  # fmt: skip
            done = await watch.run(self.scale.state_timeout_s)
            hwm = proc.memory_kib("VmHWM")
            rss = proc.memory_kib("VmRSS")
        finally:
            ticker.cancel()
            proc.stop()
        worker_s = time.monotonic() - started
        log = proc.log.read_text(errors="replace")
        self.facts.update(
            state_done=done,
            state_records=written,
            state_seed_seconds=seeded_s,
            state_worker_ready_seconds=ready_s,
            state_worker_seconds=worker_s,
            state_rss_at_end_gib=rss / GIB if rss is not None else None,
            state_validated=watch.total(),
            # Faust logs this only when a partition's DB is behind its changelog.
            state_worker_recovered_from_changelogs=seed.RECOVERY_LOGGED in log,
            state_worker_recovery_complete=seed.RECOVERY_COMPLETE in log,
        )
        peak = f"{hwm / GIB:.3g} GiB" if hwm is not None else "unread"
        self.say(
            f"{prefix}: peak {peak}, caught up: {done}, {worker_s:.0f} s from start; "
            f"read its changelogs: {seed.RECOVERY_LOGGED in log}"
        )
        return (hwm if done else None), total

    async def recovery_rate(self, prefix: str, records: int) -> float | None:
        """Changelog records/s a fresh worker with an empty store recovers: one on another
        home, same prefix (the same changelogs), sampled for ``RECOVERY_SAMPLE_S``."""
        proc, env = self.memory_worker(f"{prefix}-recovery", prefix)
        tabledir = self.seeder(env).tabledir
        samples: list[tuple[float, int]] = []
        began = time.monotonic()
        proc.start()
        try:
            first: float | None = None
            while time.monotonic() - began < RECOVERY_TIMEOUT_S:
                await asyncio.sleep(5.0)
                count = await asyncio.to_thread(seed.recovered, tabledir)
                now = time.monotonic()
                samples.append((now, count))
                if count > 0 and first is None:
                    first = now
                self.say(f"{prefix}: fresh worker recovered {count:,} of {records:,} records")
                if count >= records or (first is not None and now - first >= RECOVERY_SAMPLE_S):
                    break
        finally:
            proc.stop()
        rate = stats.linear_rate(samples)
        self.facts.update(
            recovery_samples=[(round(t - began, 1), n) for t, n in samples],
            recovery_records_per_s=rate,
        )
        return rate

    async def tell_memory(self, prefix: str, proc: measure.Process, began: float) -> None:
        """Progress while a worker loads and works: its memory every 15 s."""
        while True:
            await asyncio.sleep(15.0)
            rss, hwm = proc.memory_kib("VmRSS"), proc.memory_kib("VmHWM")
            if rss is not None and hwm is not None:
                self.say(
                    f"{prefix}: {time.monotonic() - began:.0f} s, worker RSS {rss / GIB:.2f} "
                    f"GiB, peak {hwm / GIB:.2f} GiB"
                )

    def memory_rows(
        self,
        one_kib: int | None,
        cases: int,
        deployed_kib: int | None,
        persons: int,
        records: int,
        recovery: float | None,
    ) -> list[Row]:
        one = one_kib / GIB if one_kib is not None else None
        deployed = deployed_kib / GIB if deployed_kib is not None else None
        held = persons + cases  # the copies, and the cases the fed events make
        self.facts.update(worker_peak_gib=one, state_peak_gib=deployed)
        how = (
            "state pre-seeded in the worker's RocksDB with its changelog offsets (as Faust's "
            "own table writes leave a disk; liudong's agents do not note those offsets yet, "
            "so their restarts recover the whole changelog: see the recovery row), "
            "changelogs written too"
        )
        f = self.facts
        if "state_seed_seconds" in f:
            how += (
                f" ({records:,} records seeded in {f['state_seed_seconds']:.0f} s; worker start "
                f"to caught up {f['state_worker_seconds']:.0f} s)"
            )
        rows = [
            Row(f"worker peak RSS, {cases:,} persons of state", one, "GiB",
                note="measured, RocksDB store (step 5)"),
        ]  # fmt: skip
        if persons >= TARGET_PERSONS:
            rows.append(
                Row(f"worker peak RSS, {held:,} persons", deployed, "GiB", "1 worker",
                    stats.ratio(deployed, one), Target("<=", 2.0), " GiB",
                    target_on_value=True, note=f"MEASURED, RocksDB store; {how}")
            )  # fmt: skip
        else:
            at_1m = (
                stats.extrapolate_two_points(cases, one, held, deployed, TARGET_PERSONS)
                if one is not None and deployed is not None
                else None
            )
            rows += [
                Row(f"worker peak RSS, {held:,} persons of state", deployed, "GiB",
                    note=f"MEASURED at {persons:,} copied + {cases:,}, RocksDB store; {how}"),
                Row("worker peak RSS, 1,000,000 persons", at_1m, "GiB", "measured",
                    stats.ratio(at_1m, deployed), Target("<=", 2.0), " GiB",
                    target_on_value=True, note=f"EXTRAPOLATED linearly through the two "
                    f"measured points ({cases:,} and {held:,} persons), RocksDB store"),
            ]  # fmt: skip
        eta = stats.duration_text(records / recovery) if recovery else "n/a"
        rows.append(
            Row("Faust changelog recovery into an empty RocksDB store", recovery, "records/s",
                note=f"a fresh worker on the same changelogs, sampled for "
                f"~{RECOVERY_SAMPLE_S:.0f} s; all {records:,} records at this rate: {eta}")
        )  # fmt: skip
        return rows


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
        head.append("Quick scale: small counts, so rates include more start-up noise, and the "
                    "1,000,000-person memory figure is extrapolated from two measured points "
                    "(the full bench measures it).")  # fmt: skip
    return "\n".join(head)


def _miss_text(row: Row) -> str:
    got = row.value if row.target_on_value else row.compared
    shown = "no figure" if got is None else f"{got:.3g}{'' if row.target_on_value else 'x'}"
    target = row.target.text(row.target_unit) if row.target else ""
    return f"{row.figure}: {shown} against {target}, {stats.shortfall(row)}"
