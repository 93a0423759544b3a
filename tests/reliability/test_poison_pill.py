"""No message can wedge the gate: a real worker on the real broker, fed the largest messages
and the most hostile topic configurations.

* A message of 1,000,000 bytes on a county topic that (misconfigured) accepts it: the gate
  dead-letters it in bounded form and goes on; control events behind it, on its partition
  and on another, are admitted within seconds.
* The catalog's own limits: the broker refuses at the door a record the gate could never
  admit; the dead-letter topic takes the largest dead letter the gate can write.
* A dead-letter topic that refuses every dead letter (misconfigured): the worker exits with
  one line and status 3, and the outputs of the batch the broker acknowledged are not sent
  twice.
* A dead-letter topic deleted under a running worker (a send error that might pass): the
  dead letter is retried alone, never the outputs already acknowledged, and SIGTERM still
  stops the worker within ``STOP_GRACE_S``.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import MessageSizeTooLargeError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.events.migration import OutflowRegistered
from entrypoints.worker import STOP_GRACE_S
from streams import dead_letters, topics
from streams.admin import ensure_topics
from streams.codec import DEFAULT_MAX_BYTES, encode
from streams.county_node import CountyNode
from tests.integration.pipeline import REGION, Pipeline
from tests.reliability.bad_inputs import DESTINATION, ORIGIN, national_id
from tests.reliability.support import read_topic, register_counties

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

PARTITIONS = 3
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
HUGE = 1_000_000
ADMITTED_WITHIN_S = 20.0  # "within seconds", on a shared 2-core machine


@pytest.fixture
def pipeline(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Pipeline]:
    p = Pipeline(kafka_bootstrap, f"pp{uuid.uuid4().hex[:8]}", tmp_path, PARTITIONS)
    try:
        yield p
    finally:
        p.stop_workers()


async def create_topic(bootstrap: str, name: str, config: dict[str, str]) -> None:
    """One topic made by hand, before ensure_topics makes the rest as the catalog says."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, PARTITIONS, 1, topic_configs=config)])
    finally:
        await admin.close()


async def topic_config(bootstrap: str, name: str) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
    finally:
        await admin.close()
    [resource] = response.resources
    return {entry[0]: entry[1] for entry in resource[4]}


async def registered_origin(pipeline: Pipeline) -> CountyNode:
    """汉滨区 and 宝安区 registered; 汉滨区's node started (the caller stops it)."""
    keys = {code: Ed25519PrivateKey.generate() for code in (ORIGIN, DESTINATION)}
    region = pipeline.node(REGION, pipeline.region_key, f"{REGION}/region")
    async with region:
        await register_counties(region, keys, T0)
    origin = pipeline.node(ORIGIN, keys[ORIGIN])
    await origin.start()
    return origin


def outflow(origin: CountyNode, n: int) -> OutflowRegistered:
    return origin.build(
        OutflowRegistered,
        occurred_at=T0 + dt.timedelta(minutes=n),
        person_key=origin.person_key(national_id(n)),
        origin_county=ORIGIN,
        destination_county=DESTINATION,
        reason="work",
    )


async def produce(
    bootstrap: str, topic: str, value: bytes, partition: int, key: bytes = b"k"
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=2 * HUGE)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, partition=partition)
    finally:
        await producer.stop()


def ids_on(messages: list[tuple[int, int, bytes | None]]) -> list[str]:
    return [json.loads(v or b"{}").get("event_id", "") for _, _, v in messages]


async def wait_for_ids(
    pipeline: Pipeline, wanted: set[str], wait_s: float
) -> tuple[list[tuple[int, int, bytes | None]], float]:
    """The validated topic once it holds every id in ``wanted``, and how long that took."""
    started = time.monotonic()
    got = await read_topic(
        pipeline.bootstrap,
        f"{pipeline.prefix}.validated",
        until=lambda m: wanted <= set(ids_on(m)),
        wait_s=wait_s,
    )
    return got, time.monotonic() - started


async def test_a_million_byte_message_is_dead_lettered_bounded_and_nothing_waits(
    pipeline: Pipeline,
) -> None:
    county_topic = f"{pipeline.prefix}.county-events"
    # Misconfigured: the county topic takes far more than the gate admits.
    await create_topic(pipeline.bootstrap, county_topic, {"max.message.bytes": str(2 * HUGE)})
    await ensure_topics(
        pipeline.bootstrap, prefix=pipeline.prefix, partitions=PARTITIONS, replication_factor=1
    )
    origin = await registered_origin(pipeline)
    try:
        pipeline.start_worker()
        warm_up = outflow(origin, 0)
        await origin.publish(warm_up)
        await wait_for_ids(pipeline, {str(warm_up.event_id)}, 120)

        signed = json.loads(encode(outflow(origin, 1)))
        head = json.dumps({**signed, "remarks": ""}).encode()
        signed["remarks"] = "x" * (HUGE - len(head))
        huge = json.dumps(signed).encode()
        assert len(huge) == HUGE
        await produce(pipeline.bootstrap, county_topic, huge, partition=0)
        behind = [outflow(origin, 2), outflow(origin, 3)]
        sent_at = time.monotonic()
        for partition, event in zip((0, 1), behind, strict=True):
            await produce(
                pipeline.bootstrap,
                county_topic,
                encode(event),
                partition,
                key=event.person_key.encode(),
            )
        _, waited = await wait_for_ids(pipeline, {str(e.event_id) for e in behind}, 60)
        waited_since_sent = time.monotonic() - sent_at
    finally:
        await origin.stop()

    dead = await read_topic(
        pipeline.bootstrap,
        f"{pipeline.prefix}.dead-letters",
        until=lambda m: len(m) >= 1,
        wait_s=30,
    )
    [(_, _, value)] = dead
    record = json.loads(value or b"{}")
    kept = base64.b64decode(record["raw"])
    print(
        f"\n1,000,000-byte message: dead letter of {len(value or b'')} bytes (raw kept "
        f"{len(kept)} of {record['raw_length']}); the control events behind it admitted "
        f"{waited_since_sent:.1f} s after they were sent"
    )
    assert record["reason_code"] == "oversize"
    assert record["raw_length"] == HUGE
    assert record["raw_sha256"] == hashlib.sha256(huge).hexdigest()
    assert kept == huge[: dead_letters.RAW_LIMIT]
    assert (record["source_topic"], record["source_partition"]) == (county_topic, 0)
    assert len(value or b"") < 2 * dead_letters.RAW_LIMIT
    assert waited_since_sent <= ADMITTED_WITHIN_S, f"control admitted after {waited:.1f} s"
    log = (pipeline.home / "worker.log").read_text()
    assert "output_send_retry" not in log
    assert "output_refused" not in log
    assert pipeline.process is not None
    assert pipeline.process.poll() is None


async def test_the_catalog_limits_refuse_at_the_broker_what_the_gate_never_admits(
    pipeline: Pipeline,
) -> None:
    await ensure_topics(
        pipeline.bootstrap, prefix=pipeline.prefix, partitions=PARTITIONS, replication_factor=1
    )
    county_topic = topics.COUNTY_EVENTS.full_name(pipeline.prefix)
    limits = {
        spec.name: int(
            (await topic_config(pipeline.bootstrap, spec.full_name(pipeline.prefix)))[
                "max.message.bytes"
            ]
        )
        for spec in topics.CATALOG
    }
    print(f"\nmax.message.bytes: {limits}")
    assert limits["county-events"] == DEFAULT_MAX_BYTES + topics.RECORD_OVERHEAD_BYTES
    assert limits["registry"] == DEFAULT_MAX_BYTES + topics.RECORD_OVERHEAD_BYTES
    assert limits["validated"] >= topics.WORKER_BATCH_BYTES
    assert limits["dead-letters"] >= topics.WORKER_BATCH_BYTES

    with pytest.raises(MessageSizeTooLargeError):
        await produce(pipeline.bootstrap, county_topic, b"x" * (DEFAULT_MAX_BYTES + 2048), 0)
    # The largest event the gate admits still goes through.
    await produce(pipeline.bootstrap, county_topic, b"x" * DEFAULT_MAX_BYTES, 0)
    # And the largest dead letter the gate writes fits its topic.
    largest = largest_dead_letter()
    assert len(largest) < limits["dead-letters"]
    await produce(
        pipeline.bootstrap, topics.DEAD_LETTERS.full_name(pipeline.prefix), largest, partition=0
    )


def largest_dead_letter() -> bytes:
    """A dead letter with as much raw as is kept and the longest reason, in 4-byte characters."""
    source = dead_letters.Source("x" * 120, 2**31 - 1, 2**62, T0)
    record = dead_letters.record(
        source,
        b"\xff" * (10 * dead_letters.RAW_LIMIT),
        "a" * 128,
        "\U0001f600" * 10_000,
        region_code=REGION,
        publisher_id="x" * 128,
    )
    return encode(record)


async def test_a_dead_letter_topic_refusing_every_record_stops_the_worker_with_one_line(
    pipeline: Pipeline,
) -> None:
    # Misconfigured: no dead letter fits.
    await create_topic(
        pipeline.bootstrap, f"{pipeline.prefix}.dead-letters", {"max.message.bytes": "200"}
    )
    await ensure_topics(
        pipeline.bootstrap, prefix=pipeline.prefix, partitions=PARTITIONS, replication_factor=1
    )
    origin = await registered_origin(pipeline)
    valid = [outflow(origin, n) for n in range(4)]
    try:
        # All waiting before the worker starts: the gate takes them in few batches.
        await origin.publish_many(valid[:2])
        await produce(pipeline.bootstrap, f"{pipeline.prefix}.county-events", b"{", 0)
        await origin.publish_many(valid[2:])
    finally:
        await origin.stop()
    pipeline.start_worker()
    process = pipeline.process
    assert process is not None
    status = await asyncio.to_thread(process.wait, 120)
    validated = await read_topic(
        pipeline.bootstrap, f"{pipeline.prefix}.validated", until=lambda m: False, wait_s=0
    )
    lines = (pipeline.home / "worker.log").read_text().splitlines()
    exiting = [json.loads(line) for line in lines if "worker_exiting_output_refused" in line]
    copies = ids_on(validated)
    print(
        f"\nexit status {status}; {len(exiting)} exit line: {exiting[0] if exiting else None}; "
        f"validated holds {len(copies)} records for {len(valid)} valid events"
    )
    assert status == 3
    assert len(exiting) == 1
    assert exiting[0]["topic"] == f"{pipeline.prefix}.dead-letters"
    assert "MessageSizeTooLargeError" in exiting[0]["error"]
    assert len(copies) == len(set(copies)), "an acknowledged output was sent again"
    assert "output_send_retry" not in "\n".join(lines)


async def publish_with_a_bad_one(pipeline: Pipeline, origin: CountyNode) -> list[OutflowRegistered]:
    """Four valid outflows and, between them, one message the gate refuses."""
    valid = [outflow(origin, n) for n in range(4)]
    await origin.publish_many(valid[:2])
    await produce(pipeline.bootstrap, f"{pipeline.prefix}.county-events", b"{", 0)
    await origin.publish_many(valid[2:])
    return valid


async def log_shows(path: Path, fragments: tuple[str, ...], times: int, wait_s: float) -> int:
    """How many lines of the log at ``path`` hold every one of ``fragments``, once ``times``
    do (or the time is up)."""
    for _ in range(int(wait_s)):
        if _count(path, fragments) >= times:
            break
        await asyncio.sleep(1)
    return _count(path, fragments)


def _count(path: Path, fragments: tuple[str, ...]) -> int:
    return sum(1 for line in path.read_text().splitlines() if all(f in line for f in fragments))


async def sigterm(pipeline: Pipeline) -> tuple[int, float]:
    """SIGTERM to the worker: its exit status and how long it took to exit."""
    process = pipeline.process
    assert process is not None
    stopped_at = time.monotonic()
    process.terminate()
    status = await asyncio.to_thread(process.wait, STOP_GRACE_S + 15)
    return status, time.monotonic() - stopped_at


def log_records(path: Path, event: str) -> list[dict[str, Any]]:
    lines = path.read_text().splitlines()
    return [
        r
        for r in (json.loads(line) for line in lines if line.startswith("{"))
        if r.get("event") == event
    ]


async def test_a_send_retried_resends_nothing_else_and_sigterm_still_stops(
    pipeline: Pipeline,
) -> None:
    await ensure_topics(
        pipeline.bootstrap, prefix=pipeline.prefix, partitions=PARTITIONS, replication_factor=1
    )
    # The worker checks its topics when it starts: once it has admitted a first event it is
    # past that check, and the dead-letter topic is taken away under it. Every send of a
    # dead letter then fails (metadata never comes), an error that could pass, so it is
    # retried.
    pipeline.start_worker()
    origin = await registered_origin(pipeline)
    try:
        first = outflow(origin, 10)
        await origin.publish(first)
        await wait_for_ids(pipeline, {str(first.event_id)}, 120)
        admin = AIOKafkaAdminClient(bootstrap_servers=pipeline.bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([f"{pipeline.prefix}.dead-letters"])
        finally:
            await admin.close()
        valid = [first, *await publish_with_a_bad_one(pipeline, origin)]
    finally:
        await origin.stop()
    log_path = pipeline.home / "worker.log"
    await log_shows(log_path, ("output_send_retry", f"{pipeline.prefix}.dead-letters"), 2, 150)
    status, took = await sigterm(pipeline)
    after = await read_topic(
        pipeline.bootstrap, f"{pipeline.prefix}.validated", until=lambda m: False, wait_s=0
    )
    dead_letter_topic = f"{pipeline.prefix}.dead-letters"
    retried = [
        r for r in log_records(log_path, "output_send_retry") if dead_letter_topic in r["topics"]
    ]
    print(
        f"\n{len(retried)} retries of the dead letter "
        f"({retried[-1]['error'] if retried else ''}); "
        f"validated {len(ids_on(after))} records for {len(valid)} events; "
        f"SIGTERM to exit {took:.1f} s (status {status})"
    )
    # Only what failed is sent again: at the end the dead letter alone, and no forwarded
    # event twice on the validated topic.
    assert len(retried) >= 2
    assert (retried[-1]["topics"], retried[-1]["records"]) == (dead_letter_topic, 1)
    assert sorted(ids_on(after)) == sorted(str(e.event_id) for e in valid)
    assert took <= STOP_GRACE_S + 5
