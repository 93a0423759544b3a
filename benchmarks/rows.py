"""The bench's table: each stage's figures as rows, with their baselines and targets."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from benchmarks import ceiling, stats
from benchmarks import profile as profiling
from benchmarks.latency import PipelineLatency
from benchmarks.scale import PEAK_EVENTS_PER_S
from benchmarks.stats import Row, Target


@dataclass
class PipelineRun:
    """One pipeline stage's figures."""

    rate: float | None = None  # events/s
    peak_kib: int | None = None
    cpu_s_per_event: float | None = None
    samples: list[tuple[float, int]] = field(default_factory=list)
    split: profiling.Split | None = None
    profile: str | None = None


def ceiling_rows(
    facts: dict[str, Any], raw: float | None, pure: ceiling.Ceiling, verify: ceiling.VerifyFigures
) -> list[Row]:
    f = facts
    split = (
        f"per event: gate {f['ceiling_gate_us']:.0f} us (decode {f['ceiling_decode_us']:.0f},"
        f" signature {f['ceiling_verify_us']:.0f}), cases {f['ceiling_cases_us']:.0f} us"
    )
    eps = "events/s"
    return [
        Row("raw aiokafka consume + decode", raw, eps, note="Kafka's ceiling"),
        Row("pure-work ceiling: decode, verify, decide, from memory", pure.events_per_s,
            eps, "raw", stats.ratio(pure.events_per_s, raw), note=split),
        Row("Ed25519 verify, libsodium (PyNaCl)", verify.libsodium_us, "us",
            "cryptography", stats.ratio(verify.libsodium_us, verify.cryptography_us),
            note=f"cryptography: {verify.cryptography_us:.0f} us per signature"),
        Row("decode + verify, signatures on a thread pool", verify.pooled_events_per_s,
            eps, "inline", stats.ratio(verify.pooled_events_per_s,
                                       verify.inline_events_per_s),
            note=f"{verify.threads} verify threads beside the loop (spare cores); inline: "
            f"{verify.inline_events_per_s:,.0f} {eps}"),
    ]  # fmt: skip


def pipeline_rows(
    facts: dict[str, Any],
    raw: float | None,
    pure: ceiling.Ceiling,
    faust_rate: float | None,
    one: PipelineRun,
) -> list[Row]:
    eps = "events/s"
    third = stats.thirds_ratio(one.samples)
    rows = [
        Row("plain Faust, one table write per event", faust_rate, eps, "raw",
            stats.ratio(faust_rate, raw), note="separate process"),
        Row("liudong pipeline, 1 worker (gate + cases)", one.rate, eps, "ceiling",
            stats.ratio(one.rate, pure.events_per_s), Target(">=", 0.6),
            note="profiled meanwhile (py-spy, not pausing the worker)"),
        Row("liudong pipeline, 1 worker, vs plain Faust", one.rate, eps, "faust",
            stats.ratio(one.rate, faust_rate), Target(">=", 2.0)),
        Row("liudong pipeline, 1 worker, vs the national peak", one.rate, eps,
            target=Target(">=", PEAK_EVENTS_PER_S), target_unit=f" {eps}",
            target_on_value=True, note="the Spring Festival peak, about 5,000 events/s"),
        Row("pipeline rate, last third of the set vs first", third, "x",
            target=Target(">=", 0.8), target_on_value=True,
            note="the rate holds as state grows"),
        Row("CPU per event, 1 worker", _ms(one.cpu_s_per_event), "ms",
            note="worker process user + system CPU over the stage"),
    ]  # fmt: skip
    if one.split is not None and one.split.samples:
        s = one.split
        shares = {
            "pure work": s.share(s.pure),
            "framework": s.share(s.framework),
            "waits": s.share(s.waits),
        }
        for name, share in shares.items():
            rows.append(
                Row(f"1 worker's event loop: {name}", _pct(share), "%",
                    note=f"{s.samples} py-spy samples" if name == "pure work" else "")
            )  # fmt: skip
        busy = s.other_threads_busy / s.other_threads * 100 if s.other_threads else None
        rows.append(
            Row("1 worker's other threads busy", busy, "%",
                note="Faust's consumer thread and the rest, as a share of their samples")
        )  # fmt: skip
    elif "profile_error" in facts:
        rows.append(Row("1 worker's time split", None, "", note=facts["profile_error"]))
    return rows


def scale_rows(one: PipelineRun, two: PipelineRun, bare: PipelineRun) -> list[Row]:
    eps = "events/s"
    standby = (
        two.cpu_s_per_event - bare.cpu_s_per_event
        if two.cpu_s_per_event is not None and bare.cpu_s_per_event is not None
        else None
    )
    return [
        Row("liudong pipeline, 2 workers", two.rate, eps, "one",
            stats.ratio(two.rate, one.rate),
            note=f"{os.cpu_count()} CPUs, broker on the same machine"),
        Row("CPU per event, 2 workers (with standby replicas)", _ms(two.cpu_s_per_event), "ms",
            "one", stats.ratio(two.cpu_s_per_event, one.cpu_s_per_event),
            Target("<=", 1.15), note="both workers' CPU over the stage"),
        Row("CPU per event, 2 workers, no standby replicas", _ms(bare.cpu_s_per_event), "ms",
            "one", stats.ratio(bare.cpu_s_per_event, one.cpu_s_per_event)),
        Row("standby replicas' CPU per event", _ms(standby), "ms", "one",
            stats.ratio(standby, one.cpu_s_per_event),
            note="2 workers with standbys minus without"),
    ]  # fmt: skip


def latency_rows(facts: dict[str, Any], lat: PipelineLatency, rtt: list[float]) -> list[Row]:
    ms = 1000.0
    rtt50 = stats.percentile(rtt, 50) * ms if rtt else None
    rtt99 = stats.percentile(rtt, 99) * ms if rtt else None
    d50 = stats.percentile(lat.to_derived, 50) * ms if lat.to_derived else None
    d99 = stats.percentile(lat.to_derived, 99) * ms if lat.to_derived else None
    v99 = stats.percentile(lat.to_validated, 99) * ms if lat.to_validated else None
    facts.update(
        latency_samples_derived=len(lat.to_derived),
        latency_samples_validated=len(lat.to_validated),
        rtt_samples=len(rtt),
    )
    rate = facts["latency_rate_events_per_s"]
    return [
        Row("raw produce -> consume round trip p50", rtt50, "ms",
            note=f"acks=all, at {rate:.0f}/s"),
        Row("raw produce -> consume round trip p99", rtt99, "ms"),
        Row("publish -> obligation p50 at 20% load", d50, "ms", "raw p50",
            stats.ratio(d50, rtt50)),
        Row("publish -> obligation p99 at 20% load", d99, "ms", "raw p99",
            stats.ratio(d99, rtt99), Target("<=", 10.0), note="the goal stays 5x"),
        Row("publish -> validated p99 at 20% load", v99, "ms", "raw p99",
            stats.ratio(v99, rtt99), note="the gate alone"),
    ]  # fmt: skip


def _ms(seconds: float | None) -> float | None:
    return seconds * 1000.0 if seconds is not None else None


def _pct(share: float | None) -> float | None:
    return share * 100.0 if share is not None else None
