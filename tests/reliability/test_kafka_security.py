"""Kafka security on the real broker: SASL/SCRAM over TLS, ACLs enforced, nobody else let in.

One secure KRaft node (infra.kafka.secure_broker): an admin super user, a county principal
that may only write ``<prefix>.county-events``, and a worker principal with what the Faust
worker needs. The county node publishes over TLS; the same credentials are refused anywhere
else; a wrong password, an untrusted certificate and a PLAINTEXT client are all refused; a
real ``liudong worker`` authenticates as the worker and forwards the county's event.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient
from aiokafka.conn import create_conn
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
)
from aiokafka.protocol.metadata import MetadataRequest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.events.clock import ClockTicked
from contracts.events.migration import OutflowRegistered
from contracts.events.registry import CountyRegistered
from contracts.identity import check_char
from infra.kafka.client_security import aiokafka_options, ssl_context
from infra.kafka.cluster import HOST, KafkaCluster, KafkaClusterError
from infra.kafka.jars import KafkaSetupError
from infra.kafka.secure_broker import (
    AclRule,
    ScramUser,
    SecureBrokerError,
    SecurityConfig,
    create_acls,
)
from infra.settings import Settings
from streams import topics
from streams.admin import ensure_topics
from streams.county_node import CountyNode
from streams.signing import public_key_b64
from tests.conftest import unavailable

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]

PREFIX = "sec"
PARTITIONS = 2
REGION = "610900"
COUNTY = "610902"
SECRET = b"security-test-secret"
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
COUNTY_EVENTS = topics.COUNTY_EVENTS.full_name(PREFIX)
VALIDATED = topics.VALIDATED.full_name(PREFIX)
WORKERS_GROUP = f"{PREFIX}-workers"
FAST = {"request_timeout_ms": 5000, "retry_backoff_ms": 100}
# Kafka's error codes
UNKNOWN_TOPIC, TOPIC_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED = 3, 29, 31


@dataclass(frozen=True)
class SecureKafka:
    cluster: KafkaCluster
    security: SecurityConfig
    county: ScramUser
    worker: ScramUser
    started_s: float
    acls_s: float

    @property
    def bootstrap(self) -> str:
        return self.cluster.bootstrap_servers

    def settings(self, user: ScramUser, password: str | None = None) -> Settings:
        return Settings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_username=user.name,
            kafka_sasl_password=password or user.password,
            kafka_ssl_cafile=self.cluster.ca_file,
        )

    def options(self, user: ScramUser, password: str | None = None) -> dict[str, Any]:
        return aiokafka_options(self.settings(user, password))


def _rules(county: str, worker: str) -> list[AclRule]:
    catalog = {spec.name: spec.full_name(PREFIX) for spec in topics.CATALOG}
    outputs = ("validated", "dead-letters", "obligations", "alerts", "scorecards")
    return [
        # The county node: write its events, and nothing else (no Read anywhere).
        AclRule(county, ("Write", "Describe"), topics=(COUNTY_EVENTS,)),
        # The worker: read its inputs in its consumer group, write its outputs, own its
        # table changelogs (created up front, so Create is never needed).
        AclRule(
            worker,
            ("Read", "Describe"),
            topics=(catalog["county-events"], catalog["registry"], VALIDATED),
            groups=(WORKERS_GROUP,),
        ),
        AclRule(worker, ("Write", "Describe"), topics=tuple(catalog[o] for o in outputs)),
        AclRule(worker, ("All",), topics=(f"{WORKERS_GROUP}-",), prefixed=True),
    ]


@pytest.fixture(scope="module")
def secure_kafka(
    kafka_jars: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecureKafka]:
    county = ScramUser(f"county-{COUNTY}", uuid.uuid4().hex)
    worker = ScramUser("worker", uuid.uuid4().hex)
    security = SecurityConfig.generated(county, worker)
    cluster = KafkaCluster(tmp_path_factory.mktemp("kafka-secure"), security=security)
    began = time.monotonic()
    try:
        cluster.start()
    except (KafkaSetupError, KafkaClusterError, OSError) as exc:
        unavailable("kafka (secure)", exc)
    started = time.monotonic() - began
    try:
        began = time.monotonic()
        cluster.create_acls(_rules(county.name, worker.name))
        yield SecureKafka(cluster, security, county, worker, started, time.monotonic() - began)
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
async def topics_ready(secure_kafka: SecureKafka) -> None:
    await ensure_topics(
        secure_kafka.bootstrap,
        prefix=PREFIX,
        partitions=PARTITIONS,
        replication_factor=1,
        client_options=secure_kafka.cluster.admin_client_options(),
    )


async def metadata_errors(
    bootstrap: str, options: dict[str, Any], names: list[str]
) -> dict[str, int]:
    """The broker's error code for each topic in a Metadata answer to this principal."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap, **FAST, **options)
    await client.bootstrap()
    try:
        answer = await client.send(client.get_random_node(), MetadataRequest(names, False))
    finally:
        await client.close()
    # Entries are tuples: (error_code, topic, is_internal, partitions).
    return {topic: code for code, topic, *_ in answer.topics}


def an_id(n: int) -> str:
    first17 = f"610902{1980 + n % 30:04d}0101{n % 1000:03d}"
    return first17 + check_char(first17)


def county_node(kafka: SecureKafka, key: Ed25519PrivateKey) -> CountyNode:
    return CountyNode(
        county=COUNTY,
        private_key=key,
        person_key_secret=SECRET,
        bootstrap_servers=kafka.bootstrap,
        topic_prefix=PREFIX,
        client_options=kafka.options(kafka.county),
    )


def outflow(node: CountyNode, n: int) -> OutflowRegistered:
    return node.build(
        OutflowRegistered,
        occurred_at=T0 + dt.timedelta(minutes=n),  # within the allowed clock skew
        person_key=node.person_key(an_id(n)),
        origin_county=COUNTY,
        destination_county="440306",
    )


async def read_ids(
    bootstrap: str, topic: str, options: dict[str, Any], want: set[str], wait_s: float
) -> set[str]:
    """Event ids seen on ``topic`` (from the start, no group) until ``want`` are all there."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **FAST, **options
    )
    await consumer.start()
    seen: set[str] = set()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + wait_s
        while not want <= seen and time.monotonic() < deadline:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                seen.update(json.loads(m.value)["event_id"] for m in messages if m.value)
    finally:
        await consumer.stop()
    return seen


async def test_county_node_publishes_over_sasl_ssl(
    secure_kafka: SecureKafka, topics_ready: None
) -> None:
    node = county_node(secure_kafka, Ed25519PrivateKey.generate())
    events = [outflow(node, n) for n in range(5)]
    began = time.monotonic()
    async with node:
        assert await node.publish_many(events) == len(events)
    took = time.monotonic() - began
    want = {str(e.event_id) for e in events}
    admin = secure_kafka.cluster.admin_client_options()
    seen = await read_ids(secure_kafka.bootstrap, COUNTY_EVENTS, admin, want, 30.0)
    assert want <= seen
    print(
        f"\nsecure broker up in {secure_kafka.started_s:.1f}s, ACLs in {secure_kafka.acls_s:.1f}s; "
        f"county published {len(events)} events over SASL_SSL in {took:.2f}s"
    )


@pytest.mark.parametrize("name", ["validated", "registry", "dead-letters"])
async def test_county_cannot_write_another_topic(
    secure_kafka: SecureKafka, topics_ready: None, name: str
) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=secure_kafka.bootstrap,
        **FAST,
        **secure_kafka.options(secure_kafka.county),
    )
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(f"{PREFIX}.{name}", b"forged", key=b"k")
    finally:
        await producer.stop()


async def test_county_cannot_read_its_own_topic(
    secure_kafka: SecureKafka, topics_ready: None
) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=secure_kafka.bootstrap,
        enable_auto_commit=False,
        **FAST,
        **secure_kafka.options(secure_kafka.county),
    )
    await consumer.start()
    try:
        tp = TopicPartition(COUNTY_EVENTS, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        with pytest.raises(TopicAuthorizationFailedError):
            async with asyncio.timeout(20):
                await consumer.getmany(tp, timeout_ms=5000)
    finally:
        await consumer.stop()


async def test_county_cannot_see_any_other_topic(
    secure_kafka: SecureKafka, topics_ready: None
) -> None:
    """Without Describe a topic does not even show in metadata: nothing to fetch from."""
    names = [spec.full_name(PREFIX) for spec in topics.CATALOG] + list(
        topics.changelog_topics(PREFIX)
    )
    errors = await metadata_errors(
        secure_kafka.bootstrap, secure_kafka.options(secure_kafka.county), names
    )
    assert errors == {n: 0 if n == COUNTY_EVENTS else TOPIC_AUTHORIZATION_FAILED for n in names}
    admin = await metadata_errors(
        secure_kafka.bootstrap, secure_kafka.cluster.admin_client_options(), names
    )
    assert set(admin.values()) == {0}


async def test_county_cannot_join_a_consumer_group(
    secure_kafka: SecureKafka, topics_ready: None
) -> None:
    consumer = AIOKafkaConsumer(
        COUNTY_EVENTS,
        bootstrap_servers=secure_kafka.bootstrap,
        group_id=WORKERS_GROUP,
        **FAST,
        **secure_kafka.options(secure_kafka.county),
    )
    try:
        # start() joins the group: refused before any partition is assigned.
        with pytest.raises(GroupAuthorizationFailedError):
            async with asyncio.timeout(20):
                await consumer.start()
    finally:
        await consumer.stop()


async def test_county_cannot_create_topics_or_grant_itself_acls(
    secure_kafka: SecureKafka, topics_ready: None
) -> None:
    options = secure_kafka.options(secure_kafka.county)
    admin = AIOKafkaAdminClient(bootstrap_servers=secure_kafka.bootstrap, **FAST, **options)
    await admin.start()
    shadow = f"{PREFIX}.county-shadow"
    try:
        answer = await admin.create_topics([NewTopic(shadow, 1, 1)])
    finally:
        await admin.close()
    # aiokafka returns per-topic errors rather than raising: (topic, error_code, message).
    assert [(t[0], t[1]) for t in answer.topic_errors] == [(shadow, TOPIC_AUTHORIZATION_FAILED)]
    admin_options = secure_kafka.cluster.admin_client_options()
    created = await metadata_errors(secure_kafka.bootstrap, admin_options, [shadow])
    assert created == {shadow: UNKNOWN_TOPIC}
    grant = AclRule(secure_kafka.county.name, ("All",), topics=(VALIDATED,))
    with pytest.raises(SecureBrokerError, match=f"error {CLUSTER_AUTHORIZATION_FAILED} "):
        await create_acls(secure_kafka.bootstrap, options, [grant])


@pytest.mark.parametrize("who", ["wrong password", "unknown user"])
async def test_bad_credentials_fail_authentication(secure_kafka: SecureKafka, who: str) -> None:
    user = secure_kafka.county if who == "wrong password" else ScramUser("nobody", "x")
    options = secure_kafka.options(user, "not-the-password")
    port = int(secure_kafka.bootstrap.split(":")[1])
    # One connection, to see the broker's answer; clients only say "unable to bootstrap".
    with pytest.raises(SaslAuthenticationFailed):
        await create_conn(HOST, port, **options)
    producer = AIOKafkaProducer(bootstrap_servers=secure_kafka.bootstrap, **FAST, **options)
    with pytest.raises(KafkaConnectionError):
        await producer.start()
    await producer.stop()
    log = (secure_kafka.cluster.node_dir(0) / "logs" / "server.log").read_text()
    assert "Failed authentication" in log


async def test_plaintext_and_untrusted_tls_clients_are_refused(secure_kafka: SecureKafka) -> None:
    untrusted = dict(secure_kafka.options(secure_kafka.county))
    untrusted["ssl_context"] = ssl_context(None)  # system CAs: the throwaway CA is not one
    for options in ({}, untrusted):
        began = time.monotonic()
        producer = AIOKafkaProducer(bootstrap_servers=secure_kafka.bootstrap, **FAST, **options)
        with pytest.raises(KafkaConnectionError):
            await producer.start()
        await producer.stop()
        assert time.monotonic() - began < 30


async def test_worker_consumes_and_forwards_over_sasl_ssl(
    secure_kafka: SecureKafka, topics_ready: None, tmp_path: Path
) -> None:
    region_key, county_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    admin = secure_kafka.cluster.admin_client_options()
    # The region publishes as the admin here: only its key matters to the gate.
    region = CountyNode(
        county=REGION,
        publisher_id=f"{REGION}/region",
        private_key=region_key,
        person_key_secret=SECRET,
        bootstrap_servers=secure_kafka.bootstrap,
        topic_prefix=PREFIX,
        client_options=admin,
    )
    async with region:
        await region.publish(
            region.build(
                CountyRegistered,
                occurred_at=T0,
                county=COUNTY,
                name="汉滨区",
                public_key=public_key_b64(county_key),
            )
        )
        await region.publish(region.build(ClockTicked, occurred_at=T0))
    proc, log_path = _start_worker(secure_kafka, region_key, tmp_path)
    try:
        node = county_node(secure_kafka, county_key)
        events = [outflow(node, 100 + n) for n in range(3)]
        async with node:
            await node.publish_many(events)
        began = time.monotonic()
        want = {str(e.event_id) for e in events}
        seen = await read_ids(secure_kafka.bootstrap, VALIDATED, admin, want, 75.0)
        took = time.monotonic() - began
        assert want <= seen, f"worker forwarded {len(want & seen)}/{len(want)}\n" + _tail(log_path)
        assert proc.poll() is None, "the worker exited\n" + _tail(log_path)
        print(
            f"\nworker (SASL_SSL as {secure_kafka.worker.name!r}) forwarded "
            f"{len(events)} events in {took:.1f}s"
        )
    finally:
        _stop(proc)
    text = log_path.read_text(errors="replace")
    for secret in (secure_kafka.worker.password, secure_kafka.security.admin.password):
        assert secret not in text


def _start_worker(
    kafka: SecureKafka, region_key: Ed25519PrivateKey, home: Path
) -> tuple[subprocess.Popen[bytes], Path]:
    env = dict(
        os.environ,
        LIUDONG_HOME=str(home),
        LIUDONG_KAFKA_BOOTSTRAP=kafka.bootstrap,
        LIUDONG_KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        LIUDONG_KAFKA_SASL_MECHANISM=kafka.security.mechanism,
        LIUDONG_KAFKA_SASL_USERNAME=kafka.worker.name,
        LIUDONG_KAFKA_SASL_PASSWORD=kafka.worker.password,
        LIUDONG_KAFKA_SSL_CAFILE=str(kafka.cluster.ca_file),
        LIUDONG_TOPIC_PREFIX=PREFIX,
        LIUDONG_PARTITIONS=str(PARTITIONS),
        LIUDONG_REGION_CODE=REGION,
        LIUDONG_REGION_PUBLIC_KEY=public_key_b64(region_key),
        LIUDONG_LOG_FORMAT="json",
        LIUDONG_METRICS_PORT="0",
    )
    log_path = home / "worker.log"
    with log_path.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return proc, log_path


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-4000:] if path.is_file() else "(no worker log)"
