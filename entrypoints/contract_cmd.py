"""``liudong contract check``: a county's output checked offline
(:mod:`integrators.contract_check`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from entrypoints.arguments import EXIT_USAGE, AddParser, UsageParser, county_code
from infra.settings import Settings


def add_parser(add: AddParser) -> None:
    from entrypoints.onboarding_cmd import event_types_arg

    contract = add("contract", help="check a county's output against the contract")
    contract_sub = contract.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    check = contract_sub.add_parser(
        "check", help="offline: each problem with its line number and the gate's reason code"
    )
    check.add_argument("--county", type=county_code, required=True)
    check.add_argument("--publisher", help="publisher id (default: <county>/node)")
    check.add_argument("--key", type=Path, help="the publisher's key (PEM): to check signatures")
    check.add_argument(
        "--scope",
        type=event_types_arg,
        default=(),
        help="a department's event types, comma-separated",
    )
    check.add_argument("--stationed-in", type=county_code, help="an outposted office's county")
    check.add_argument("source", help="JSON lines: an export or signed messages; - for stdin")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from integrators.contract_check import cmd_contract_check
    from streams.keys import KeyFileError, load_key_file

    try:
        key = load_key_file(args.key) if args.key else None
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return cmd_contract_check(
        args.source,
        county=args.county,
        publisher_id=args.publisher,
        key=key,
        event_types=args.scope,
        stationed_in=args.stationed_in,
        region_code=settings.region_code,
    )
