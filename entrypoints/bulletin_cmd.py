"""``liudong bulletin``: write a period's bulletin, or verify one.

* ``bulletin --period P [--scope region|all] [--format html|pdf] [--lang zh|en] [--public]
  [--config FILE] [--at-position POS] [--office NAME] OUT``
* ``bulletin --verify FILE [--config FILE]``

Import-light (argparse only at import): ``entrypoints/cli.py`` calls :func:`add_parser` while
building its parser and :func:`run` to dispatch. Bad arguments: one line, exit 2; the log
cannot give the bulletin (period not closed, positions beyond the log): one line, exit 1;
``--verify``: exit 1 naming what differs. The request and the log reader are built by the
composition root (:mod:`bootstrap.readers`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from entrypoints.arguments import EXIT_USAGE, AddParser

if TYPE_CHECKING:
    from agents.assessment_config import AssessmentConfig
    from disclosure.bulletin.build import Bulletin, Request
    from disclosure.bulletin.inputs import Inputs
    from disclosure.bulletin.log_fold import LogFold
    from disclosure.bulletin.positions import Positions
    from infra.settings import Settings

EXIT_FAILED = 1


def _period(value: str) -> str:
    from agents.assessment_state import ASSESSED_KINDS
    from contracts import periods

    try:
        return periods.parse(value, ASSESSED_KINDS).text
    except periods.PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positions(value: str) -> Positions:
    from disclosure.bulletin import positions

    try:
        return positions.parse(value)
    except positions.PositionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _office(value: str) -> str:
    text = value.strip()
    if not text or len(text) > 80 or any(ch in text for ch in "\n\r\t"):
        raise argparse.ArgumentTypeError("the office is a name on one line, 1-80 characters")
    return text


def add_parser(add: AddParser) -> None:
    configure(add("bulletin", help="a period's bulletin (通报); --verify"))


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--period", type=_period, help="a month (2026-03) or quarter (2026-Q1)")
    parser.add_argument(
        "--scope",
        choices=("region", "all"),
        default="region",
        help="region: the region's own counties (default); all: every county it deals with",
    )
    parser.add_argument(
        "--format", choices=("html", "pdf"), help="default: pdf if OUT ends in .pdf, else html"
    )
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="default zh")
    parser.add_argument(
        "--public",
        action="store_true",
        help="the public edition: county counts below LIUDONG_PUBLIC_SUPPRESS_BELOW withheld",
    )
    parser.add_argument("--config", type=Path, help="weight file (default: the shipped one)")
    parser.add_argument(
        "--at-position",
        type=_positions,
        metavar="POS",
        help="read the log up to these offsets, as a bulletin prints them "
        "(obligations=..,../alerts=..,../validated=..,..); default: its end now",
    )
    parser.add_argument("--office", type=_office, help="the issuing office (default: the region's)")
    parser.add_argument("--verify", type=Path, metavar="FILE", help="recompute FILE and compare")
    parser.add_argument("out", nargs="?", type=Path, metavar="OUT", help="the file to write")


def _error(message: str, code: int = EXIT_USAGE) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace, settings: Settings) -> int:
    from agents import assessment_config as cfg

    out: Path | None = args.out
    if args.verify is not None:
        given = [f"--{n}" for n in ("period", "at_position", "office") if getattr(args, n)]
        if out is not None or given or args.public:
            return _error("--verify FILE takes only --config")
    elif args.period is None or out is None:
        return _error("bulletin needs --period P and OUT (or --verify FILE)")
    try:
        config = cfg.load(args.config)
    except cfg.ConfigError as exc:
        return _error(str(exc))
    weights = args.config or cfg.DEFAULT_PATH
    if args.verify is not None:
        return _verify(args.verify, config, weights, settings)
    if out is None:
        return _error("bulletin needs OUT")
    fmt = args.format or ("pdf" if out.suffix.lower() == ".pdf" else "html")
    if not out.parent.is_dir():
        return _error(f"{out.parent} is not a directory")
    from bootstrap.readers import bulletin_request
    from infra.kafka.address import resolve_bootstrap

    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    request = bulletin_request(
        settings,
        period=args.period,
        scope=args.scope,
        lang=args.lang,
        public=args.public,
        office=args.office,
    )
    return _write(bootstrap, settings, request, config, weights, args.at_position, out, fmt)


def _write(
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


def _verify(path: Path, config: AssessmentConfig, weights: Path, settings: Settings) -> int:
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
