"""The workers' part of the composition root: one Faust app, its topics, and every agent
wired to them.

Each agent is a policy run by the runtime (:mod:`streams.runtime`): the gate on
county-events, the registry gate on the registry, the cases agent on validated, each with
its state in a table of its own (``topics.WORKER_TABLES``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import faust
import structlog
from faust.types import TP

from agents import cases, gate
from agents.gate_rules import GateLimits
from agents.registry import Registry
from contracts import unions
from contracts.agreement_terms import Defaults
from infra.kafka import client_security
from infra.region import region_public_key
from infra.settings import Settings
from infra.worker_metrics import MetricsService, WorkerMetrics
from streams import signing, topics
from streams.codec import Codec
from streams.registry_reader import RegistryReader, RegistryReaderService
from streams.runtime import BatchDone, Policy, faust_internals
from streams.runtime.faust_ports import AgentRuntime, RuntimeApp, runtime_table

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class AppTopics:
    registry: faust.TopicT
    county_events: faust.TopicT
    validated: faust.TopicT
    obligations: faust.TopicT
    alerts: faust.TopicT
    scorecards: faust.TopicT
    dead_letters: faust.TopicT


def _topic(app: faust.App, spec: topics.TopicSpec, settings: Settings) -> faust.TopicT:
    # Bytes in, bytes out: the project codec (streams.codec) decodes, never Faust's records.
    return app.topic(
        spec.full_name(settings.topic_prefix),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=spec.partitions(settings.partitions),
        internal=False,
    )


def worker_app(settings: Settings, kafka: str) -> faust.App:
    """The app ``liudong worker`` runs: this deployment's region, rooted in its key."""
    return build_app(
        settings,
        bootstrap_servers=kafka,
        region_code=settings.region_code,
        region_key=region_public_key(settings),
    )


def build_app(
    settings: Settings, *, bootstrap_servers: str, region_code: str, region_key: str
) -> faust.App:
    """The worker's app. ``region_key`` is the region's public key: the root of trust."""
    app = _runtime_app(settings, bootstrap_servers)
    app_topics = AppTopics(*(_topic(app, spec, settings) for spec in topics.CATALOG))
    client_options = client_security.aiokafka_options(settings)
    registry = Registry(region_code, signing.load_public_key(region_key))
    reader = RegistryReader(
        registry,
        bootstrap_servers=bootstrap_servers,
        topic=topics.REGISTRY.full_name(settings.topic_prefix),
        client_options=client_options,
    )
    # Before the runtimes: the gate decides nothing until the registry is read.
    app.add_dependency(RegistryReaderService(reader))
    metrics = WorkerMetrics()
    app.add_dependency(MetricsService(metrics, settings.metrics_port))
    counts: Counter[str] = Counter()
    dead = gate.DeadLetters(
        topics.DEAD_LETTERS.full_name(settings.topic_prefix), region_code, counts, metrics
    )
    cases_policy = _cases_policy(settings, region_code, metrics)
    agents: tuple[tuple[str, faust.TopicT, Policy], ...] = (
        ("gate", app_topics.county_events, _gate_policy(settings, reader, dead)),
        ("registry-gate", app_topics.registry, gate.RegistryGatePolicy(reader, dead)),
        ("cases", app_topics.validated, cases_policy),
    )
    for name, source, policy in agents:
        AgentRuntime(
            app,
            name,
            policy,
            source=source,
            table=runtime_table(app, topics.WORKER_TABLES[name], partitions=source.partitions),
            bootstrap_servers=bootstrap_servers,
            client_options=client_options,
            on_batch=_counting(app, metrics, name, source.get_topic_name()),
        )
    metrics.cases_due.set_function(cases_policy.cases_due)

    async def report_counts() -> None:
        if counts:
            log.info("gate_counts", **dict(counts))

    app.timer(interval=10.0)(report_counts)
    bound_table_stores(app, settings)
    return app


def _runtime_app(settings: Settings, bootstrap_servers: str) -> RuntimeApp:
    """The Faust app with this deployment's broker, store, group and timing settings."""
    app = RuntimeApp(
        topics.workers_group(settings.topic_prefix),
        broker=[f"kafka://{server}" for server in bootstrap_servers.split(",")],
        # SASL/SCRAM over TLS when LIUDONG_KAFKA_SECURITY_PROTOCOL=SASL_SSL; None: PLAINTEXT.
        broker_credentials=client_security.faust_credentials(settings),
        store=settings.faust_store,
        datadir=str(settings.home / "faust"),
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        table_standby_replicas=settings.standby_replicas,
        topic_disable_leader=True,
        processing_guarantee="at_least_once",
        producer_acks=-1,
        # Faust's own producer sends nothing of the agents' (the runtime has its own,
        # streams.runtime.kafka_sink); its default 20-minute timeout would hold a stop.
        producer_request_timeout=30.0,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=settings.commit_interval_s,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=settings.session_timeout_s / 4,
        consumer_group_instance_id=group_instance_id(settings),
        web_enabled=False,
        autodiscover=False,
    )
    # Before anything asks for app.transport (declaring topics does).
    app.transport = faust_internals.transport(app, settings.consumer_fetch_wait_ms)
    return app


def _gate_policy(
    settings: Settings, reader: RegistryReader[Registry], dead: gate.DeadLetters
) -> gate.GatePolicy:
    return gate.GatePolicy(
        reader=reader,
        codec=Codec(unions.CountyEvent, max_bytes=settings.max_event_bytes),
        limits=GateLimits(max_clock_skew=dt.timedelta(days=settings.max_clock_skew_days)),
        validated=topics.VALIDATED.full_name(settings.topic_prefix),
        validated_partitions=topics.VALIDATED.partitions(settings.partitions),
        dead=dead,
    )


def _cases_policy(
    settings: Settings, region_code: str, metrics: WorkerMetrics
) -> cases.CasesPolicy:
    prefix = settings.topic_prefix
    return cases.CasesPolicy(
        obligations=topics.OBLIGATIONS.full_name(prefix),
        alerts=topics.ALERTS.full_name(prefix),
        dead_letters=topics.DEAD_LETTERS.full_name(prefix),
        region=region_code,
        defaults=Defaults(),
        metrics=metrics,
        codec=Codec(unions.CountyEvent, max_bytes=topics.read_limit(settings.max_event_bytes)),
    )


def _counting(
    app: faust.App, metrics: WorkerMetrics, agent: str, topic: str
) -> Callable[[BatchDone], None]:
    def done(batch: BatchDone) -> None:
        highwater = app.consumer.highwater(TP(topic, batch.partition))
        metrics.batch_done(agent, topic, batch, highwater)

    return done


def group_instance_id(settings: Settings) -> str | None:
    """The worker's static member id in its consumer group (``LIUDONG_GROUP_INSTANCE_ID``;
    None: dynamic membership)."""
    chosen = settings.group_instance_id
    if chosen == "none":
        return None
    if chosen != "auto":
        return chosen
    where = f"{socket.gethostname()}:{settings.home.resolve()}"
    return f"{settings.topic_prefix}-worker-{hashlib.sha256(where.encode()).hexdigest()[:16]}"


def bound_table_stores(app: faust.App, settings: Settings) -> None:
    """Give every table the bounded RocksDB options (infra.settings explains the figures).

    Faust takes them per table (``Table(options=...)``) and reads them when it builds the
    table's store, on first use of ``table.data``: so before the app starts, here, once the
    agents have declared their tables.
    """
    if not settings.faust_store.startswith("rocksdb:"):
        return
    for table in app.tables.values():
        if faust_internals.store_built(table):  # a built store would ignore them
            raise RuntimeError(f"table {table.name} built its store before its options were set")
        table.options = {**(table.options or {}), **settings.rocksdb_options()}
