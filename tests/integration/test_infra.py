"""The real components start, answer, and survive the faults later tests inject."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from entrypoints.kafka_cmd import cmd_kafka_status, cmd_kafka_stop
from infra.kafka.cluster import KafkaCluster
from infra.kafka.detached import cluster_status, process_running, process_start_time
from infra.kafka.layout import KafkaClusterError, Layout, new_cluster_id, new_layout
from infra.kafka.node_config import server_properties
from infra.kafka.ports import port_is_free
from infra.postgres import EmbeddedPostgres
from infra.settings import Settings

# -- pure helpers (no processes) ------------------------------------------------------------


def test_cluster_id_is_22_char_urlsafe_base64() -> None:
    cid = new_cluster_id()
    assert len(cid) == 22
    assert set(cid) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_three_node_properties_use_a_static_quorum_and_rf3(tmp_path: Path) -> None:
    layout = new_layout(3)
    props = server_properties(layout.nodes[1], layout, tmp_path)
    voters = props["controller.quorum.voters"].split(",")
    assert [v.split("@")[0] for v in voters] == ["1", "2", "3"]
    assert all(v.split("@")[1].startswith("127.0.0.1:") for v in voters)
    assert props["node.id"] == "2"
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert Layout.from_json(layout.to_json()) == layout


def test_single_node_properties_fit_one_broker(tmp_path: Path) -> None:
    layout = new_layout(1)
    props = server_properties(layout.nodes[0], layout, tmp_path)
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.min.isr"] == "1"
    assert props["auto.create.topics.enable"] == "false"
    assert props["num.partitions"] == "6"


def test_layout_with_another_node_count_is_refused(tmp_path: Path) -> None:
    (tmp_path / "layout.json").write_text(new_layout(1).to_json())
    with pytest.raises(KafkaClusterError, match="1-node cluster"):
        KafkaCluster(tmp_path, nodes=3).start()


# -- helpers ----------------------------------------------------------------------------------


async def create_topic(bootstrap: str, name: str, partitions: int, replicas: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, replicas)])
    finally:
        await admin.close()


async def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, request_timeout_ms=30000
    )
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


async def consume(bootstrap: str, topic: str, count: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"g-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        got: list[bytes] = []
        while len(got) < count:
            msg = await asyncio.wait_for(consumer.getone(), timeout=30)
            assert msg.value is not None
            got.append(msg.value)
        return got
    finally:
        await consumer.stop()


async def fetch_val(dsn: str, sql: str) -> object:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


# -- single-node Kafka and PostgreSQL through the session fixtures ------------------------


@pytest.mark.integration
async def test_kafka_round_trip(kafka_bootstrap: str) -> None:
    topic = f"infra-{uuid.uuid4().hex[:8]}"
    await create_topic(kafka_bootstrap, topic, partitions=1, replicas=1)
    await produce(kafka_bootstrap, topic, [b"one", b"two"])
    assert await consume(kafka_bootstrap, topic, 2) == [b"one", b"two"]


@pytest.mark.integration
async def test_postgres_select_one(pg_dsn: str) -> None:
    assert await fetch_val(pg_dsn, "SELECT 1") == 1


@pytest.mark.integration
async def test_postgres_table_round_trip(pg_dsn: str) -> None:
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute("CREATE TABLE infra_probe (id int PRIMARY KEY, note text NOT NULL)")
        await conn.execute("INSERT INTO infra_probe VALUES ($1, $2)", 7, "seven")
        assert await conn.fetchval("SELECT note FROM infra_probe WHERE id = 7") == "seven"
    finally:
        await conn.execute("DROP TABLE IF EXISTS infra_probe")
        await conn.close()


@pytest.mark.integration
async def test_postgres_restart_keeps_data_and_dsn(pg_server: EmbeddedPostgres) -> None:
    dsn = pg_server.dsn()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')")
    finally:
        await conn.close()

    await asyncio.to_thread(pg_server.stop_server)
    assert not pg_server.running
    with pytest.raises((OSError, asyncpg.PostgresError)):
        await fetch_val(dsn, "SELECT 1")

    await asyncio.to_thread(pg_server.start_server)
    assert pg_server.dsn() == dsn
    assert await fetch_val(dsn, "SELECT v FROM kept") == "survives"


# -- three nodes: one crashes, acks=all keeps working, it comes back ------------------------


@pytest.mark.integration
@pytest.mark.timeout(150)
async def test_three_nodes_survive_one_crash(kafka_cluster3: KafkaCluster) -> None:
    bootstrap = kafka_cluster3.bootstrap_servers
    assert len(bootstrap.split(",")) == 3
    topic = f"rf3-{uuid.uuid4().hex[:8]}"
    await create_topic(bootstrap, topic, partitions=3, replicas=3)
    await produce(bootstrap, topic, [b"before"])

    await asyncio.to_thread(kafka_cluster3.kill_node, 0)
    assert kafka_cluster3.pids()[1] is None
    await produce(bootstrap, topic, [b"during"])  # min.insync.replicas=2 of the 2 left

    await asyncio.to_thread(kafka_cluster3.start_node, 0)
    assert kafka_cluster3.pids()[1] is not None
    await produce(bootstrap, topic, [b"after"])
    assert await consume(bootstrap, topic, 3) == [b"before", b"during", b"after"]


# -- CLI: start detached from another process, then status and stop from this one ----------


@pytest.mark.integration
def test_cli_start_status_stop(kafka_jars: Path, tmp_path: Path, infra_settings: Settings) -> None:
    # Reuse the jar cache; the cluster's data and state go to a private home.
    home = tmp_path / "home"
    (home / "cache").mkdir(parents=True)
    (home / "cache" / f"kafka-{infra_settings.kafka_version}").symlink_to(
        infra_settings.cache_dir / f"kafka-{infra_settings.kafka_version}"
    )
    settings = Settings(home=home)
    env = {**os.environ, "LIUDONG_HOME": str(home)}
    code = (
        "import sys; from entrypoints.kafka_cmd import cmd_kafka_start; "
        "from infra.settings import Settings; sys.exit(cmd_kafka_start(Settings(), 1))"
    )
    started = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    try:
        assert started.returncode == 0, started.stderr
        assert "bootstrap 127.0.0.1:" in started.stdout
        state = json.loads((settings.run_dir / "kafka.json").read_text())
        assert set(state) >= {"pids", "broker_ports", "data_dir", "bootstrap"}
        assert cmd_kafka_status(settings) == 0
        begun = {int(pid): process_start_time(int(pid)) for pid in state["pids"].values()}
        ports = [*state["broker_ports"].values(), *state["controller_ports"].values()]
    finally:
        assert cmd_kafka_stop(settings) == 0
    # Returned only once the broker is gone: no thread left running, no port listening (a
    # zombie may linger until its parent, not us, reaps it).
    assert not [pid for pid, at in begun.items() if process_running(pid, at)]
    assert all(port_is_free(port) for port in ports)
    assert cluster_status(settings) is None
    assert cmd_kafka_status(settings) == 1
