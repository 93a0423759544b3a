"""The composition root: one Faust app, its topics, and every agent wired to them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import faust

from agents import cases, gate
from agents.agreement_terms import Defaults
from agents.gate_rules import GateLimits
from agents.registry import Registry
from infra.kafka import client_security
from infra.settings import Settings
from streams import signing, topics
from streams.registry_reader import RegistryReader, RegistryReaderService
from streams.runtime import faust_internals
from streams.worker_metrics import MetricsService, WorkerMetrics


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


def build_app(
    settings: Settings, *, bootstrap_servers: str, region_code: str, region_key: str
) -> faust.App:
    """The worker's app. ``region_key`` is the region's public key: the root of trust."""
    app = faust.App(
        f"{settings.topic_prefix}-workers",
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
        # Faust's default is 20 minutes: a stuck send would stall an agent silently for that
        # long. Fail sooner and let agents.emit retry with a log line each time.
        producer_request_timeout=30.0,
        # aiokafka keeps one produce request in flight per broker and caps each partition's
        # share of it at the batch size (default 16 KiB: about ten events). Agents send a
        # batch's outputs and state at once and wait for all of them, so small batches made
        # that wait many round trips long (bench: 2,000 outputs took 5.5 s to send).
        producer_max_batch_size=topics.WORKER_BATCH_BYTES,
        producer_max_request_size=8 * 1024 * 1024,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=settings.commit_interval_s,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=settings.session_timeout_s / 4,
        web_enabled=False,
        # Table keys are str: JSON keeps them str when tables recover from their changelogs.
        key_serializer="json",
        value_serializer="json",
        autodiscover=False,
    )
    # Before anything asks for app.transport (declaring topics does).
    app.transport = faust_internals.transport(app, settings.consumer_fetch_wait_ms)
    t = AppTopics(*(_topic(app, spec, settings) for spec in topics.CATALOG))
    client_options = client_security.aiokafka_options(settings)
    registry = Registry(region_code, signing.load_public_key(region_key))
    reader = RegistryReader(
        registry,
        bootstrap_servers=bootstrap_servers,
        topic=topics.REGISTRY.full_name(settings.topic_prefix),
        client_options=client_options,
    )
    app.add_dependency(RegistryReaderService(reader))
    metrics = WorkerMetrics()
    app.add_dependency(MetricsService(metrics, settings.metrics_port))
    gate.register(
        app,
        source=t.county_events,
        registry_source=t.registry,
        validated=t.validated,
        dead_letters_topic=t.dead_letters,
        reader=reader,
        limits=GateLimits(max_clock_skew=dt.timedelta(days=settings.max_clock_skew_days)),
        max_bytes=settings.max_event_bytes,
        validated_partitions=topics.VALIDATED.partitions(settings.partitions),
        metrics=metrics,
        bootstrap_servers=bootstrap_servers,
        client_options=client_options,
    )
    cases.register(
        app,
        source=t.validated,
        obligations=t.obligations,
        alerts=t.alerts,
        dead_letters_topic=t.dead_letters,
        region=region_code,
        defaults=Defaults(),
        metrics=metrics,
        bootstrap_servers=bootstrap_servers,
        client_options=client_options,
    )
    bound_table_stores(app, settings)
    return app


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
