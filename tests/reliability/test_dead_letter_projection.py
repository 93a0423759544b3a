"""Every dead letter reaches PostgreSQL, and none keeps an ID number: real worker, real
projector, real database.

The worker refuses messages whose field names hold NUL, ESC and a lone surrogate, and one
with a raw national ID number; a dead letter with a raw NUL in its reason is written straight
to the dead-letter topic (any writer of that topic could), and an unreadable message
with NUL bytes and an ID number lands on the validated topic. The projector must store every
one: as many rows as dead letters, every reason printable, no ID number in any row.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.events.derived import DeadLettered
from contracts.events.migration import OutflowRegistered
from infra.projection.projector import Projector
from streams.admin import ensure_topics
from streams.codec import encode
from tests.integration.databases import empty_database
from tests.integration.pipeline import REGION, Pipeline
from tests.reliability.bad_inputs import DESTINATION, ORIGIN, national_id, resign
from tests.reliability.support import read_topic, register_counties

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

PARTITIONS = 2
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
RAW_ID = national_id(4242)


@pytest.fixture
async def database(pg_dsn: str) -> AsyncIterator[str]:
    async with empty_database(pg_dsn, "dlq") as dsn:
        yield dsn


async def test_every_dead_letter_is_stored_printable_and_without_id_numbers(
    kafka_bootstrap: str, tmp_path: Path, database: str
) -> None:
    pipeline = Pipeline(kafka_bootstrap, f"dl{uuid.uuid4().hex[:8]}", tmp_path, PARTITIONS)
    prefix = pipeline.prefix
    await ensure_topics(kafka_bootstrap, prefix=prefix, partitions=PARTITIONS, replication_factor=1)
    key = Ed25519PrivateKey.generate()
    region = pipeline.node(REGION, pipeline.region_key, f"{REGION}/region")
    origin = pipeline.node(ORIGIN, key)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        async with region, origin:
            await register_counties(
                region, {ORIGIN: key, DESTINATION: Ed25519PrivateKey.generate()}, T0
            )
            base = json.loads(
                encode(
                    origin.build(
                        OutflowRegistered,
                        occurred_at=T0,
                        person_key=origin.person_key(national_id(1)),
                        origin_county=ORIGIN,
                        destination_county=DESTINATION,
                    )
                )
            )
        pipeline.start_worker()
        refused = [
            resign({**base, "a\x00b\x1b[31m": 1}, key),  # NUL and ESC in a field name
            {**base, "\ud800": 1},  # a lone surrogate (no UTF-8 for it: it cannot be signed)
            resign({**base, "national_id": RAW_ID}, key),  # a raw number, by mistake
        ]
        county_topic = f"{prefix}.county-events"
        for obj in refused:
            data = json.dumps(obj).encode()  # ASCII: the surrogate as an escape
            await producer.send_and_wait(county_topic, data, key=b"k", partition=0)
        # Written by some other hand than the gate: NUL in the reason.
        old = DeadLettered(
            event_id=uuid.uuid4(),
            schema_version=1,
            occurred_at=T0,
            recorded_at=T0,
            source_county=REGION,
            publisher_id=f"{REGION}/gate",
            correlation_id=uuid.uuid4(),
            reason_code="invalid_fields",
            reason="x\x00y: Extra inputs are not permitted",
            raw=base64.b64encode(b"{}").decode(),
            source_topic=county_topic,
            source_partition=1,
            source_offset=999,
        )
        await producer.send_and_wait(f"{prefix}.dead-letters", encode(old), partition=1)
        # Unreadable on a projected topic: NUL bytes and a raw number.
        junk = b"\x00\x00" + RAW_ID.encode() + b"\x00"
        await producer.send_and_wait(f"{prefix}.validated", junk, partition=1)
        dead = await read_topic(
            kafka_bootstrap, f"{prefix}.dead-letters", until=lambda m: len(m) >= 4, wait_s=120
        )
    finally:
        await producer.stop()
        pipeline.stop_workers()

    await Projector(database, kafka_bootstrap, prefix).catch_up(60)
    conn = await asyncpg.connect(database)
    try:
        rows = await conn.fetch(
            "SELECT reason_code, reason, raw, detected_by FROM dead_letters ORDER BY reason"
        )
        archived = await conn.fetchval(
            "SELECT count(*) FROM events WHERE event_type = 'dead_lettered'"
        )
        payloads = await conn.fetch("SELECT payload::text AS p FROM events")
    finally:
        await conn.close()
    for row in rows:
        print(f"\n{row['detected_by']:9} {row['reason_code']:16} {row['reason'][:90]}")
    assert len(dead) == 4
    assert archived == 4
    assert len(rows) == 5  # the 4 dead letters and the projector's own unreadable message
    assert all(row["reason"].isprintable() for row in rows)
    reasons = " | ".join(row["reason"] for row in rows)
    assert "a\\x00b\\x1b[31m" in reasons
    assert "Invalid JSON" in reasons  # pydantic's JSON reader refuses a lone surrogate
    assert "x\\x00y" in reasons
    assert [row["detected_by"] for row in rows].count("projector") == 1
    for row in rows:
        assert RAW_ID.encode() not in bytes(row["raw"])
    assert not [p["p"] for p in payloads if RAW_ID in p["p"]]
