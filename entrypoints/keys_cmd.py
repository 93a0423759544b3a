"""``liudong keys generate FILE``: a new Ed25519 key file; its public key printed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from entrypoints.arguments import EXIT_USAGE, AddParser, UsageParser
from infra.settings import Settings


def add_parser(add: AddParser) -> None:
    keys = add("keys", help="Ed25519 keys for publishers")
    keys_sub = keys.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    generate = keys_sub.add_parser("generate", help="write a new private key; print its public key")
    generate.add_argument("file", type=Path)


def run(args: argparse.Namespace, settings: Settings) -> int:
    path: Path = args.file
    from streams.keys import generate_key_file
    from streams.signing import public_key_b64

    if path.exists():
        print(f"error: {path} exists; refusing to overwrite a key", file=sys.stderr)
        return EXIT_USAGE
    print(public_key_b64(generate_key_file(path)))
    return 0
