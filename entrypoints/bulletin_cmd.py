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
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from entrypoints.arguments import EXIT_USAGE, AddParser, assessed_period

if TYPE_CHECKING:
    from disclosure.bulletin.positions import Positions
    from infra.settings import Settings


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
    parser.add_argument(
        "--period", type=assessed_period, help="a month (2026-03) or quarter (2026-Q1)"
    )
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
        from entrypoints.bulletin_actions import verify_file

        return verify_file(args.verify, config, weights, settings)
    if out is None:
        return _error("bulletin needs OUT")
    fmt = args.format or ("pdf" if out.suffix.lower() == ".pdf" else "html")
    if not out.parent.is_dir():
        return _error(f"{out.parent} is not a directory")
    from bootstrap.readers import bulletin_request
    from entrypoints.bulletin_actions import write
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
    return write(bootstrap, settings, request, config, weights, args.at_position, out, fmt)
