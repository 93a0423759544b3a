"""A broker SIGKILLed under load and restarted: nothing lost, no effect duplicated.

Three KRaft nodes on loopback; every topic has replication factor 3 and
min.insync.replicas 2; the county nodes publish with acks=all and idempotence, the worker
produces with acks=all. While a real ``liudong worker`` handles a steady stream of signed
events, the broker coordinating the worker's consumer group is killed (SIGKILL, no
controlled shutdown). Publishing carries on against the two survivors, and the pipeline
must process everything published so far before the broker comes back; then the broker is
restarted and the last third is published.

Counted by id on the output topics: every valid event exactly once on the validated topic,
and for each outflow exactly one ``obligation_opened`` (for each arrival exactly one
``obligation_fulfilled``) caused by it. A re-sent derived record carries the same id (its
consumers drop it), so copies of an id are reported separately from duplicated effects
(two different derived events for one cause), which must be zero.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.envelope import Envelope
from contracts.events.agreements import AgreementSigned
from contracts.events.clock import ClockTicked
from contracts.events.migration import InflowRegistered, OutflowRegistered
from infra.kafka.cluster import KafkaCluster
from streams.admin import ensure_topics
from streams.county_node import CountyNode
from streams.topics import CATALOG
from tests.integration.pipeline import REGION, Pipeline
from tests.reliability.bad_inputs import DESTINATION, ORIGIN, national_id
from tests.reliability.support import read_to_end, register_counties

pytestmark = [pytest.mark.integration, pytest.mark.timeout(480)]

PARTITIONS = 3
BROADCAST = 3 * PARTITIONS  # a tick and an agreement's two signatures, one copy per partition
PERSONS = 300  # N = 600 person events: an outflow and an arrival each
RATE = 40.0  # events per second, paced
T0 = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
CATCH_UP_S = 120.0  # how long the pipeline may take to process a phase (2 loaded cores)


@pytest.fixture
def pipeline(
    kafka_cluster3: KafkaCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Pipeline]:
    # The worker's own topics (Faust's) replicated like ours; Pipeline copies os.environ.
    monkeypatch.setenv("LIUDONG_REPLICATION_FACTOR", "3")
    p = Pipeline(
        kafka_cluster3.bootstrap_servers, f"bf{uuid.uuid4().hex[:8]}", tmp_path, PARTITIONS
    )
    try:
        yield p
    finally:
        p.stop_worker()


async def test_broker_sigkill_loses_nothing_and_duplicates_no_effect(
    kafka_cluster3: KafkaCluster, pipeline: Pipeline
) -> None:
    cluster, bootstrap, prefix = kafka_cluster3, pipeline.bootstrap, pipeline.prefix
    await ensure_topics(
        bootstrap,
        prefix=prefix,
        partitions=PARTITIONS,
        replication_factor=3,
        min_insync_replicas=2,
    )
    await _assert_replicated(bootstrap, [spec.full_name(prefix) for spec in CATALOG])

    keys = {code: Ed25519PrivateKey.generate() for code in (ORIGIN, DESTINATION)}
    region = pipeline.node(REGION, pipeline.region_key, f"{REGION}/region")
    nodes = {code: pipeline.node(code, key) for code, key in keys.items()}
    for n in (region, *nodes.values()):
        await n.start()
    began = time.monotonic()
    try:
        await register_counties(region, keys, T0)
        pipeline.start_worker()
        origin, destination = nodes[ORIGIN], nodes[DESTINATION]
        await region.publish(region.build(ClockTicked, occurred_at=T0))
        for party in (origin, destination):  # the agreement binds once both have signed
            await party.publish(
                party.build(
                    AgreementSigned,
                    occurred_at=T0,
                    agreement_id="a-bf",
                    origin_county=ORIGIN,
                    destination_county=DESTINATION,
                    effective_from=T0,
                )
            )
        await _wait_validated(pipeline, BROADCAST, 180)  # the worker is up

        events = _person_events(origin, destination)
        publishers = {n.publisher_id: n for n in nodes.values()}
        third = len(events) // 3
        stalls: list[float] = []
        await _paced(events[:third], publishers, stalls)

        coordinator = await _coordinator(bootstrap, f"{prefix}-workers")
        killed_at = time.monotonic()
        cluster.kill_node(coordinator - 1)
        await _paced(events[third : 2 * third], publishers, stalls)
        # The pipeline keeps going on two brokers: everything so far is processed first.
        await _wait_validated(pipeline, BROADCAST + 2 * third, CATCH_UP_S)
        caught_up_s = time.monotonic() - killed_at
        _assert_alive(pipeline)

        cluster.start_node(coordinator - 1)
        down_s = time.monotonic() - killed_at
        await _paced(events[2 * third :], publishers, stalls)
        await _wait_validated(pipeline, BROADCAST + len(events), CATCH_UP_S)
    finally:
        for n in (region, *nodes.values()):
            await n.stop()

    outflows = [e for e in events if isinstance(e, OutflowRegistered)]
    arrivals = [e for e in events if isinstance(e, InflowRegistered)]
    derived = await _wait_derived(pipeline, len(outflows) + len(arrivals), CATCH_UP_S)
    await asyncio.sleep(3)  # a late re-send would show up now
    derived = await read_to_end(bootstrap, f"{prefix}.obligations")
    validated = await read_to_end(bootstrap, f"{prefix}.validated")
    elapsed = time.monotonic() - began
    _assert_alive(pipeline)

    # --- the figures --------------------------------------------------------------------------
    # By (partition, id): a broadcast event has one legitimate copy per partition.
    v_ids = Counter((p, str(json.loads(v or b"{}")["event_id"])) for p, _, v in validated)
    admitted = {event_id for _, event_id in v_ids}
    lost_validated = [e for e in events if str(e.event_id) not in admitted]
    copies_validated = sum(n - 1 for n in v_ids.values() if n > 1)

    by_cause: dict[tuple[str, str], set[str]] = defaultdict(set)
    d_ids: Counter[str] = Counter()
    for _, _, value in derived:
        obj = json.loads(value or b"{}")
        d_ids[obj["event_id"]] += 1
        by_cause[(obj["event_type"], str(obj["causation_id"]))].add(obj["event_id"])
    expected = [("obligation_opened", e) for e in outflows] + [
        ("obligation_fulfilled", e) for e in arrivals
    ]
    lost_effects = [(t, e) for t, e in expected if not by_cause[(t, str(e.event_id))]]
    duplicated_effects = {k: v for k, v in by_cause.items() if len(v) > 1}
    copies_derived = sum(n - 1 for n in d_ids.values() if n > 1)
    unexpected = {k for k in by_cause if k not in {(t, str(e.event_id)) for t, e in expected}}

    log = (pipeline.home / "worker.log").read_text(errors="replace")
    retries = log.count("output_send_retry")
    print(
        f"\nbroker failure: N={len(events)} person events at {RATE:.0f}/s "
        f"(+{BROADCAST} broadcast), 3 brokers, RF 3, min ISR 2; node {coordinator} "
        f"(group coordinator) SIGKILLed after {third} events, back after {down_s:.1f} s; "
        f"pipeline caught up on 2 brokers {caught_up_s:.1f} s after the kill; longest publish "
        f"stall {max(stalls):.2f} s; {elapsed:.0f} s in all\n"
        f"validated: {len(validated)} messages, lost {len(lost_validated)}, "
        f"repeated copies {copies_validated}\n"
        f"obligations: {len(derived)} messages, {len(d_ids)} distinct, lost effects "
        f"{len(lost_effects)}, duplicated effects {len(duplicated_effects)}, repeated copies "
        f"{copies_derived}, unexpected {len(unexpected)}; worker send retries {retries}"
    )
    assert not lost_validated, [e.event_id for e in lost_validated[:10]]
    assert not lost_effects, lost_effects[:10]
    assert not duplicated_effects, list(duplicated_effects.items())[:10]
    assert not unexpected, sorted(unexpected)[:10]
    assert len(validated) == BROADCAST + len(events) + copies_validated


def _person_events(origin: CountyNode, destination: CountyNode) -> list[Envelope]:
    """Per person an outflow and, a little later in the stream, its arrival."""
    out: list[Envelope] = []
    for i in range(PERSONS):
        key = origin.person_key(national_id(i))
        at = T0 + dt.timedelta(minutes=i)
        out.append(
            origin.build(
                OutflowRegistered,
                occurred_at=at,
                person_key=key,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            )
        )
        out.append(
            destination.build(
                InflowRegistered,
                occurred_at=at + dt.timedelta(hours=1),
                person_key=key,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            )
        )
    return out


async def _paced(
    events: Sequence[Envelope], publishers: dict[str, CountyNode], stalls: list[float]
) -> None:
    """Publish one at a time at RATE, each acknowledged (acks=all) before the next."""
    began = time.monotonic()
    for i, event in enumerate(events):
        sent = time.monotonic()
        await publishers[event.publisher_id].publish(event)
        stalls.append(time.monotonic() - sent)
        ahead = (i + 1) / RATE - (time.monotonic() - began)
        if ahead > 0:
            await asyncio.sleep(ahead)


def _assert_alive(pipeline: Pipeline) -> None:
    assert pipeline.process is not None
    assert pipeline.process.poll() is None, f"the worker exited: see {pipeline.home}/worker.log"


async def _wait_validated(pipeline: Pipeline, want: int, wait_s: float) -> None:
    topic = f"{pipeline.prefix}.validated"
    deadline = time.monotonic() + wait_s
    count = 0
    while time.monotonic() < deadline:
        # Distinct (event, partition): a re-sent copy must not count as progress.
        got = await read_to_end(pipeline.bootstrap, topic)
        count = len({(p, json.loads(v or b"{}").get("event_id")) for p, _, v in got})
        if count >= want:
            return
        _assert_alive(pipeline)
        await asyncio.sleep(1.0)
    raise AssertionError(f"validated has {count} messages after {wait_s:.0f} s, expected {want}")


async def _wait_derived(
    pipeline: Pipeline, want: int, wait_s: float
) -> list[tuple[int, int, bytes | None]]:
    topic = f"{pipeline.prefix}.obligations"
    deadline = time.monotonic() + wait_s
    got = await read_to_end(pipeline.bootstrap, topic)
    while time.monotonic() < deadline:
        causes = {json.loads(v or b"{}").get("causation_id") for _, _, v in got}
        if len(causes) >= want:
            break
        await asyncio.sleep(1.0)
        got = await read_to_end(pipeline.bootstrap, topic)
    return got


async def _coordinator(bootstrap: str, group: str) -> int:
    """The node id coordinating ``group``: killing it forces the worker to find another."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        node: int = await admin.find_coordinator(group)
        return node
    finally:
        await admin.close()


async def _assert_replicated(bootstrap: str, topics: list[str]) -> None:
    """Every partition on 3 replicas, all in sync, and min.insync.replicas=2 on each topic.

    Right after creation a broker may not have the new topics' metadata or configs yet, so
    this asks again for up to 30 s and fails with the last answer.
    """
    deadline = time.monotonic() + 30
    while True:
        problems = await _replication_problems(bootstrap, topics)
        if not problems or time.monotonic() > deadline:
            break
        await asyncio.sleep(1.0)
    assert not problems, problems


async def _replication_problems(bootstrap: str, topics: list[str]) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        problems = [
            f"{topic['topic']}/{p['partition']}: replicas {p['replicas']}, isr {p['isr']}"
            for topic in await admin.describe_topics(topics)
            for p in topic["partitions"]
            if len(p["replicas"]) != 3 or len(p["isr"]) != 3
        ]
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in topics]
        )
        found = {
            resource[3]: {entry[0]: entry[1] for entry in resource[4]}
            for response in responses
            for resource in response.resources
        }
        problems += [
            f"{name}: min.insync.replicas {found.get(name, {}).get('min.insync.replicas')}"
            for name in topics
            if found.get(name, {}).get("min.insync.replicas") != "2"
        ]
        return problems
    finally:
        await admin.close()
