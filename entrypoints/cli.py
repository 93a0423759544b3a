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
from typing import Any

from bootstrap import client_options, load_settings
from entrypoints.arguments import (
    EXIT_USAGE,
    UsageParser,
    county_code,
    instant,
    period,
    positive_float,
    positive_int,
    soak_minutes,
    utc_flag,
)
from infra.kafka.address import resolve_bootstrap
from infra.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog="liudong", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=UsageParser)

    kafka = sub.add_parser("kafka", help="run Apache Kafka (KRaft) from Maven Central jars")
    kafka_sub = kafka.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    start = kafka_sub.add_parser("start", help="start a cluster on free loopback ports")
    start.add_argument("--nodes", type=int, choices=(1, 3), default=1)
    kafka_sub.add_parser("stop", help="stop the cluster started by `kafka start`")
    kafka_sub.add_parser("status", help="exit 0 if the cluster is running")

    schema = sub.add_parser("schema", help="JSON Schema and AsyncAPI for county integrators")
    schema_sub = schema.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    export = schema_sub.add_parser(
        "export", help="write the schemas, asyncapi.json and vectors.json to DIR"
    )
    export.add_argument("directory", type=Path)
    export.add_argument("--check", action="store_true", help="compare only; exit 1 on drift")

    from entrypoints import onboarding_cmd

    contract = sub.add_parser("contract", help="check a county's output against the contract")
    contract_sub = contract.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    check = contract_sub.add_parser(
        "check", help="offline: each problem with its line number and the gate's reason code"
    )
    check.add_argument("--county", type=county_code, required=True)
    check.add_argument("--publisher", help="publisher id (default: <county>/node)")
    check.add_argument("--key", type=Path, help="the publisher's key (PEM): to check signatures")
    check.add_argument(
        "--scope",
        type=onboarding_cmd.event_types_arg,
        default=(),
        help="a department's event types, comma-separated",
    )
    check.add_argument("--stationed-in", type=county_code, help="an outposted office's county")
    check.add_argument("source", help="JSON lines: an export or signed messages; - for stdin")

    topics = sub.add_parser("topics", help="the topic catalog on the cluster")
    topics_sub = topics.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    topics_sub.add_parser("ensure", help="create what is missing (idempotent); check partitions")

    onboarding_cmd.configure_region(
        sub.add_parser("region", help="the region's onboarding: counties, publishers, keys"),
        instant=instant,
        county_code=county_code,
        parser_class=UsageParser,
    )
    onboarding_cmd.configure_county(
        sub.add_parser("county", help="a county node's own registrations"),
        instant=instant,
        county_code=county_code,
        parser_class=UsageParser,
    )

    keys = sub.add_parser("keys", help="Ed25519 keys for publishers")
    keys_sub = keys.add_subparsers(dest="action", required=True, parser_class=UsageParser)
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

    simulate = sub.add_parser("simulate", help="publish simulated counties' events, signed")
    simulate.add_argument("--counties", type=positive_int, default=10, help="origin counties")
    simulate.add_argument("--persons", type=positive_int, default=1000)
    simulate.add_argument("--months", type=positive_int, default=12)
    simulate.add_argument("--seed", type=int, default=2026)
    simulate.add_argument("--rate", type=positive_float, help="events per second (default: max)")

    sub.add_parser("project", help="keep the PostgreSQL read models up to date")

    from entrypoints.dashboard_cmd import configure_parser as configure_dashboard

    configure_dashboard(
        sub.add_parser("dashboard", help="the operators' dashboard on loopback; add-user")
    )

    from entrypoints import replay_flags

    replay_flags.configure(
        sub.add_parser("replay", help="rebuild derived state from the log; prove it equals live")
    )

    audit = sub.add_parser("audit", help="timelines with their causes; reads are audited")
    audit_sub = audit.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    person = audit_sub.add_parser("person", help="a person's events and decisions")
    person.add_argument(
        "subject", help="a national ID number, a person key or a unique prefix (8+ hex) of one"
    )
    person.add_argument("--as-of", type=instant)
    county = audit_sub.add_parser("county", help="a county's obligations in a period")
    county.add_argument("county", type=county_code)
    county.add_argument("--period", required=True, type=period, help="2026-03, 2026-Q1 or 2026")
    audit_log = audit_sub.add_parser("log", help="who read which personal data, when")
    audit_log.add_argument("--limit", type=positive_int, default=50)
    for each in (person, county, audit_log):
        each.add_argument("--format", choices=("table", "json"), default="table")
        utc_flag(each)

    clock = sub.add_parser("clock", help="publish the region's logical clock ticks")
    clock.add_argument(
        "--every",
        type=positive_float,
        default=60.0,
        metavar="SECONDS",
        help="seconds between ticks (default 60)",
    )
    clock.add_argument("--at", type=instant, help="publish one tick at this ISO instant")
    clock.add_argument("--count", type=int, help="stop after this many ticks")

    from entrypoints import campaign_cmd

    campaign_cmd.configure(
        sub.add_parser(
            "campaign", help="clean-up campaigns (清理清查): open, extend, close, status"
        ),
        instant=instant,
        county_code=county_code,
        parser_class=UsageParser,
    )

    from entrypoints import obligations_cmd

    obligations_cmd.configure(
        sub.add_parser("obligations", help="list and count obligations, in the vocabulary's words"),
        county_code=county_code,
    )

    from entrypoints import assessment_cmd

    assessment_cmd.configure_assess(sub.add_parser("assess", help="publish the scorecards"))
    assessment_cmd.configure_scorecard(
        sub.add_parser("scorecard", help="two-way assessment: league table, explain, what-if")
    )

    from entrypoints import bulletin_cmd

    bulletin_cmd.configure(sub.add_parser("bulletin", help="a period's bulletin (通报); --verify"))
    from entrypoints import public_cmd

    public_cmd.configure(sub.add_parser("public", help="the public disclosure page (no sign-in)"))

    bench = sub.add_parser("bench", help="throughput, latency, replay, scale-out and memory")
    bench.add_argument("--quick", action="store_true", help="smaller counts (about 6-8 minutes)")
    bench.add_argument(
        "--only",
        choices=["memory", "pipeline", "replay"],
        help="memory: only the stages the state figures need (event set, one worker, memory, "
        "restart); pipeline: raw consume, the ceilings, plain Faust, one worker and latency; "
        "replay: raw consume, one worker and the replays",
    )
    bench_sub = bench.add_subparsers(dest="bench_action", required=False, parser_class=UsageParser)
    soak = bench_sub.add_parser("soak", help="sustained load; worker memory and lag over time")
    soak.add_argument("--minutes", type=soak_minutes, default=10.0, help="how long (default 10)")
    soak.add_argument("--rate", type=positive_float, default=50.0, help="events/s (default 50)")
    soak.add_argument(
        "--sample-every", type=positive_float, default=10.0, metavar="SECONDS", help="default 10"
    )

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
    settings = load_settings()
    if settings is None:
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
        from integrators.schema_export import cmd_schema_export

        return cmd_schema_export(args.directory, args.check)
    if args.command == "contract":
        return _contract_check(args, settings)
    if args.command == "topics":
        return _topics_ensure(settings)
    if args.command in ("region", "county"):
        return _onboarding(args, settings)
    if args.command == "keys":
        return _keys_generate(args.file)
    if args.command == "publish":
        return _publish(args, settings)
    if args.command == "simulate":
        return _simulate(args, settings)
    if args.command == "project":
        return _project(settings)
    if args.command == "bench":
        if args.bench_action == "soak":
            from benchmarks.soak import cmd_soak

            return cmd_soak(settings, args.minutes, args.rate, args.sample_every)
        from benchmarks import cmd_bench  # lazy: it pulls in Kafka, the replay and asyncpg

        return cmd_bench(settings, args.quick, args.only)
    if args.command == "dashboard":
        from entrypoints.dashboard_cmd import run as run_dashboard

        return run_dashboard(args, settings)
    if args.command == "replay":
        from entrypoints import replay_flags

        return replay_flags.run(args, settings)
    if args.command == "audit":
        return _audit(args, settings)
    if args.command == "clock":
        return _clock(args, settings)
    if args.command == "campaign":
        return _campaign(args, settings)
    if args.command == "obligations":
        return _obligations(args, settings)
    if args.command in ("bulletin", "public"):
        from entrypoints import bulletin_cmd, public_cmd

        if args.command == "bulletin":
            return bulletin_cmd.run(args, settings)
        return public_cmd.run(args, settings)
    if args.command in ("assess", "scorecard"):
        from entrypoints import assessment_cmd

        run = (
            assessment_cmd.run_assess if args.command == "assess" else assessment_cmd.run_scorecard
        )
        return run(args, settings)
    if args.command == "worker":
        bootstrap = resolve_bootstrap(settings)
        if bootstrap is None or not _catalog_ready(settings, bootstrap):
            return 1
        from entrypoints.worker import run_worker  # Faust: imported only once the topics are there

        return run_worker(settings.model_copy(update={"kafka_bootstrap": bootstrap}))
    from entrypoints.demo import Demo

    return Demo(settings, args.duration).run()


def _catalog_ready(settings: Settings, bootstrap: str, needed: Sequence[Any] | None = None) -> bool:
    """True if the topics ``needed`` (default: the whole catalog and the workers' changelogs)
    exist; else one line on stderr saying what to run."""
    from bootstrap import services
    from streams.admin import CatalogError

    try:
        asyncio.run(services.require_catalog(settings, bootstrap, needed))
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    return True


def _topics_ensure(settings: Settings) -> int:
    from entrypoints.topics_cmd import ensure

    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    return asyncio.run(
        ensure(
            bootstrap,
            prefix=settings.topic_prefix,
            partitions=settings.partitions,
            replication_factor=settings.replication_factor,
            client_options=client_options(settings),
        )
    )


def _contract_check(args: argparse.Namespace, settings: Settings) -> int:
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


def _onboarding(args: argparse.Namespace, settings: Settings) -> int:
    from agents.registry import Registry
    from bootstrap import services
    from contracts.publishers import node_id, region_id
    from entrypoints import onboarding_cmd
    from infra.region import region_key_path, region_public_key
    from streams import signing, topics
    from streams.keys import KeyFileError, load_key_file

    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    if args.command == "region":
        county, publisher_id = settings.region_code, region_id(settings.region_code)
        key_path = args.region_key or region_key_path(settings)
    else:
        county = onboarding_cmd.county_of(args.publisher)
        publisher_id, key_path = node_id(county), args.key
    try:
        key = load_key_file(key_path)
        root = signing.load_public_key(region_public_key(settings))
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not _catalog_ready(settings, bootstrap, [topics.REGISTRY]):
        return 1
    signer = services.county_node(
        settings, bootstrap, county=county, publisher_id=publisher_id, private_key=key
    )
    topic = topics.REGISTRY.full_name(settings.topic_prefix)

    async def read_registry() -> Registry:
        reader = services.registry_reader(settings, bootstrap, Registry(settings.region_code, root))
        await reader.start()
        await reader.stop()
        return reader.registry

    return asyncio.run(
        onboarding_cmd.submit(signer, args, read_registry=read_registry, registry_topic=topic)
    )


def _keys_generate(path: Path) -> int:
    from streams.keys import generate_key_file
    from streams.signing import public_key_b64

    if path.exists():
        print(f"error: {path} exists; refusing to overwrite a key", file=sys.stderr)
        return EXIT_USAGE
    print(public_key_b64(generate_key_file(path)))
    return 0


def _publish(args: argparse.Namespace, settings: Settings) -> int:
    from bootstrap import services
    from entrypoints.publish_cmd import run_publish
    from streams import topics
    from streams.keys import KeyFileError, load_key_file

    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    try:
        key = load_key_file(args.key)
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not _catalog_ready(settings, bootstrap, [topics.COUNTY_EVENTS]):
        return 1
    secret = services.person_secret(settings)

    async def go() -> int:
        node = services.county_node(
            settings,
            bootstrap,
            county=args.county,
            publisher_id=args.publisher,
            private_key=key,
            person_secret=secret,
        )
        return await run_publish(node, args.source)

    return asyncio.run(go())


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    from bootstrap import services
    from infra.region import region_private_key
    from simulation.publisher import SimulationProgress, run_simulation
    from simulation.scenario import SimulationConfig

    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    try:
        config = SimulationConfig(
            counties=args.counties,
            persons=args.persons,
            months=args.months,
            seed=args.seed,
            region=settings.region_code,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    def progress(p: SimulationProgress) -> None:
        print(
            f"{p.events} events, {p.messages} messages, event time {p.event_time:%Y-%m-%d}",
            file=sys.stderr,
            flush=True,
        )

    async def go() -> int:
        await services.ensure_catalog(settings, bootstrap)
        report = await run_simulation(
            config,
            bootstrap_servers=bootstrap,
            topic_prefix=settings.topic_prefix,
            keys_dir=settings.keys_dir / "simulation",
            region_key=region_private_key(settings, create=True),
            person_key_secret=services.person_secret(settings),
            rate=args.rate,
            progress=progress,
            client_options=client_options(settings),
        )
        print("\n".join(report.lines()))
        return 0

    return asyncio.run(go())


def _project(settings: Settings) -> int:
    import signal

    from bootstrap import services
    from infra.projection.projector import PROJECTED

    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    if not _catalog_ready(settings, bootstrap, PROJECTED):
        return 1

    async def go() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await services.projector(settings, bootstrap).run(stop)
        return 0

    return asyncio.run(go())


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    from audit import history
    from contracts.human_time import zone

    shown = zone(args.utc)
    if args.action == "person":
        return history.cmd_audit_person(
            settings, args.subject, as_of=args.as_of, fmt=args.format, zone=shown
        )
    if args.action == "county":
        return history.cmd_audit_county(
            settings, args.county, period=args.period, fmt=args.format, zone=shown
        )
    return history.cmd_audit_log(settings, limit=args.limit, fmt=args.format, zone=shown)


def _clock(args: argparse.Namespace, settings: Settings) -> int:
    from entrypoints.clock_cmd import run_clock

    region = _region_node(settings)
    if region is None:
        return EXIT_USAGE
    return asyncio.run(run_clock(region, at=args.at, every_s=args.every, count=args.count))


def _campaign(args: argparse.Namespace, settings: Settings) -> int:
    from entrypoints import campaign_cmd
    from streams import topics

    if args.action == "status":
        bootstrap = resolve_bootstrap(settings)
        if bootstrap is None:
            return EXIT_USAGE
        topic = topics.ALERTS.full_name(settings.topic_prefix)
        validated = topics.VALIDATED.full_name(settings.topic_prefix)
        return asyncio.run(
            campaign_cmd.status(bootstrap, topic, args, validated, **client_options(settings))
        )
    region = _region_node(settings)
    if region is None:
        return EXIT_USAGE
    return asyncio.run(campaign_cmd.publish(region, args))


def _region_node(settings: Settings) -> Any:
    """The region's own publisher (ticks, campaigns), or None after saying why not."""
    from bootstrap import services
    from streams import topics

    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return None
    node = services.region_node(settings, bootstrap)
    if node is None or not _catalog_ready(settings, bootstrap, [topics.COUNTY_EVENTS]):
        return None
    return node


def _obligations(args: argparse.Namespace, settings: Settings) -> int:
    from entrypoints import obligations_cmd

    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    return obligations_cmd.run(args, settings, bootstrap, client_options(settings))


if __name__ == "__main__":
    sys.exit(main())
