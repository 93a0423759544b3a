"""``liudong schema export DIR [--check]``: the integrators' contract written or compared
(:mod:`integrators.schema_export`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from entrypoints.arguments import AddParser, UsageParser
from infra.settings import Settings
from integrators.schema_export import cmd_schema_export


def add_parser(add: AddParser) -> None:
    schema = add("schema", help="JSON Schema and AsyncAPI for county integrators")
    schema_sub = schema.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    export = schema_sub.add_parser(
        "export", help="write the schemas, asyncapi.json and vectors.json to DIR"
    )
    export.add_argument("directory", type=Path)
    export.add_argument("--check", action="store_true", help="compare only; exit 1 on drift")


def run(args: argparse.Namespace, settings: Settings) -> int:
    return cmd_schema_export(args.directory, args.check)
