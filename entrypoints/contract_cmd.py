"""``liudong contract check``: a county's output checked offline
(:mod:`integrators.contract_check`)."""

from __future__ import annotations

import argparse
import sys

from entrypoints.arguments import EXIT_USAGE
from infra.settings import Settings


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
