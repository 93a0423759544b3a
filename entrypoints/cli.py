"""The ``liudong`` command: one entry point for operators, county integrators and the demo.

Bad arguments get one line on stderr and exit code 2; expected failures (no broker, bad key
file) get one ``error:`` line, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from aiokafka.errors import KafkaError

from bootstrap import load_settings
from entrypoints.arguments import EXIT_USAGE, UsageParser
from infra.logging import configure_logging
from infra.settings import Settings

Command = Callable[[argparse.Namespace, Settings], int]
# What a command exits with when the broker or the database cannot be reached.
EXIT_ENVIRONMENT = 2

# Each command family's module and the commands it adds (its ``add_parser``) and runs (its
# ``run``); the order is the order ``liudong --help`` lists them in.
FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("entrypoints.kafka_cmd", ("kafka",)),
    ("entrypoints.schema_cmd", ("schema",)),
    ("entrypoints.contract_cmd", ("contract",)),
    ("entrypoints.topics_cmd", ("topics",)),
    ("entrypoints.onboarding_cmd", ("region", "county")),
    ("entrypoints.keys_cmd", ("keys",)),
    ("entrypoints.publish_cmd", ("publish",)),
    ("entrypoints.worker_cmd", ("worker",)),
    ("entrypoints.simulate_cmd", ("simulate",)),
    ("entrypoints.project_cmd", ("project",)),
    ("entrypoints.dashboard_cmd", ("dashboard",)),
    ("entrypoints.replay_cmd", ("replay",)),
    ("entrypoints.audit_cmd", ("audit",)),
    ("entrypoints.clock_cmd", ("clock",)),
    ("entrypoints.campaign_cmd", ("campaign",)),
    ("entrypoints.obligations_cmd", ("obligations",)),
    ("entrypoints.assessment_cmd", ("assess",)),
    ("entrypoints.scorecard_cmd", ("scorecard",)),
    ("entrypoints.bulletin_cmd", ("bulletin",)),
    ("entrypoints.public_cmd", ("public",)),
    ("entrypoints.bench_cmd", ("bench",)),
    ("entrypoints.demo_cmd", ("demo",)),
)

COMMANDS: dict[str, str] = {
    command: module for module, commands in FAMILIES for command in commands
}


def build_parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog="liudong", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=UsageParser)
    for module, _ in FAMILIES:
        importlib.import_module(module).add_parser(sub.add_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    if settings is None:
        return EXIT_USAGE
    try:
        return _dispatch(args, settings)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    configure_logging(settings.log_format, settings.log_level)
    command: Command = importlib.import_module(COMMANDS[args.command]).run
    try:
        return command(args, settings)
    except (KafkaError, OSError) as exc:
        # A broker or a database out of reach is the environment, not a bug: one line, as
        # every command's own handling says it, whichever command met it first.
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT


if __name__ == "__main__":
    sys.exit(main())
