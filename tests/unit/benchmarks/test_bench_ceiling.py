"""The pure-work ceiling decides what the gate and the cases agent decide, and the
signature micro-benchmark's pooled path gives the inline verdicts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agents.registry import Registry
from benchmarks import ceiling
from benchmarks.corpus import Corpus, Message
from contracts import unions
from streams import signing
from streams.codec import Codec
from tests.unit import factories as f


def corpus() -> tuple[Corpus, Registry, int]:
    region_key, node_a, node_b = (Ed25519PrivateKey.generate() for _ in range(3))
    registry_events = [
        f.county_registered(region_key, f.COUNTY_A, node_a),
        f.county_registered(region_key, f.COUNTY_B, node_b),
    ]
    registry = [Message(0, None, f.to_bytes(e), 0) for e in registry_events]
    events: list[Message] = [Message(0, None, f.to_bytes(f.tick(region_key, f.T0)), 0)]
    for i in range(12):
        person = f"{i:02x}" * 32
        out = f.outflow(node_a, person_key=person, occurred_at=f.T0 + dt.timedelta(hours=i))
        events.append(Message(i % 2, person.encode(), f.to_bytes(out), 0))
    events.append(events[3])  # a re-delivery: admitted by the gate, dropped by the cases
    forged = f.tampered(events[4].value, reason="family")  # bad signature
    events.append(Message(events[4].partition, events[4].key, forged, 0))
    bad = Message(1, None, b"not json", 0)
    events.append(bad)
    reg = ceiling.registry_of(Corpus(tuple(registry), ()), f.REGION, region_key.public_key())
    # The outflows, the tick, and the re-delivery (the gate keeps no ids).
    return Corpus(tuple(registry), tuple(events)), reg, 12 + 1 + 1


def test_the_ceiling_admits_what_the_gate_admits() -> None:
    events, registry, valid = corpus()
    result = ceiling.pure_work(events, registry, region=f.REGION)
    assert result.events == len(events.county_events)
    assert result.admitted == valid  # no forgery, nothing unreadable
    assert result.seconds == result.gate_s + result.cases_s > 0
    assert result.decode_s > 0
    assert result.verify_s > 0
    assert result.events_per_s is not None


def test_the_registry_is_the_one_the_gate_builds() -> None:
    _, registry, _ = corpus()
    assert {f.node_id(f.COUNTY_A), f.node_id(f.COUNTY_B)} <= set(registry.publishers)
    assert registry.publisher("610921/node") is None


async def test_pooled_verification_gives_the_inline_verdicts() -> None:
    events, registry, _ = corpus()
    codec: Codec[Any] = Codec(unions.CountyEvent)
    values = [m.value for m in events.county_events]
    verifier = signing.Verifier(2, chunk=3)
    try:
        pooled = await ceiling.pooled(values, codec, registry, verifier)
    finally:
        verifier.close()
    inline = [ceiling._verify_one(ceiling._check(v, codec, registry)) for v in values]
    assert pooled == inline
    assert inline.count(False) == 2  # the forgery and the unreadable message


async def test_the_micro_benchmark_reports_both_libraries() -> None:
    events, registry, _ = corpus()
    figures = await ceiling.verify_figures(events, registry)
    assert figures.signatures == len(events.county_events) - 1  # all but the unreadable one
    assert figures.cryptography_us > 0
    assert figures.libsodium_us > 0
    assert figures.inline_events_per_s > 0
    assert figures.pooled_events_per_s > 0
