"""Publishing a scenario as the counties would: registered by the region, signed per county.

The region registers every county that can appear (a key per county under ``keys_dir``,
kept across runs), then each event is built and signed by its county's node and the
national ID turned into the person key there. Signing needs no connection, so the county
nodes are never started: everything goes out through the region's one producer
(``CountyNode.publish_many`` routes by the event, not by the node), which keeps the number
of open connections at one whatever the number of counties.

Event ids (and ``recorded_at``, set to the event time) are derived from the configuration,
the region key and the person-key secret: publishing the same scenario again with the same
keys gives the same bytes, which the gate drops as duplicates.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import divisions
from contracts.envelope import Envelope
from contracts.events.registry import CountyRegistered
from simulation.scenario import SimEvent, SimulationConfig, generate, involved_counties
from streams.county_node import CountyNode
from streams.event_counts import COUNTY_EVENTS, MESSAGES
from streams.keys import generate_key_file, load_key_file
from streams.signing import public_key_b64

log = structlog.get_logger(__name__)

# Fixed forever: simulated event ids are uuid5 under it.
NAMESPACE = uuid.UUID("0c6f3f0e-2a57-5b8e-9d64-6a1b7e9c2f31")


@dataclass(frozen=True, slots=True)
class SimulationProgress:
    events: int  # events published so far (a broadcast event once)
    messages: int  # Kafka messages written so far (a broadcast event once per partition)
    elapsed_s: float
    event_time: dt.datetime  # the scenario's clock: occurred_at of the last event sent


@dataclass(frozen=True, slots=True)
class SimulationReport:
    counties: int  # registered by the region
    registry_messages: int  # on <prefix>.registry
    county_event_messages: int  # on <prefix>.county-events, broadcast copies included
    events_by_type: dict[str, int]  # county events by event_type, each event once
    elapsed_s: float

    @property
    def events(self) -> int:
        return sum(self.events_by_type.values())

    def lines(self) -> list[str]:
        rate = self.events / self.elapsed_s if self.elapsed_s > 0 else 0.0
        head = [
            f"registered {self.counties} counties",
            f"published {self.events} {COUNTY_EVENTS} ({self.county_event_messages} {MESSAGES}) "
            f"in {self.elapsed_s:.1f} s, {rate:.0f} events/s",
        ]
        width = max((len(t) for t in self.events_by_type), default=0)
        return head + [
            f"  {event_type:<{width}} {count}"
            for event_type, count in sorted(self.events_by_type.items())
        ]


async def run_simulation(
    config: SimulationConfig,
    *,
    bootstrap_servers: str,
    topic_prefix: str = "liudong",
    keys_dir: Path,
    region_key: Ed25519PrivateKey,
    person_key_secret: bytes,
    rate: float | None = None,
    progress: Callable[[SimulationProgress], None] | None = None,
    progress_every: int = 10_000,
    batch_size: int = 1_000,
    client_options: Mapping[str, Any] | None = None,
) -> SimulationReport:
    """Register the scenario's counties, then publish its events; ``rate`` caps events/s."""
    if rate is not None and rate <= 0:
        raise ValueError("rate must be positive (events per second)")
    if batch_size < 1 or progress_every < 1:
        raise ValueError("batch_size and progress_every must be at least 1")
    began = time.monotonic()
    region = CountyNode(
        county=config.region,
        publisher_id=f"{config.region}/region",
        private_key=region_key,
        person_key_secret=person_key_secret,
        bootstrap_servers=bootstrap_servers,
        topic_prefix=topic_prefix,
        client_options=client_options,
    )
    ids = EventIds(config, region_key, person_key_secret)
    counties = involved_counties(config)
    keys = {code: county_key(keys_dir, code) for code in counties}
    signers = CountySigners(keys, region, person_key_secret, bootstrap_servers, topic_prefix)
    async with region:
        registrations = county_registrations(config, region, keys, ids)
        registry_messages = await region.publish_many(registrations)
        log.info("simulation_counties_registered", counties=len(registrations))
        sender = _Sender(region, rate, batch_size, progress, progress_every, began)
        for sim_event in generate(config):
            await sender.add(signers.build(sim_event, ids.next()))
        await sender.flush(final=True)
    report = SimulationReport(
        counties=len(registrations),
        registry_messages=registry_messages,
        county_event_messages=sender.messages,
        events_by_type=dict(sender.by_type),
        elapsed_s=time.monotonic() - began,
    )
    log.info("simulation_published", events=report.events, messages=report.county_event_messages)
    return report


def county_registrations(
    config: SimulationConfig,
    region: CountyNode,
    keys: Mapping[str, Ed25519PrivateKey],
    ids: EventIds,
) -> list[CountyRegistered]:
    """The region admits each county's node key (what the gate's registry is built from)."""
    return [
        region.build(
            CountyRegistered,
            occurred_at=config.start,
            recorded_at=config.start,
            event_id=ids.named(f"county:{code}"),
            county=code,
            name=divisions.name_of(code),
            public_key=public_key_b64(key),
        )
        for code, key in keys.items()
    ]


def county_key(keys_dir: Path, county: str) -> Ed25519PrivateKey:
    """The simulated county's key: kept under ``keys_dir``, made on first use."""
    path = keys_dir / f"{county}.pem"
    return load_key_file(path) if path.exists() else generate_key_file(path)


class EventIds:
    """Deterministic event ids: the same scenario under the same keys gives the same ids."""

    def __init__(self, config: SimulationConfig, region_key: Ed25519PrivateKey, secret: bytes):
        digest = hashlib.sha256()
        for part in (repr(config), public_key_b64(region_key), hashlib.sha256(secret).hexdigest()):
            digest.update(part.encode())
            digest.update(b"\0")
        self._scope = digest.hexdigest()
        self._n = 0

    def named(self, name: str) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, f"{self._scope}:{name}")

    def next(self) -> uuid.UUID:
        self._n += 1
        return self.named(str(self._n))


class CountySigners:
    """Un-started county nodes, one per county, and the region: they sign and hash.

    They never connect: built events go out through any one started node.
    """

    def __init__(
        self,
        keys: Mapping[str, Ed25519PrivateKey],
        region: CountyNode,
        secret: bytes,
        bootstrap_servers: str,
        topic_prefix: str,
    ) -> None:
        self._nodes = {
            code: CountyNode(
                county=code,
                private_key=key,
                person_key_secret=secret,
                bootstrap_servers=bootstrap_servers,
                topic_prefix=topic_prefix,
            )
            for code, key in keys.items()
        }
        self._nodes[region.county] = region

    def build(self, sim_event: SimEvent, event_id: uuid.UUID) -> Envelope:
        node = self._nodes.get(sim_event.county)
        if node is None:
            raise ValueError(f"the scenario names county {sim_event.county}, never registered")
        fields: dict[str, Any] = dict(sim_event.fields)
        national_id = fields.pop("national_id", None)
        if national_id is not None:
            fields["person_key"] = node.person_key(str(national_id))  # the raw number stays here
        return node.build(
            sim_event.kind,
            occurred_at=sim_event.occurred_at,
            recorded_at=sim_event.occurred_at,
            event_id=event_id,
            **fields,
        )


class _Sender:
    """Batches events into ``publish_many``, paces them and reports progress."""

    def __init__(
        self,
        transport: CountyNode,
        rate: float | None,
        batch_size: int,
        progress: Callable[[SimulationProgress], None] | None,
        progress_every: int,
        began: float,
    ) -> None:
        self._transport = transport
        self._rate = rate
        # Paced: about ten batches a second, so the pace is smooth rather than bursty.
        self._batch_size = batch_size if rate is None else max(1, min(batch_size, int(rate / 10)))
        self._progress = progress
        self._every = progress_every
        self._began = began
        self._paced_from = time.monotonic()
        self._batch: list[Envelope] = []
        self._reported = 0
        self.events = 0
        self.messages = 0
        self.by_type: Counter[str] = Counter()

    async def add(self, event: Envelope) -> None:
        self._batch.append(event)
        if len(self._batch) >= self._batch_size:
            await self.flush()

    async def flush(self, *, final: bool = False) -> None:
        batch, self._batch = self._batch, []
        if batch:
            self.messages += await self._transport.publish_many(batch)
            self.events += len(batch)
            self.by_type.update(event.event_type for event in batch)
            await self._pace()
            if self._progress is not None and (
                final or self.events - self._reported >= self._every
            ):
                self._reported = self.events
                self._progress(
                    SimulationProgress(
                        events=self.events,
                        messages=self.messages,
                        elapsed_s=time.monotonic() - self._began,
                        event_time=batch[-1].occurred_at,
                    )
                )

    async def _pace(self) -> None:
        if self._rate is None:
            return
        ahead = self.events / self._rate - (time.monotonic() - self._paced_from)
        if ahead > 0:
            await asyncio.sleep(ahead)  # publishing pace only: no decision reads this clock
