"""The bench's state-at-scale stages: memory, restart after a SIGKILL, recovery from scratch.

1. **memory**: the table state the one-worker stage wrote, copied under new person keys and
   event ids to 1,000,000 persons (100,000 with ``--quick``; :mod:`benchmarks.replicate`),
   written to a fresh prefix's changelogs and, record for record, into the RocksDB databases
   its worker opens, with the changelogs' offsets (:mod:`benchmarks.seed`): the worker
   starts as after a restart on its own disk. It is fed the event set but its last
   ``HELD_BACK`` events, and its peak RSS (VmHWM) is read.
2. **restart**: that worker is SIGKILLed and started again on the same disk; the held-back
   events are published at once; the figure is the seconds from the restart to the first
   new record on the validated topic (the gate) and on the obligations topic (the cases
   agent, its partitions loaded).
3. **recovery from scratch**: a worker with an empty store starts on the same changelogs,
   and how fast Faust recovers them is sampled for ~30 s.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from benchmarks import corpus, measure, processes, replicate, seed, stats
from benchmarks.scale import Scale
from benchmarks.stats import Row, Target
from streams import topics
from streams.signing import public_key_b64


class Bench(Protocol):
    """What this stage uses of the bench that runs it (:class:`benchmarks.runner.Bench`)."""

    bootstrap: str
    work: Path
    scale: Scale
    partitions: int
    region_key: Ed25519PrivateKey
    facts: dict[str, Any]

    def say(self, text: str) -> None: ...

    def env(
        self, home: Path, prefix: str, store: str = ..., standbys: int = ...
    ) -> dict[str, str]: ...

    def watch(self, prefix: str) -> measure.GroupWatch: ...

    async def ready(self, prefix: str, workers: int) -> None: ...


GIB = 1024 * 1024  # KiB per GiB
TARGET_PERSONS = 1_000_000
HELD_BACK = 200  # events kept for after the restart
RESTART_TARGET_S = 15.0
RESTART_TIMEOUT_S = 300.0
RECOVERY_SAMPLE_S = 30.0
RECOVERY_TIMEOUT_S = 90.0
PREFIX = "bench-mem"


@dataclass
class AtScale:
    peak_kib: int | None  # None: it did not catch up in time
    records: int  # seeded into changelogs and RocksDB
    proc: processes.Process  # the worker, still running


class MemoryStage:
    def __init__(self, bench: Bench) -> None:
        self.bench = bench

    async def run(self, events: corpus.Corpus, one_kib: int | None) -> list[Row]:
        bench = self.bench
        cases_changelog = topics.table("cases").changelog("bench-one")
        source = replicate.latest(
            replicate.Record(m.partition, m.key, m.value)
            for part in await corpus.read_topic(bench.bootstrap, cases_changelog)
            for m in part
            if m.key is not None
        )
        cases = sum(1 for r in source.values() if replicate.is_case(r))
        persons = bench.scale.state_persons
        bench.facts.update(cases_in_state=cases, state_persons=persons)
        bench.say(f"memory: {cases} cases of the one-worker stage to copy to {persons:,} persons")
        held = events.county_events[-HELD_BACK:]
        fed = corpus.Corpus(events.registry, events.county_events[:-HELD_BACK])
        at_scale = await self.at_scale(list(source.values()), fed, persons)
        restart = await self.restart(at_scale.proc, held)
        recovery = await self.recovery_rate(at_scale.records)
        rows = self.memory_rows(one_kib, cases, at_scale, persons, recovery)
        return rows + self.restart_rows(restart, persons + cases)

    def worker(self, name: str) -> tuple[processes.Process, dict[str, str]]:
        """A ``liudong worker`` on the deployment's store, its home ``work/<name>``, logging
        Faust's recovery steps (info), which the stage reads back."""
        home = self.bench.work / name
        home.mkdir(parents=True, exist_ok=True)
        env = dict(self.bench.env(home, PREFIX), LIUDONG_WORKER_LOG_LEVEL="info")
        argv = [sys.executable, "-m", "entrypoints.cli", "worker"]
        return processes.Process(argv, env, home / "worker.log"), env

    def seeder(self, env: dict[str, str]) -> seed.Seeder:
        bench = self.bench
        return seed.Seeder(
            env,
            bootstrap=bench.bootstrap,
            region_code=bench.scale.config.region,
            region_key=public_key_b64(bench.region_key),
        )

    async def at_scale(
        self, templates: list[replicate.Record], events: corpus.Corpus, persons: int
    ) -> AtScale:
        bench = self.bench
        began = time.monotonic()
        await corpus.clone(
            events, bootstrap=bench.bootstrap, prefix=PREFIX, partitions=bench.partitions, events=()
        )
        proc, env = self.worker(f"{PREFIX}-w0")
        written = await self.seed(self.seeder(env), templates, persons, began)
        seeded_s = time.monotonic() - began
        total = sum(written.values())
        bench.say(f"{PREFIX}: {total:,} records in changelogs and RocksDB {written}, "
                  f"{seeded_s:.0f} s")  # fmt: skip
        return await self.feed(proc, events, written, seeded_s)

    async def seed(
        self, seeder: seed.Seeder, templates: list[replicate.Record], persons: int, began: float
    ) -> dict[str, int]:
        """The worker's state written before it starts: its changelogs and its RocksDB."""
        bench = self.bench
        bench.say(f"{PREFIX}: seeding the worker's RocksDB under {seeder.tabledir}")

        def told(what: str) -> Callable[[int], None]:
            return lambda n: bench.say(
                f"{PREFIX}: {n:,} {what} records written (changelog + RocksDB), "
                f"{time.monotonic() - began:.0f} s"
            )

        # The cases agent's table: the copies, then the partitions' books and clocks.
        counts = {
            "cases": itertools.chain(
                replicate.cases_at_scale(templates, persons),
                replicate.partition_state(templates),
            )
        }
        written = {}
        try:
            for table, records in counts.items():
                topic = topics.table(table).changelog(PREFIX)
                if seeder.changelogs[table] != topic:
                    raise RuntimeError(f"{table}: the app's changelog is {seeder.changelogs}")
                written[table] = await corpus.write(
                    bench.bootstrap,
                    topic,
                    (
                        corpus.Message(r.partition, r.key, r.value, 0)
                        for r in seeder.tee(table, records)
                    ),
                    told(table),
                )
                seeder.finish(table, await corpus.end_offsets(bench.bootstrap, topic))
        finally:
            seeder.close()
        return written

    async def feed(
        self,
        proc: processes.Process,
        events: corpus.Corpus,
        written: dict[str, int],
        seeded_s: float,
    ) -> AtScale:
        """Start the seeded worker, feed it the event set and watch it catch up."""
        bench = self.bench
        watch = bench.watch(PREFIX)
        started = time.monotonic()
        proc.start()
        ticker = asyncio.create_task(self.tell_memory(proc, started))
        try:
            await bench.ready(PREFIX, 1)
            ready_s = time.monotonic() - started
            await corpus.write(
                bench.bootstrap, topics.COUNTY_EVENTS.full_name(PREFIX), events.county_events
            )
            bench.say(f"{PREFIX}: worker up in {ready_s:.0f} s, event set fed; its agents load "
                      "their partitions, then work")  # fmt: skip
            done = await watch.run(bench.scale.state_timeout_s)
            hwm = proc.memory_kib("VmHWM")
            rss = proc.memory_kib("VmRSS")
        except BaseException:
            proc.stop()
            raise
        finally:
            ticker.cancel()
        worker_s = time.monotonic() - started
        log = proc.log.read_text(errors="replace")
        bench.facts.update(
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
        bench.say(
            f"{PREFIX}: peak {peak}, caught up: {done}, {worker_s:.0f} s from start; "
            f"read its changelogs: {seed.RECOVERY_LOGGED in log}"
        )
        return AtScale(hwm if done else None, sum(written.values()), proc)

    async def restart(
        self, proc: processes.Process, held: tuple[corpus.Message, ...]
    ) -> dict[str, float | None]:
        """SIGKILL ``proc``, start it again on its disk, publish ``held``: seconds from the
        restart to the first new validated record and the first new obligation."""
        bench = self.bench
        validated = topics.VALIDATED.full_name(PREFIX)
        obligations = topics.OBLIGATIONS.full_name(PREFIX)
        watch = measure.FirstOutputs(bench.bootstrap, [validated, obligations])
        await watch.start()
        proc.kill()
        bench.say(f"{PREFIX}: worker SIGKILLed; restarting it on its disk")
        log_before = proc.log.stat().st_size
        restarted = time.monotonic()
        proc.start()
        try:
            await corpus.write(bench.bootstrap, topics.COUNTY_EVENTS.full_name(PREFIX), held)
            first = await watch.wait(RESTART_TIMEOUT_S)
        finally:
            proc.stop()
        log = proc.log.read_bytes()[log_before:].decode(errors="replace")
        out: dict[str, float | None] = {
            topic: (first[topic] - restarted) if topic in first else None
            for topic in (validated, obligations)
        }
        bench.facts.update(
            restart_first_validated_s=out[validated],
            restart_first_obligation_s=out[obligations],
            restart_recovered_from_changelogs=seed.RECOVERY_LOGGED in log,
            restart_held_back_events=len(held),
        )
        bench.say(f"{PREFIX}: after the restart, first validated {out[validated]} s, "
                  f"first obligation {out[obligations]} s")  # fmt: skip
        return {"validated": out[validated], "obligation": out[obligations]}

    async def recovery_rate(self, records: int) -> float | None:
        """Changelog records/s a fresh worker with an empty store recovers: one on another
        home, same prefix (the same changelogs), sampled for ``RECOVERY_SAMPLE_S``."""
        bench = self.bench
        proc, env = self.worker(f"{PREFIX}-recovery")
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
                bench.say(f"{PREFIX}: fresh worker recovered {count:,} of {records:,} records")
                if count >= records or (first is not None and now - first >= RECOVERY_SAMPLE_S):
                    break
        finally:
            proc.stop()
        rate = stats.linear_rate(samples)
        bench.facts.update(
            recovery_samples=[(round(t - began, 1), n) for t, n in samples],
            recovery_records_per_s=rate,
        )
        return rate

    async def tell_memory(self, proc: processes.Process, began: float) -> None:
        """Progress while a worker loads and works: its memory every 15 s."""
        while True:
            await asyncio.sleep(15.0)
            rss, hwm = proc.memory_kib("VmRSS"), proc.memory_kib("VmHWM")
            if rss is not None and hwm is not None:
                self.bench.say(
                    f"{PREFIX}: {time.monotonic() - began:.0f} s, worker RSS {rss / GIB:.2f} "
                    f"GiB, peak {hwm / GIB:.2f} GiB"
                )

    def memory_rows(
        self,
        one_kib: int | None,
        cases: int,
        at_scale: AtScale,
        persons: int,
        recovery: float | None,
    ) -> list[Row]:
        f = self.bench.facts
        one = one_kib / GIB if one_kib is not None else None
        deployed = at_scale.peak_kib / GIB if at_scale.peak_kib is not None else None
        records = at_scale.records
        held = persons + cases  # the copies, and the cases the fed events make
        f.update(worker_peak_gib=one, state_peak_gib=deployed)
        how = (
            "state pre-seeded in the worker's RocksDB with its changelog offsets (as after a "
            "restart on its own disk), changelogs written too"
        )
        if "state_seed_seconds" in f:
            how += (
                f" ({records:,} records seeded in {f['state_seed_seconds']:.0f} s; worker start "
                f"to caught up {f['state_worker_seconds']:.0f} s)"
            )
        rows = [
            Row(f"worker peak RSS, {cases:,} persons of state", one, "GiB",
                note="measured, RocksDB store (the one-worker stage)"),
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

    def restart_rows(self, restart: dict[str, float | None], held: int) -> list[Row]:
        f = self.bench.facts
        label = f"{held:,} persons on disk" + ("" if held >= TARGET_PERSONS else " (quick scale)")
        how = (
            f"SIGKILL, restart on the same disk, {f.get('restart_held_back_events')} new events "
            f"published at once; read its changelogs on restart: "
            f"{f.get('restart_recovered_from_changelogs')}; a static member of its group "
            "(no wait for the killed member's session)"
        )
        target = Target("<=", RESTART_TARGET_S) if held >= TARGET_PERSONS else None
        return [
            Row(f"restart, {label}: first new validated record", restart["validated"], "s",
                note="the gate back"),
            Row(f"restart, {label}: first new obligation", restart["obligation"], "s",
                target=target, target_unit=" s", target_on_value=True, note=how),
        ]  # fmt: skip
