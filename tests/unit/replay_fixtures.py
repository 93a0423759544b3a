"""A simulated region's validated log in memory, and the derived records a live cases agent
writes for it (with their cause headers), for the replay's unit tests. No I/O."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.replay.derived import topic_of
from audit.replay.engine import PartitionReplay, Replay
from audit.replay.positions import CAUSE_HEADER
from contracts.events.migration import PersonEvent
from simulation.publisher import CountySigners, EventIds
from simulation.scenario import SimulationConfig, generate, involved_counties
from streams import codec, routing, topics
from streams.county_node import CountyNode

PREFIX = "live"
VALIDATED = topics.VALIDATED.full_name(PREFIX)
PARTITIONS = 3
LIVE_PARTITIONS = 4  # the derived topics' own partitions (by key, as the producer picks)
CONFIG = SimulationConfig(persons=240, months=3, tail_days=20, seed=7)
Log = dict[int, list[bytes]]  # validated partition -> values in offset order


@functools.cache
def simulated_log(config: SimulationConfig = CONFIG, partitions: int = PARTITIONS) -> Log:
    """The scenario's events, signed by their counties, placed as the gate places them."""
    region_key = Ed25519PrivateKey.from_private_bytes(bytes(32))
    secret = b"replay-unit-secret"
    region = CountyNode(
        county=config.region,
        publisher_id=f"{config.region}/region",
        private_key=region_key,
        person_key_secret=secret,
        bootstrap_servers="unused:9092",
        topic_prefix=PREFIX,
    )
    keys = {
        code: Ed25519PrivateKey.from_private_bytes(hashlib.sha256(code.encode()).digest())
        for code in involved_counties(config)
    }
    signers = CountySigners(keys, region, secret, "unused:9092", PREFIX)
    ids = EventIds(config, region_key, secret)
    log: Log = {p: [] for p in range(partitions)}
    for sim_event in generate(config):
        event = signers.build(sim_event, ids.next())
        value = codec.encode(event)
        if isinstance(event, PersonEvent):
            log[routing.person_partition(event.person_key, partitions)].append(value)
        else:
            for p in range(partitions):
                log[p].append(value)
    return log


def feed(replay: Replay, log: Log, partitions: tuple[int, ...] | None = None) -> Replay:
    for p, values in sorted(log.items()):
        if partitions is None or p in partitions:
            replay.partition(p)
            replay.feed(p, list(enumerate(values)))
    return replay


@dataclass(frozen=True)
class Record:
    """A derived record as a consumer reads it (the fields aiokafka's records have)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]


def live_records(log: Log, region: str = CONFIG.region) -> dict[str, list[Record]]:
    """Catalog topic name -> the records a live cases agent writes for ``log``: each output
    on the derived topic's partition its key picks, tagged with its cause."""
    out: dict[str, list[Record]] = {}
    next_offset: dict[tuple[str, int], int] = {}
    for p, values in sorted(log.items()):
        engine = PartitionReplay(p, region)
        for offset, value in enumerate(values):
            event = Replay(region=region).decode(value)
            for output in engine.apply(event):
                name = topic_of(output)
                key = output.event_id.bytes
                live_partition = key[0] % LIVE_PARTITIONS
                at = next_offset.get((name, live_partition), 0)
                next_offset[(name, live_partition)] = at + 1
                cause = f"{VALIDATED}/{p}/{offset}".encode()
                out.setdefault(name, []).append(
                    Record(
                        f"{PREFIX}.{name}",
                        live_partition,
                        at,
                        key,
                        codec.encode(output),
                        ((CAUSE_HEADER, cause),),
                    )
                )
    return out


def by_live_partition(records: list[Record]) -> Iterator[Record]:
    """The records as a reader of the live topic sees them: partition after partition."""
    return iter(sorted(records, key=lambda r: (r.partition, r.offset)))
