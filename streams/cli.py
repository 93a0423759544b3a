"""The ``liudong`` command: one entry point for operators, county integrators and the demo.

Bad arguments get one line on stderr and exit code 2; expected failures (no broker, bad key
file) get one ``error:`` line, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from contracts import divisions
from infra.settings import Settings

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def county_code(value: str) -> str:
    if divisions.county(value) is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a current GB/T 2260 county-level code")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="liudong", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    kafka = sub.add_parser("kafka", help="run Apache Kafka (KRaft) from Maven Central jars")
    kafka_sub = kafka.add_subparsers(dest="action", required=True, parser_class=_Parser)
    start = kafka_sub.add_parser("start", help="start a cluster on free loopback ports")
    start.add_argument("--nodes", type=int, choices=(1, 3), default=1)
    kafka_sub.add_parser("stop", help="stop the cluster started by `kafka start`")
    kafka_sub.add_parser("status", help="exit 0 if the cluster is running")

    schema = sub.add_parser("schema", help="JSON Schema and AsyncAPI for county integrators")
    schema_sub = schema.add_subparsers(dest="action", required=True, parser_class=_Parser)
    export = schema_sub.add_parser("export", help="write the schemas and asyncapi.json to DIR")
    export.add_argument("directory", type=Path)
    export.add_argument("--check", action="store_true", help="compare only; exit 1 on drift")

    keys = sub.add_parser("keys", help="Ed25519 keys for publishers")
    keys_sub = keys.add_subparsers(dest="action", required=True, parser_class=_Parser)
    generate = keys_sub.add_parser("generate", help="write a new private key; print its public key")
    generate.add_argument("file", type=Path)

    publish = sub.add_parser("publish", help="sign and publish a county system's JSON-lines export")
    publish.add_argument("--county", type=county_code, required=True)
    publish.add_argument(
        "--key", type=Path, required=True, help="the publisher's private key (PEM)"
    )
    publish.add_argument("--publisher", help="publisher id (default: <county>/node)")
    publish.add_argument("source", nargs="?", default="-", help="JSON-lines file, or - for stdin")

    sub.add_parser("worker", help="run a Faust worker with every agent")

    demo = sub.add_parser("demo", help="broker, database, gate and a small scenario")
    demo.add_argument(
        "--duration",
        type=float,
        default=20.0,
        help="seconds to keep running after the scenario (0: until Ctrl-C)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(
            f"error: bad LIUDONG_* setting: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        return _dispatch(args, settings)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from infra.logging import configure_logging

    configure_logging(settings.log_format, settings.log_level)
    if args.command == "kafka":
        from infra.kafka import cli as kafka_cli

        if args.action == "start":
            return kafka_cli.cmd_kafka_start(settings, args.nodes)
        return (
            kafka_cli.cmd_kafka_stop(settings)
            if args.action == "stop"
            else kafka_cli.cmd_kafka_status(settings)
        )
    if args.command == "schema":
        from streams.schema_export import cmd_schema_export

        return cmd_schema_export(args.directory, args.check)
    if args.command == "keys":
        return _keys_generate(args.file)
    if args.command == "publish":
        return _publish(args, settings)
    if args.command == "worker":
        from streams.worker import run_worker

        return run_worker(settings)
    from streams.demo import Demo

    return Demo(settings, args.duration).run()


def _keys_generate(path: Path) -> int:
    from streams.keys import generate_key_file
    from streams.signing import public_key_b64

    if path.exists():
        print(f"error: {path} exists; refusing to overwrite a key", file=sys.stderr)
        return EXIT_USAGE
    print(public_key_b64(generate_key_file(path)))
    return 0


def _publish(args: argparse.Namespace, settings: Settings) -> int:
    from streams.county_node import CountyNode
    from streams.keys import KeyFileError, load_key_file, person_key_secret
    from streams.publish_cmd import run_publish

    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    try:
        key = load_key_file(args.key)
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    secret = person_key_secret(
        settings.person_key_secret.get_secret_value() if settings.person_key_secret else None,
        settings.keys_dir,
    )

    async def go() -> int:
        node = CountyNode(
            county=args.county,
            private_key=key,
            person_key_secret=secret,
            bootstrap_servers=bootstrap,
            publisher_id=args.publisher,
            topic_prefix=settings.topic_prefix,
        )
        return await run_publish(node, args.source)

    return asyncio.run(go())


def resolve_bootstrap(settings: Settings) -> str | None:
    """LIUDONG_KAFKA_BOOTSTRAP, else the cluster `liudong kafka start` left running."""
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap
    from infra.kafka.cluster import cluster_status

    state = cluster_status(settings)
    if state is None:
        print(
            "error: no Kafka: run `liudong kafka start` or set LIUDONG_KAFKA_BOOTSTRAP",
            file=sys.stderr,
        )
        return None
    return state.bootstrap


if __name__ == "__main__":
    sys.exit(main())
