"""What the readers' commands run, built from the settings: the operators' dashboard, the
public page, and a bulletin's request and log.

Kept apart from :mod:`bootstrap.services` (the pipeline's clients and services) so that a
command that publishes or projects does not import the web servers, and the other way round.
"""

from __future__ import annotations

from pathlib import Path

from agents.assessment_config import AssessmentConfig
from bootstrap import client_options
from contracts.languages import Lang
from contracts.league import Scope
from dashboard.server import DashboardConfig
from disclosure.bulletin import log_reader
from disclosure.bulletin.build import Request
from disclosure.bulletin.inputs import sha256_file
from disclosure.bulletin.log_fold import LogFold
from disclosure.bulletin.positions import Positions
from disclosure.public.server import PublicConfig
from infra.postgres import resolve_dsn
from infra.settings import Settings
from streams import topics


def dashboard_config(settings: Settings, *, host: str, port: int) -> DashboardConfig:
    """The dashboard on ``host:port`` over the projection; its lag probe asks the configured
    cluster, if any. ValueError (one line) for a host that is not a loopback address."""
    return DashboardConfig(
        dsn=resolve_dsn(settings),
        host=host,
        port=port,
        kafka_bootstrap=settings.kafka_bootstrap,
        region=settings.region_code,
    )


def public_config(
    settings: Settings, kafka: str, config: AssessmentConfig, weights: Path, *, port: int
) -> PublicConfig:
    """The public page on ``port``, over the log at ``kafka``, scored with ``config`` (read
    from ``weights``), serving the bulletins in the deployment's public folder."""
    return PublicConfig(
        bootstrap=kafka,
        prefix=settings.topic_prefix,
        region=settings.region_code,
        folder=settings.public_bulletins,
        config=config,
        weights_sha256=sha256_file(weights),
        threshold=settings.public_suppress_below,
        port=port,
        client_options=client_options(settings),
        max_record_bytes=topics.read_limit(settings.max_event_bytes),
    )


def bulletin_request(
    settings: Settings,
    *,
    period: str,
    scope: Scope,
    lang: Lang,
    public: bool,
    office: str | None,
) -> Request:
    """A bulletin of this deployment's region; the public edition withholds county counts
    below the deployment's threshold."""
    return Request(
        period=period,
        scope=scope,
        lang=lang,
        edition="public" if public else "full",
        suppress_below=settings.public_suppress_below if public else None,
        region=settings.region_code,
        office=office,
    )


async def bulletin_log(
    settings: Settings, kafka: str, prefix: str, at: Positions | None
) -> LogFold:
    """The log a bulletin reads, up to ``at`` (default: its end now); ``prefix`` is the
    deployment's, or the one a bulletin being verified states."""
    return await log_reader.read(
        kafka,
        prefix,
        at,
        client_options=client_options(settings),
        max_record_bytes=topics.read_limit(settings.max_event_bytes),
    )
