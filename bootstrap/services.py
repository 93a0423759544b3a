"""The services and Kafka clients the commands run, each built here only, from the settings.

``kafka`` is the cluster's address as :func:`infra.kafka.address.resolve_bootstrap` found it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agents.assessment import TOPIC_WAIT_S, AssessmentService
from agents.assessment_config import AssessmentConfig
from agents.registry import Registry
from bootstrap import client_options
from contracts.publishers import region_id
from infra.postgres import resolve_dsn
from infra.projection.projector import Projector
from infra.region import region_private_key
from infra.settings import Settings
from streams import admin, topics
from streams.county_node import CountyNode
from streams.keys import KeyFileError, person_key_secret
from streams.registry_reader import RegistryReader


def county_node(
    settings: Settings,
    kafka: str,
    *,
    county: str,
    publisher_id: str | None,
    private_key: Ed25519PrivateKey,
    person_secret: bytes = b"",
) -> CountyNode:
    """A publisher of ``county`` (``publisher_id`` None: the county's node)."""
    return CountyNode(
        county=county,
        private_key=private_key,
        person_key_secret=person_secret,
        bootstrap_servers=kafka,
        publisher_id=publisher_id,
        topic_prefix=settings.topic_prefix,
        client_options=client_options(settings),
    )


def region_node(settings: Settings, kafka: str) -> CountyNode | None:
    """The region's own publisher (ticks, campaigns), or None after saying why not."""
    try:
        key = region_private_key(settings)
    except KeyFileError as exc:
        print(f"error: the region key: {exc}", file=sys.stderr)
        return None
    return county_node(
        settings,
        kafka,
        county=settings.region_code,
        publisher_id=region_id(settings.region_code),
        private_key=key,
    )


def person_secret(settings: Settings) -> bytes:
    """The region's person-key secret: the setting, else the one under LIUDONG_HOME/keys."""
    configured = settings.person_key_secret
    return person_key_secret(
        configured.get_secret_value() if configured else None, settings.keys_dir
    )


def registry_reader(settings: Settings, kafka: str, registry: Registry) -> RegistryReader[Registry]:
    return RegistryReader(
        registry,
        bootstrap_servers=kafka,
        topic=topics.REGISTRY.full_name(settings.topic_prefix),
        client_options=client_options(settings),
    )


def projector(settings: Settings, kafka: str) -> Projector:
    return Projector(
        resolve_dsn(settings),
        kafka,
        settings.topic_prefix,
        client_options=client_options(settings),
        max_record_bytes=topics.read_limit(settings.max_event_bytes),
    )


def snapshot_path(settings: Settings) -> Path:
    """Where ``liudong assess`` keeps its fold between runs (agents.assessment_snapshot)."""
    name = f"{settings.topic_prefix}-{settings.region_code}.snapshot"
    return settings.home / "assessment" / name


def assessment_service(
    settings: Settings,
    kafka: str,
    config: AssessmentConfig,
    *,
    keep_snapshot: bool = True,
    topic_wait_s: float = TOPIC_WAIT_S,
) -> AssessmentService:
    """The assessment service; ``keep_snapshot`` False: a one-off fold (explain, what-if)."""
    return AssessmentService(
        kafka,
        settings.topic_prefix,
        region=settings.region_code,
        config=config,
        client_options=client_options(settings),
        max_record_bytes=topics.read_limit(settings.max_event_bytes),
        snapshot=snapshot_path(settings) if keep_snapshot else None,
        topic_wait_s=topic_wait_s,
    )


async def ensure_catalog(settings: Settings, kafka: str) -> None:
    """The catalog's topics at the deployment's partitions, replication and sizes."""
    await admin.ensure_topics(
        kafka,
        prefix=settings.topic_prefix,
        partitions=settings.partitions,
        replication_factor=settings.replication_factor,
        max_event_bytes=settings.max_event_bytes,
        client_options=client_options(settings),
    )


async def require_catalog(
    settings: Settings, kafka: str, needed: Sequence[topics.TopicSpec] | None = None
) -> None:
    """Raises :class:`streams.admin.CatalogError` unless the topics ``needed`` (default: the
    catalog and the workers' changelogs) exist."""
    await admin.require_catalog(
        kafka, prefix=settings.topic_prefix, needed=needed, client_options=client_options(settings)
    )
