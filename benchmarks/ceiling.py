"""The pure-work ceiling: the bench's event set decoded, signature-checked and decided in one
loop from memory, no Kafka, no framework; and the signature micro-benchmark.

:func:`pure_work` does per event what the pipeline's agents decide, with the same code: the
gate's decision (``agents.gate_rules.decide``: decode, signature, publisher, time) on each
partition's events in log order, then for each admitted event the cases agent's (decode
again, as the cases agent does from the validated topic, ``PartitionCases.apply``, each
derived event encoded). Not included: what the pipeline does to make outputs and state
durable (that is the framework's share). Its rate is what the pipeline could reach with a
framework that cost nothing.

:func:`verify_figures` times Ed25519 verification of the set's signatures with
``cryptography`` and with libsodium (PyNaCl), and decode + verify of the whole set inline
against the same with :class:`streams.signing.Verifier` checking each chunk's signatures on
a thread pool while the loop decodes the next chunk (the gain a worker with a spare core
gets).

Reads the clock to measure only: no decision here reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from agents.gate_rules import Accepted, GateLimits, decide
from agents.registry import Registry, RegistryRejection
from audit.replay.engine import PartitionReplay
from benchmarks.corpus import Corpus, Message
from contracts import unions
from streams import codec as codec_module
from streams import signing, topics
from streams.codec import Codec, DecodeError

CHUNK = 256  # events decoded per chunk while the previous chunk's signatures are checked


@dataclass(frozen=True, slots=True)
class Ceiling:
    events: int
    admitted: int
    seconds: float  # the gate's decisions and the cases' together
    decode_s: float  # the gate's decode alone (part of gate_s)
    verify_s: float  # the signature checks alone (part of gate_s)
    gate_s: float
    cases_s: float

    @property
    def events_per_s(self) -> float | None:
        return self.events / self.seconds if self.seconds > 0 else None

    def per_event_us(self, seconds: float) -> float:
        return seconds / self.events * 1e6 if self.events else 0.0


def registry_of(corpus: Corpus, region: str, region_key: signing.PublicKey) -> Registry:
    """The registry the gate holds after reading the set's registry messages."""
    registry = Registry(region, region_key)
    codec: Codec[Any] = Codec(unions.RegistryEvent)
    for m in corpus.registry:
        try:
            decoded = codec.decode(m.value)
            registry.apply(decoded.event, decoded.raw)
        except (DecodeError, RegistryRejection):
            continue
    return registry


def by_partition(messages: Iterable[Message]) -> dict[int, list[bytes]]:
    out: dict[int, list[bytes]] = {}
    for m in messages:
        out.setdefault(m.partition, []).append(m.value)
    return out


def pure_work(corpus: Corpus, registry: Registry, *, region: str) -> Ceiling:
    county_codec: Codec[Any] = Codec(unions.CountyEvent)
    limits = GateLimits()
    parts = by_partition(corpus.county_events)
    admitted: dict[int, list[bytes]] = {}

    began = time.perf_counter()
    for partition, values in parts.items():
        clock: dt.datetime | None = None
        kept = admitted.setdefault(partition, [])
        for value in values:
            decision = decide(
                value,
                codec=county_codec,
                registry=registry,
                last_tick=clock,
                limits=limits,
            )
            if isinstance(decision, Accepted):
                if decision.tick is not None:
                    clock = decision.tick
                kept.append(value)
    gate_s = time.perf_counter() - began

    cases_codec: Codec[Any] = Codec(unions.CountyEvent, max_bytes=topics.READ_LIMIT_BYTES)
    began = time.perf_counter()
    for partition, values in admitted.items():
        engine = PartitionReplay(partition, region)  # the cases' engine, cases in a dict
        for value in values:
            for derived in engine.apply(cases_codec.decode(value).event):
                codec_module.encode(derived)
    cases_s = time.perf_counter() - began

    began = time.perf_counter()
    for value in _values(parts):
        _decoded(value, county_codec)
    decode_s = time.perf_counter() - began
    checks = [_check(value, county_codec, registry) for value in _values(parts)]
    began = time.perf_counter()
    for check in checks:
        _verify_one(check)
    verify_s = time.perf_counter() - began
    return Ceiling(
        events=sum(len(v) for v in parts.values()),
        admitted=sum(len(v) for v in admitted.values()),
        seconds=gate_s + cases_s,
        decode_s=decode_s,
        verify_s=verify_s,
        gate_s=gate_s,
        cases_s=cases_s,
    )


def _values(parts: dict[int, list[bytes]]) -> Iterable[bytes]:
    for values in parts.values():
        yield from values


def _decoded(value: bytes, codec: Codec[Any]) -> Any:
    try:
        return codec.decode(value)
    except DecodeError:
        return None


def _check(value: bytes, codec: Codec[Any], registry: Registry) -> signing.Check | None:
    decoded = _decoded(value, codec)
    if decoded is None:
        return None
    publisher = registry.publisher(decoded.event.publisher_id)
    key = None if publisher is None else publisher.public_key
    if key is None:
        return None
    return signing.prepare(key, decoded.raw)


@dataclass(frozen=True, slots=True)
class VerifyFigures:
    signatures: int
    cryptography_us: float  # per signature
    libsodium_us: float
    inline_events_per_s: float  # decode + verify, one after the other
    pooled_events_per_s: float  # decode on the loop, verify on the pool, chunk by chunk
    threads: int


async def verify_figures(corpus: Corpus, registry: Registry) -> VerifyFigures:
    codec: Codec[Any] = Codec(unions.CountyEvent)
    values = [m.value for m in corpus.county_events]
    checks = [c for c in (_check(v, codec, registry) for v in values) if c is not None]
    reference = [
        (Ed25519PublicKey.from_public_bytes(bytes(c.key)), c.signature, c.message) for c in checks
    ]
    began = time.perf_counter()
    for key, signature, message in reference:
        with contextlib.suppress(InvalidSignature):
            key.verify(signature, message)
    cryptography_s = time.perf_counter() - began
    began = time.perf_counter()
    for check in checks:
        check.run()
    libsodium_s = time.perf_counter() - began

    began = time.perf_counter()
    for value in values:
        _verify_one(_check(value, codec, registry))
    inline_s = time.perf_counter() - began

    verifier = signing.Verifier()
    try:
        began = time.perf_counter()
        await pooled(values, codec, registry, verifier)
        pooled_s = time.perf_counter() - began
    finally:
        verifier.close()
    n = max(1, len(checks))
    return VerifyFigures(
        signatures=len(checks),
        cryptography_us=cryptography_s / n * 1e6,
        libsodium_us=libsodium_s / n * 1e6,
        inline_events_per_s=len(values) / inline_s if inline_s > 0 else 0.0,
        pooled_events_per_s=len(values) / pooled_s if pooled_s > 0 else 0.0,
        threads=verifier.threads,
    )


def _verify_one(check: signing.Check | None) -> bool:
    return check is not None and check.run()


async def pooled(
    values: Sequence[bytes], codec: Codec[Any], registry: Registry, verifier: signing.Verifier
) -> list[bool]:
    """Decode chunk k+1 on the loop while the pool checks chunk k's signatures."""
    verdicts: list[bool] = []
    running: asyncio.Future[list[bool]] | None = None
    for start in range(0, len(values), CHUNK):
        checks = [_check(v, codec, registry) for v in values[start : start + CHUNK]]
        if running is not None:
            verdicts.extend(await running)
        running = verifier.run(checks)
    if running is not None:
        verdicts.extend(await running)
    return verdicts
