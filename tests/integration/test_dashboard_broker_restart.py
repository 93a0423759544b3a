"""The dashboard while its Kafka broker is killed and restarted: it keeps serving, says so.

A private one-node broker holds the topics the seeded projection has positions for. The
dashboard's views read PostgreSQL and keep answering; its lag figure (the one thing it asks
Kafka for) turns "unavailable" while the broker is down and comes back when it restarts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from infra.kafka.cluster import KafkaCluster
from infra.settings import Settings
from tests.integration.test_dashboard_api import Client
from tests.integration.test_dashboard_fixtures import (
    OBLIGATIONS,
    VALIDATED,
    fresh_database,
    running_dashboard,
    seed,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


@pytest.fixture
def broker(kafka_jars: Path, infra_settings: Settings, tmp_path: Path) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(tmp_path / "kafka", nodes=1, settings=infra_settings)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


async def topics_with_messages(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(t, num_partitions=1, replication_factor=1) for t in (VALIDATED, OBLIGATIONS)]
        )
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for i in range(12):  # the seeded positions are 10 and 5: lag 2 + 7
            await producer.send_and_wait(VALIDATED, f"v{i}".encode(), partition=0)
            await producer.send_and_wait(OBLIGATIONS, f"o{i}".encode(), partition=0)
    finally:
        await producer.stop()


@pytest.fixture
async def dashboard(pg_dsn: str, broker: KafkaCluster) -> AsyncIterator[Client]:
    await topics_with_messages(broker.bootstrap_servers)
    async with fresh_database(pg_dsn) as database:
        conn = await asyncpg.connect(database)
        try:
            await seed(conn)
        finally:
            await conn.close()
        async with (
            running_dashboard(database, kafka_bootstrap=broker.bootstrap_servers) as server,
            aiohttp.ClientSession() as session,
        ):
            yield Client(session, server)


async def lag_until(client: Client, token: str, available: bool, within_s: float) -> Any:
    deadline = time.monotonic() + within_s
    while True:
        status, body = await client.get("/api/throughput", token)
        assert status == 200
        if body["lag"] is not None and body["lag"]["available"] is available:
            return body["lag"]
        if time.monotonic() > deadline:
            raise AssertionError(f"lag never became available={available}: {body['lag']}")
        await asyncio.sleep(0.5)


async def test_the_dashboard_keeps_serving_through_a_broker_restart(
    dashboard: Client, broker: KafkaCluster
) -> None:
    token = await dashboard.token("region")
    up = await lag_until(dashboard, token, True, 60)
    assert up["total"] == 2 + 7

    await asyncio.to_thread(broker.kill_node, 0)
    started = time.monotonic()
    down = await lag_until(dashboard, token, False, 60)
    assert "kafka unreachable" in down["reason"]  # what the page shows while it reconnects
    status, summary = await dashboard.get("/api/summary", token)
    assert status == 200  # the views read PostgreSQL: unaffected
    assert summary["db"] == "ok"

    await asyncio.to_thread(broker.start_node, 0)
    back = await lag_until(dashboard, token, True, 90)
    assert back["total"] == 2 + 7
    took = time.monotonic() - started
    print(f"\nbroker killed and restarted: lag unavailable, then 9 again, after {took:.1f} s")
