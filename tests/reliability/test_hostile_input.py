"""Hostile and careless county clients against a real worker on the real broker.

* Routing no client can get wrong: one person's outflow sent with Kafka's murmur2
  partitioner and the arrival with kcat's CRC32 (another person's with a null key): the
  gate places both on the person's partition and the case matches.
* Event ids: one id reused for two persons is two events (their own obligation ids and
  derived ids); the same person's id reused on other content, sent on another partition,
  is refused from the validated topic; an agreement's id reused is refused on every
  partition; an exact re-send is a duplicate.
* One reading: a signed event sent with a key twice is refused (``duplicate_key``); the
  genuine bytes sent afterwards are admitted, and forwarded as they are.
* Answers before questions: an answer kept fulfils the inquiry that arrives after it, at
  once; an answer whose question never comes raises ``answer_without_question``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.events.agreements import AgreementSigned
from contracts.events.clock import ClockTicked
from contracts.events.cooperation import InquiryAnswered, InquirySent
from contracts.events.migration import InflowRegistered, OutflowRegistered
from streams import routing
from streams.admin import ensure_topics
from streams.codec import encode
from streams.county_node import CountyNode
from tests.integration.pipeline import REGION, Pipeline
from tests.reliability.bad_inputs import DESTINATION, ORIGIN, THIRD, national_id
from tests.reliability.support import Message, read_topic, register_counties, scrape

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

PARTITIONS = 3
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@dataclass
class Region:
    pipeline: Pipeline
    region: CountyNode
    origin: CountyNode  # 汉滨区
    destination: CountyNode  # 宝安区
    producer: AIOKafkaProducer  # a client that is not the project's: any key, any partition

    @property
    def county_topic(self) -> str:
        return f"{self.pipeline.prefix}.county-events"

    async def send(self, value: bytes, key: bytes | None, partition: int | None = None) -> None:
        await self.producer.send_and_wait(self.county_topic, value, key=key, partition=partition)

    async def topic(self, name: str, until: Callable[[list[Message]], bool]) -> list[Message]:
        return await read_topic(
            self.pipeline.bootstrap, f"{self.pipeline.prefix}.{name}", until=until, wait_s=120
        )


@pytest.fixture
async def region(kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[Region]:
    pipeline = Pipeline(kafka_bootstrap, f"hi{uuid.uuid4().hex[:8]}", tmp_path, PARTITIONS)
    await ensure_topics(
        pipeline.bootstrap, prefix=pipeline.prefix, partitions=PARTITIONS, replication_factor=1
    )
    keys = {code: Ed25519PrivateKey.generate() for code in (ORIGIN, DESTINATION, THIRD)}
    nodes = [
        pipeline.node(REGION, pipeline.region_key, f"{REGION}/region"),
        pipeline.node(ORIGIN, keys[ORIGIN]),
        pipeline.node(DESTINATION, keys[DESTINATION]),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    for node in nodes:
        await node.start()
    await producer.start()
    try:
        await register_counties(nodes[0], keys, T0)
        await nodes[0].publish(nodes[0].build(ClockTicked, occurred_at=T0))
        pipeline.start_worker()
        yield Region(pipeline, nodes[0], nodes[1], nodes[2], producer)
    finally:
        await producer.stop()
        for node in nodes:
            await node.stop()
        pipeline.stop_workers()


def records(messages: list[Message]) -> list[dict[str, Any]]:
    return [json.loads(v or b"{}") for _, _, v in messages]


def of_type(messages: list[Message], event_type: str) -> list[dict[str, Any]]:
    return [r for r in records(messages) if r.get("event_type") == event_type]


def outflow(node: CountyNode, n: int, **fields: Any) -> OutflowRegistered:
    return node.build(
        OutflowRegistered,
        occurred_at=T0 + dt.timedelta(minutes=n),
        person_key=node.person_key(national_id(n)),
        origin_county=ORIGIN,
        destination_county=fields.pop("destination_county", DESTINATION),
        reason="work",
        **fields,
    )


def inflow(node: CountyNode, person_key: str, n: int) -> InflowRegistered:
    return node.build(
        InflowRegistered,
        occurred_at=T0 + dt.timedelta(minutes=n, hours=1),
        person_key=person_key,
        origin_county=ORIGIN,
        destination_county=DESTINATION,
    )


def murmur2_partition(key: bytes) -> int:
    """Kafka's Java client and aiokafka: murmur2 of the key."""
    return int(murmur2(key) & 0x7FFFFFFF) % PARTITIONS


def crc32_partition(key: bytes) -> int:
    """kcat (librdkafka's default, consistent_random): CRC32 of the key."""
    return zlib.crc32(key) % PARTITIONS


async def test_any_partitioner_or_none_gives_one_case(region: Region) -> None:
    origin, destination = region.origin, region.destination
    # A person whose outflow and arrival the two partitioners put on different partitions.
    n = next(
        i
        for i in range(100)
        if murmur2_partition(origin.person_key(national_id(i)).encode())
        != crc32_partition(origin.person_key(national_id(i)).encode())
    )
    first = outflow(origin, n)
    second = outflow(origin, n + 1000)
    arrivals = [inflow(destination, e.person_key, i) for i, e in enumerate((first, second))]
    key = first.person_key.encode()
    other = second.person_key.encode()
    await region.send(encode(first), key)  # the producer's own murmur2
    await region.send(encode(second), None)  # no key: a partition at random
    # The arrivals are registered once the outflows are on the log (from another county's
    # system: nothing orders the two but time).
    await region.topic("validated", until=lambda m: len(m) >= 3 + 2)
    await region.send(encode(arrivals[0]), key, crc32_partition(key))
    await region.send(encode(arrivals[1]), other, crc32_partition(other))

    obligations = await region.topic(
        "obligations", until=lambda m: len(of_type(m, "obligation_fulfilled")) >= 2
    )
    validated = await region.topic("validated", until=lambda m: len(m) >= 3 + 4)
    opened = of_type(obligations, "obligation_opened")
    fulfilled = of_type(obligations, "obligation_fulfilled")
    print(
        f"\nperson 1: outflow on partition {murmur2_partition(key)} (murmur2), arrival on "
        f"{crc32_partition(key)} (CRC32); person 2: outflow with no key; validated "
        f"partitions {sorted((p, json.loads(v or b'{}')['event_type']) for p, _, v in validated)}"
    )
    assert sorted(o["kind"] for o in opened) == ["arrival_registration"] * 2
    assert {o["obligation_id"] for o in fulfilled} == {o["obligation_id"] for o in opened}
    for event in (first, second, *arrivals):
        mark = str(event.event_id).encode()
        [(partition, _, _)] = [m for m in validated if mark in (m[2] or b"")]
        assert partition == routing.person_partition(event.person_key, PARTITIONS)


async def test_event_ids_are_decided_where_the_case_is(region: Region) -> None:
    origin = region.origin
    shared = uuid.uuid4()
    p1 = outflow(origin, 1, event_id=shared)
    p2 = outflow(origin, 2, event_id=shared)  # another person, the same id
    reused = outflow(origin, 1, event_id=shared, destination_county=THIRD)  # p1 again
    await origin.publish_many([p1, p2])
    await origin.publish(p1)  # an exact re-send
    own = routing.person_partition(p1.person_key, PARTITIONS)
    await region.send(encode(reused), None, (own + 1) % PARTITIONS)  # on another partition
    agreement_id = uuid.uuid4()
    signed = origin.build(
        AgreementSigned,
        occurred_at=T0,
        event_id=agreement_id,
        agreement_id="a-1",
        origin_county=ORIGIN,
        destination_county=DESTINATION,
        effective_from=T0,
    )
    other = origin.build(
        AgreementSigned,
        occurred_at=T0,
        event_id=agreement_id,
        agreement_id="a-2",
        origin_county=ORIGIN,
        destination_county=THIRD,
        effective_from=T0,
    )
    await origin.publish_many([signed, other])

    dead = await region.topic("dead-letters", until=lambda m: len(m) >= 1 + PARTITIONS)
    obligations = await region.topic(
        "obligations", until=lambda m: len(of_type(m, "obligation_opened")) >= 2
    )
    letters = records(dead)
    opened = of_type(obligations, "obligation_opened")
    scraped = await scrape(f"http://127.0.0.1:{region.pipeline.metrics_port}/metrics")
    print(
        f"\none id for two persons: obligations {[o['obligation_id'][-12:] for o in opened]}; "
        f"dead letters {Counter((d['reason_code'], d['source_topic']) for d in letters)}; "
        f"duplicates {scraped['liudong_worker_duplicates_total']}"
    )
    assert sorted(o["obligation_id"] for o in opened) == sorted(
        f"arrival_registration:{shared}:{e.person_key}" for e in (p1, p2)
    )
    assert len({o["event_id"] for o in opened}) == 2
    assert [o["responsible_county"] for o in opened] == [DESTINATION, DESTINATION]
    validated_topic = f"{region.pipeline.prefix}.validated"
    assert Counter((d["reason_code"], d["source_topic"]) for d in letters) == {
        ("event_id_reused", validated_topic): 1 + PARTITIONS
    }
    person = [d for d in letters if "this case" in d["reason"]]
    assert len(person) == 1
    assert person[0]["source_partition"] == own
    assert scraped["liudong_worker_duplicates_total"] == 1


async def test_a_key_twice_is_refused_and_the_genuine_event_admitted_after_it(
    region: Region,
) -> None:
    genuine = encode(outflow(region.origin, 7))
    forged = b'{"destination_county": "610113", ' + genuine[1:]  # read first by some readers
    key = json.loads(genuine)["person_key"].encode()
    await region.send(forged, key)
    await region.send(genuine, key)
    dead = await region.topic("dead-letters", until=lambda m: len(m) >= 1)
    validated = await region.topic("validated", until=lambda m: genuine in {v for _, _, v in m})
    obligations = await region.topic("obligations", until=lambda m: len(m) >= 1)
    [letter] = records(dead)
    print(f"\n{letter['reason_code']}: {letter['reason']}")
    assert letter["reason_code"] == "duplicate_key"
    assert "'destination_county' appears more than once" in letter["reason"]
    assert [v for _, _, v in validated if b"outflow_registered" in (v or b"")] == [genuine]
    [opened] = of_type(obligations, "obligation_opened")
    assert opened["responsible_county"] == DESTINATION


async def test_an_answer_before_its_question_is_matched_or_alerted(region: Region) -> None:
    origin, destination = region.origin, region.destination
    person = origin.person_key(national_id(3))

    def answer(inquiry: str) -> InquiryAnswered:
        return destination.build(
            InquiryAnswered,
            occurred_at=T0 + DAY,
            person_key=person,
            inquiry_id=inquiry,
            to_county=ORIGIN,
            answer="confirmed",
        )

    early, orphan = answer("q-1"), answer("q-2")
    await destination.publish_many([early, orphan])
    await region.region.publish(region.region.build(ClockTicked, occurred_at=T0 + 2 * DAY))
    asked = origin.build(
        InquirySent,
        occurred_at=T0 + 3 * DAY,
        person_key=person,
        inquiry_id="q-1",
        to_county=DESTINATION,
        kind="certificate",
    )
    await origin.publish(asked)
    # q-2's question never comes: past the longest period it could have set (30 days).
    await region.region.publish(region.region.build(ClockTicked, occurred_at=T0 + 32 * DAY))

    alerts = await region.topic("alerts", until=lambda m: bool(of_type(m, "alert_raised")))
    obligations = await region.topic(
        "obligations", until=lambda m: bool(of_type(m, "obligation_fulfilled"))
    )
    kinds = [(r["event_type"], r.get("kind"), r.get("late")) for r in records(obligations)]
    raised = [a for a in of_type(alerts, "alert_raised") if a["kind"] == "answer_without_question"]
    print(f"\nobligations {kinds}; alert: {raised[0]['detail'] if raised else None}")
    assert kinds == [
        ("obligation_opened", "inquiry_answer", None),
        ("obligation_fulfilled", None, False),
    ]
    [alert] = raised
    assert alert["counties"] == [DESTINATION, ORIGIN]
    assert alert["alert_id"] == f"answer_without_question:{orphan.event_id}:{person}"
    assert "q-2" in alert["detail"]
