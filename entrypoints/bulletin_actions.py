"""What ``liudong bulletin`` does once its arguments are checked: write a period's bulletin
from the log (HTML or PDF), or recompute a bulletin from the log it states and compare.

The log is read through the composition root (:mod:`bootstrap.readers`). The log cannot give
the bulletin (period not closed, positions beyond the log) or ``--verify`` finds a difference:
one line, exit 1.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from entrypoints.arguments import EXIT_USAGE

if TYPE_CHECKING:
    from agents.assessment_config import AssessmentConfig
    from disclosure.bulletin.build import Bulletin, Request
    from disclosure.bulletin.inputs import Inputs
    from disclosure.bulletin.log_fold import LogFold
    from disclosure.bulletin.positions import Positions
    from infra.settings import Settings

EXIT_FAILED = 1


def _error(message: str, code: int = EXIT_USAGE) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def write(
    bootstrap: str,
    settings: Settings,
    request: Request,
    config: AssessmentConfig,
    weights: Path,
    at: Positions | None,
    out: Path,
    fmt: str,
) -> int:
    from aiokafka.errors import KafkaError

    from disclosure.bulletin import pdf
    from disclosure.bulletin.content import NotReady
    from disclosure.bulletin.inputs import sha256_file
    from disclosure.bulletin.log_reader import LogError

    try:
        log = read_log(bootstrap, settings, settings.topic_prefix, at)
        bulletin = make(log, request, config, sha256_file(weights), settings.topic_prefix)
    except (LogError, NotReady) as exc:
        return _error(str(exc), EXIT_FAILED)
    except KafkaError as exc:
        return _error(f"cannot read the log at {bootstrap}: {exc}", EXIT_FAILED)
    try:
        data = (
            pdf.print_html(bulletin.html, bulletin.content.clock)
            if fmt == "pdf"
            else bulletin.html.encode("utf-8")
        )
    except pdf.PdfError as exc:
        return _error(str(exc), EXIT_FAILED)
    out.write_bytes(data)
    print(f"bulletin {bulletin.inputs.period} written to {out} ({fmt}, {len(data)} bytes)")
    print(f"  inputs digest {bulletin.inputs.digest()}")
    from disclosure.bulletin.positions import text

    print(f"  positions {text(bulletin.inputs.positions)}")
    return 0


def read_log(bootstrap: str, settings: Settings, prefix: str, at: Positions | None) -> LogFold:
    from bootstrap.readers import bulletin_log

    return asyncio.run(bulletin_log(settings, bootstrap, prefix, at))


def make(
    log: LogFold, request: Request, config: AssessmentConfig, weights_sha256: str, prefix: str
) -> Bulletin:
    from disclosure.bulletin import build

    return build.make(log, request, config, weights_sha256=weights_sha256, topic_prefix=prefix)


def verify_file(path: Path, config: AssessmentConfig, weights: Path, settings: Settings) -> int:
    from aiokafka.errors import KafkaError

    from disclosure.bulletin import pdf, verify
    from disclosure.bulletin.inputs import InputsError, sha256_file
    from infra.kafka.address import resolve_bootstrap

    try:
        data = path.read_bytes()
    except OSError as exc:
        return _error(f"{path}: cannot read: {exc.strerror or exc}")
    try:
        document = verify.Document.read(data)
    except (InputsError, pdf.PdfError) as exc:
        return _error(f"{path}: {exc}")
    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE

    def log_of(stated: Inputs) -> LogFold:
        return read_log(bootstrap, settings, stated.topic_prefix, stated.positions)

    try:
        report = verify.recompute(document, log_of, config, sha256_file(weights), str(weights))
    except KafkaError as exc:
        return _error(f"cannot read the log at {bootstrap}: {exc}", EXIT_FAILED)
    print("\n".join(report.lines()))
    return 0 if report.ok else EXIT_FAILED
