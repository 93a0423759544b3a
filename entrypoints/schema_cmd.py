"""``liudong schema export DIR [--check]``: the integrators' contract written or compared
(:mod:`integrators.schema_export`)."""

from __future__ import annotations

import argparse

from infra.settings import Settings
from integrators.schema_export import cmd_schema_export


def run(args: argparse.Namespace, settings: Settings) -> int:
    return cmd_schema_export(args.directory, args.check)
