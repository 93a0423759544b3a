"""The bad-input corpus mixed into a valid stream, on the real broker, through a real worker.

Every kind of :mod:`tests.reliability.bad_inputs` must land on the dead-letter topic once,
with its expected reason code, a reason naming its defect (printable) and its bytes (ID
numbers masked, bounded); every valid event must reach the validated topic (broadcast ones
once per partition); the exact re-deliveries are forwarded and dropped by the cases agent as
duplicates; and the counts reconcile: county-events in = forwarded + dead-lettered by the
gate; validated in = applied + duplicates + refused by the cases agent; registry in =
admitted + dead-lettered.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.envelope import Envelope
from contracts.events.agreements import AgreementSigned
from contracts.events.clock import ClockTicked
from contracts.events.migration import InflowRegistered, OutflowRegistered
from contracts.events.registry import PublisherRegistered
from streams.admin import ensure_topics
from streams.codec import encode
from streams.county_node import CountyNode
from streams.dead_letters import RAW_LIMIT
from streams.routing import BROADCAST_TYPES
from streams.signing import public_key_b64
from tests.integration.pipeline import REGION, SECRET, Pipeline
from tests.reliability import bad_inputs
from tests.reliability.bad_inputs import DESTINATION, OFFICE, ORIGIN, THIRD, BadInput
from tests.reliability.support import end_offsets, read_topic, register_counties, scrape

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

PARTITIONS = 3
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
PERSONS = 40  # each: an outflow and an arrival
REDELIVERED = 4  # valid events published a second time, byte for byte
REGISTRATIONS = 4  # three counties and one office, all valid


@pytest.fixture
def pipeline(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Pipeline]:
    p = Pipeline(kafka_bootstrap, f"bad{uuid.uuid4().hex[:8]}", tmp_path, PARTITIONS)
    try:
        yield p
    finally:
        p.stop_worker()


async def test_every_bad_input_is_dead_lettered_with_its_reason(pipeline: Pipeline) -> None:
    await ensure_topics(
        pipeline.bootstrap, prefix=pipeline.prefix, partitions=PARTITIONS, replication_factor=1
    )
    keys = {code: Ed25519PrivateKey.generate() for code in (ORIGIN, DESTINATION, THIRD)}
    office_key = Ed25519PrivateKey.generate()
    region = pipeline.node(REGION, pipeline.region_key, f"{REGION}/region")
    nodes = {code: pipeline.node(code, key) for code, key in keys.items()}
    office = pipeline.node(ORIGIN, office_key, OFFICE)
    by_publisher = {n.publisher_id: n for n in (region, office, *nodes.values())}
    producer = AIOKafkaProducer(
        bootstrap_servers=pipeline.bootstrap, acks="all", enable_idempotence=True
    )
    for n in by_publisher.values():
        await n.start()
    await producer.start()
    sent_bad: dict[tuple[str, int, int], BadInput] = {}
    try:
        await register_counties(region, keys, T0)
        await nodes[ORIGIN].publish(
            nodes[ORIGIN].build(
                PublisherRegistered,
                occurred_at=T0,
                county=ORIGIN,
                publisher=OFFICE,
                role="outposted_office",
                public_key=public_key_b64(office_key),
                event_types=bad_inputs.OFFICE_TYPES,
                stationed_in=DESTINATION,
            )
        )
        pipeline.start_worker()

        valid = valid_stream(region, nodes, office)
        corpus = bad_inputs.build(
            bad_inputs.Signers(pipeline.region_key, keys, office_key, SECRET),
            at=T0,
            original=valid[3],
            agreement=valid[1],
        )
        # The tick, the agreement's two signatures and the outflow the reused ids copy go
        # first; then one bad message after every couple of valid ones, the rest at the end.
        step = max(1, (len(valid) - 4) // len(corpus))
        pending = list(corpus)
        for i, event in enumerate(valid):
            await by_publisher[event.publisher_id].publish(event)
            if i >= 3 and i % step == 0 and pending:
                await send_bad(producer, pipeline.prefix, pending.pop(0), sent_bad)
        for bad in pending:
            await send_bad(producer, pipeline.prefix, bad, sent_bad)
        redelivered = [e for e in valid if e.event_type not in BROADCAST_TYPES][-REDELIVERED:]
        for event in redelivered:
            await by_publisher[event.publisher_id].publish(event)
    finally:
        await producer.stop()
        for n in by_publisher.values():
            await n.stop()

    # --- what came out ---------------------------------------------------------------------
    admitted = [b for b in corpus if b.admitted]  # the gate forwards them; the cases refuse
    sent_valid = Counter(
        encode(e)
        for e in valid
        for _ in range(PARTITIONS if e.event_type in BROADCAST_TYPES else 1)
    )
    sent_valid.update(encode(e) for e in redelivered)
    expected_validated = sum(sent_valid.values()) + len(admitted)
    validated = await read_topic(
        pipeline.bootstrap,
        f"{pipeline.prefix}.validated",
        until=lambda got: len(got) >= expected_validated,
        wait_s=180,
    )
    dead = await read_topic(
        pipeline.bootstrap,
        f"{pipeline.prefix}.dead-letters",
        until=lambda got: len(got) >= len(corpus),
        wait_s=60,
    )
    scraped = await _settled_metrics(
        pipeline, sum(sent_valid.values()) + len(corpus), expected_validated
    )

    # Every valid event through, as many copies as it was sent (per partition for broadcast
    # ones, twice for the re-deliveries), each admitted bad input once, and nothing else.
    got = Counter(v for _, _, v in validated)
    for sent_value, times in sent_valid.items():
        assert got[sent_value] == times, (json.loads(sent_value)["event_type"], times)
    for bad in admitted:
        assert got[bad.value] == 1, bad.kind
    assert len(validated) == expected_validated

    # Every bad input dead-lettered exactly once, with its reason and its raw bytes: by the
    # gate at its position on the county topic, or by the cases agent at its position on the
    # validated topic.
    validated_topic = f"{pipeline.prefix}.validated"
    at_validated = {(p, o): v for p, o, v in validated}
    records = [json.loads(v or b"{}") for _, _, v in dead]
    by_source = Counter(
        (d["source_topic"], d["source_partition"], d["source_offset"]) for d in records
    )
    assert all(n == 1 for n in by_source.values()), "a message was dead-lettered twice"
    table: list[tuple[str, str, str, int]] = []
    wrong: list[str] = []
    found_kinds: set[str] = set()
    for d in records:
        if d["source_topic"] == validated_topic:
            forwarded = at_validated[(d["source_partition"], d["source_offset"])]
            found = next((b for b in admitted if b.value == forwarded), None)
        else:
            found = sent_bad.get(_position(d))
        assert found is not None, f"a dead letter for a message that was not bad: {d}"
        bad = found
        found_kinds.add(bad.kind)
        table.append((bad.kind, bad.code, d["reason_code"], 1))
        if d["reason_code"] != bad.code or bad.reason_has not in d["reason"]:
            wrong.append(f"{bad.kind}: got {d['reason_code']} ({d['reason']})")
        # Kept: the bytes sent, any ID number masked, at most RAW_LIMIT of them.
        sent = bad.value or b""
        masked = sent.replace(bad.hides.encode(), b"*" * len(bad.hides))
        assert base64.b64decode(d["raw"]) == masked[:RAW_LIMIT], bad.kind
        assert d["raw_length"] == len(sent), bad.kind
        if bad.hides:
            assert bad.hides not in json.dumps(d), bad.kind
            assert d["ids_masked"] >= 1
        assert d["reason"].strip()
        assert d["reason"].isprintable(), bad.kind
    missing = sorted(b.kind for b in corpus if b.kind not in found_kinds)
    order = {b.kind: i for i, b in enumerate(corpus)}
    _print_table(sorted(table, key=lambda row: order[row[0]]), missing)
    assert not missing, f"bad inputs that never reached the dead-letter topic: {missing}"
    assert not wrong, "\n".join(wrong)

    # The counts reconcile. The gate: in = forwarded + dead-lettered. The cases agent:
    # validated in = applied + duplicates + refused.
    county_topic = f"{pipeline.prefix}.county-events"
    county_in = sum((await end_offsets(pipeline.bootstrap, county_topic)).values())
    registry_in = sum(
        (await end_offsets(pipeline.bootstrap, f"{pipeline.prefix}.registry")).values()
    )
    dead_county = sum(1 for d in records if d["source_topic"] == county_topic)
    dead_validated = sum(1 for d in records if d["source_topic"] == validated_topic)
    dead_registry = len(records) - dead_county - dead_validated
    duplicates = int(scraped["liudong_worker_duplicates_total"])
    applied = int(scraped["liudong_worker_events_applied_total"])
    print(
        f"\ncounty-events in {county_in} = forwarded {len(validated)} + dead-lettered "
        f"{dead_county}; validated in {len(validated)} = applied {applied} + duplicates "
        f"{duplicates} + refused {dead_validated}; registry in {registry_in} = admitted "
        f"{REGISTRATIONS} + dead-lettered {dead_registry}; {len({b.kind for b in corpus})} "
        f"kinds, {len(set(b.code for b in corpus))} reason codes"
    )
    assert duplicates == REDELIVERED
    assert scraped[f'liudong_worker_events_in_total{{topic="{county_topic}"}}'] == county_in
    assert scraped[f'liudong_worker_events_in_total{{topic="{validated_topic}"}}'] == len(validated)
    assert county_in == len(validated) + dead_county
    assert len(validated) == applied + duplicates + dead_validated
    assert dead_validated == len(admitted)
    assert registry_in == REGISTRATIONS + dead_registry
    assert len({b.kind for b in corpus}) >= 25


def valid_stream(
    region: CountyNode, nodes: dict[str, CountyNode], office: CountyNode
) -> list[Envelope]:
    """A tick and an agreement's two signatures (broadcast), then PERSONS outflows and their
    arrivals, half of them registered by the outposted office; all within the allowed skew."""
    origin, destination = nodes[ORIGIN], nodes[DESTINATION]
    events: list[Envelope] = [
        region.build(ClockTicked, occurred_at=T0),
        *(
            party.build(
                AgreementSigned,
                occurred_at=T0,
                agreement_id="a-610902-440306",
                origin_county=ORIGIN,
                destination_county=DESTINATION,
                effective_from=T0,
            )
            for party in (origin, destination)  # binding once both have signed
        ),
    ]
    for i in range(PERSONS):
        key = origin.person_key(bad_inputs.national_id(i))
        at = T0 + dt.timedelta(minutes=i)
        events.append(
            origin.build(
                OutflowRegistered,
                occurred_at=at,
                person_key=key,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
                reason="work",
            )
        )
        events.append(
            (destination if i % 2 else office).build(
                InflowRegistered,
                occurred_at=at + dt.timedelta(hours=1),
                person_key=key,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            )
        )
    return events


async def send_bad(
    producer: AIOKafkaProducer,
    prefix: str,
    bad: BadInput,
    sent: dict[tuple[str, int, int], BadInput],
) -> None:
    topic = f"{prefix}.{bad.topic}"
    meta = await producer.send_and_wait(topic, bad.value, key=bad.key)
    sent[(topic, meta.partition, meta.offset)] = bad


async def _settled_metrics(
    pipeline: Pipeline, county_in: int, validated_in: int
) -> dict[str, float]:
    """The worker's metrics once its gate has counted every county message and its cases
    agent every validated one."""
    url = f"http://127.0.0.1:{pipeline.metrics_port}/metrics"
    county = f'liudong_worker_events_in_total{{topic="{pipeline.prefix}.county-events"}}'
    validated = f'liudong_worker_events_in_total{{topic="{pipeline.prefix}.validated"}}'
    deadline = time.monotonic() + 60
    scraped: dict[str, float] = {}
    while time.monotonic() < deadline:
        scraped = await scrape(url)
        if scraped.get(county, 0) >= county_in and scraped.get(validated, 0) >= validated_in:
            break
        await asyncio.sleep(0.5)
    return scraped


def _position(record: dict[str, Any]) -> tuple[str, int, int]:
    return (record["source_topic"], record["source_partition"], record["source_offset"])


def _print_table(rows: list[tuple[str, str, str, int]], missing: list[str]) -> None:
    print(f"\n{'kind':<62} {'expected':<27} {'dead-lettered as':<27} n")
    for kind, want, got, n in rows:
        mark = "" if want == got else "  <-- WRONG"
        print(f"{kind:<62} {want:<27} {got:<27} {n}{mark}")
    for kind in missing:
        print(f"{kind:<62} {'':<27} {'(missing)':<27} 0")
