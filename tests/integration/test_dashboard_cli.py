"""``liudong dashboard add-user``, the demo's dashboard and the lag probe without a broker."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiokafka.protocol.admin import (
    ApiVersionResponse_v0,
    ApiVersionResponse_v1,
    ApiVersionResponse_v2,
)

from dashboard.demo_setup import start_demo_dashboard
from dashboard.lag import LagProbe
from entrypoints.dashboard_cmd import cmd_add_user
from tests.integration.test_dashboard_fixtures import fresh_database

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
async def dsn(pg_dsn: str) -> AsyncIterator[str]:
    async with fresh_database(pg_dsn) as database:
        yield database


async def test_add_user_creates_then_updates(dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await cmd_add_user(dsn, "ops", "first password", "county", "610921") == 0
    assert "created county operator ops for 610921" in capsys.readouterr().out
    assert await cmd_add_user(dsn, "ops", "second password", "region", None) == 0
    assert "updated region operator ops" in capsys.readouterr().out
    assert await cmd_add_user(dsn, "ops", "short", "region", None) == 2
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow("SELECT * FROM dashboard_users WHERE username = 'ops'")
    finally:
        await conn.close()
    assert row["role"] == "region"
    assert row["county"] is None
    assert row["password_hash"].startswith("scrypt$")
    assert "second password" not in row["password_hash"]


async def test_demo_dashboard_signs_in_its_operators(dsn: str) -> None:
    demo = await start_demo_dashboard(dsn, None)
    try:
        assert demo.lines()[0] == f"dashboard at {demo.server.url}"
        async with aiohttp.ClientSession() as session:
            for user, password in demo.passwords.items():
                async with session.post(
                    f"{demo.server.url}api/login", json={"username": user, "password": password}
                ) as r:
                    assert r.status == 200
    finally:
        await demo.server.stop()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_lag_is_unavailable_while_kafka_is_down() -> None:
    probe = LagProbe(f"127.0.0.1:{_closed_port()}", timeout_s=1.0)
    lag = await probe.probe({("liudong.validated", 0): 3})
    assert lag["available"] is False
    assert "kafka unreachable" in lag["reason"]
    assert (await LagProbe(None).probe({}))["reason"] == "kafka not configured"


async def _answer_versions_then_stay_silent(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """A broker too busy to answer: it answers the client's API-versions handshake, then
    reads every later request (the bootstrap's metadata request) without answering."""
    size = struct.unpack(">i", await reader.readexactly(4))[0]
    request = await reader.readexactly(size)
    api_key, api_version, correlation_id = struct.unpack(">hhi", request[:8])
    assert api_key == ApiVersionResponse_v0.API_KEY
    versions = [(key, 0, 12) for key in range(70)]
    response_type = (ApiVersionResponse_v0, ApiVersionResponse_v1, ApiVersionResponse_v2)
    if api_version == 0:
        body = response_type[0](error_code=0, api_versions=versions).encode()
    else:
        body = response_type[min(api_version, 2)](
            error_code=0, api_versions=versions, throttle_time_ms=0
        ).encode()
    payload = struct.pack(">i", correlation_id) + body
    writer.write(struct.pack(">i", len(payload)) + payload)
    await writer.drain()
    while await reader.read(65536):
        pass  # never answered


async def test_lag_is_unavailable_from_a_broker_that_never_answers() -> None:
    """The probe gives up within its own timeouts and leaves no connection open behind it
    (a client start cancelled while it waits for the bootstrap metadata would leave that
    connection open, one socket per probe while the broker is slow)."""
    ended: list[asyncio.Task[Any]] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None  # a handler always runs in a task
        ended.append(task)
        try:
            await _answer_versions_then_stay_silent(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    probe = LagProbe(f"127.0.0.1:{port}", timeout_s=0.5)
    try:
        began = time.monotonic()
        lag = await probe.probe({("liudong.validated", 0): 3})
        took = time.monotonic() - began
        assert lag["available"] is False
        assert "kafka unreachable" in lag["reason"]
        assert ended  # it connected, shook hands and asked for metadata that never came
        assert took < 10  # bounded by the probe's own timeouts, not the client's 40 s
        # The probe closed its side of every connection: each server task saw the end.
        await asyncio.wait_for(asyncio.gather(*ended), 5)
    finally:
        server.close()
        await server.wait_closed()


async def test_lag_against_the_real_broker(kafka_bootstrap: str) -> None:
    import uuid

    from aiokafka import AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    topic = f"dash-lag-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for i in range(5):
            await producer.send_and_wait(topic, f"m{i}".encode(), partition=0)
    finally:
        await producer.stop()
    lag = await LagProbe(kafka_bootstrap, timeout_s=10.0).probe({(topic, 0): 2})
    assert lag == {"available": True, "total": 3, "by_topic": {topic: 3}}
