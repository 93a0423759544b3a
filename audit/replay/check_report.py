"""``liudong replay --check-report FILE [--recompute]``: a signed record's signature, and
whether the log still gives its digests."""

from __future__ import annotations

import sys
from pathlib import Path

from agents import assessment_config
from agents.assessment_config import AssessmentConfig
from audit.replay import report as records
from audit.replay import scorecards
from audit.replay.exits import ENVIRONMENT_ERRORS, EXIT_DIFFERENT, EXIT_ERROR, error
from audit.replay.options import Options
from audit.replay.positions import show
from audit.replay.runner import Job, replay
from infra.kafka.client_security import aiokafka_options
from infra.settings import Settings
from streams import signing, topics
from streams.keys import KeyFileError


def check_report(settings: Settings, o: Options, path: Path, config: AssessmentConfig) -> int:
    """Check the record at ``path``: its signature, then (``--recompute``) the log's digests
    at its position against the record's."""
    from infra.kafka.address import resolve_bootstrap
    from infra.region import region_public_key

    try:
        doc = records.read(path)
        key = signing.load_public_key(region_public_key(settings))
    except (records.ReportError, KeyFileError, ValueError) as exc:
        return error(str(exc))
    try:
        records.check_signature(doc, key)
    except records.ReportError as exc:
        return error(f"{path}: {exc}", EXIT_DIFFERENT)
    verdict = "held" if doc.get("ok") else "did NOT hold"
    try:
        at = show(records.position_of(doc))
    except records.ReportError as exc:
        return error(f"{path}: {exc}", EXIT_DIFFERENT)
    print(
        f"{path}: signature valid (region {doc.get('region')}, key "
        f"{signing.encode_public_key(key)}); the verification {verdict} at {at} "
        f"(made {doc.get('made_at')}, {doc.get('code_version')})"
    )
    if not o.recompute:
        return 0
    weight = o.config or assessment_config.DEFAULT_PATH
    if records.file_sha256(weight) != dict(doc.get("weight_file", {})).get("sha256"):
        return error(f"{weight} is not the weight file the record names: give it with --config")
    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_ERROR
    try:
        position = records.position_of(doc)
        job = Job(
            bootstrap,
            settings.topic_prefix,
            settings.region_code,
            position,
            tuple(sorted(position)),
            as_of=records.as_of_of(doc),
            digests=True,
            config=config,
            max_record_bytes=topics.read_limit(settings.max_event_bytes),
        )
        outcome = replay(job, o.workers, client_options=aiokafka_options(settings))
    except (records.ReportError, *ENVIRONMENT_ERRORS) as exc:
        return error(f"{type(exc).__name__}: {exc}")
    cards = outcome.scorecards(config)
    found = records.compare(doc, outcome, scorecards.digest(cards) if cards is not None else None)
    if not found.ok:
        for line in found.differences:
            print(f"recompute: {line}", file=sys.stderr)
        return EXIT_DIFFERENT
    print("recomputed: the log gives the record's digests")
    return 0
