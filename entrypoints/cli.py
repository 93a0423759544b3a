"""The ``liudong`` command: one entry point for operators, county integrators and the demo.

Bad arguments get one line on stderr and exit code 2; expected failures (no broker, bad key
file) get one ``error:`` line, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bootstrap import load_settings
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
from infra.logging import configure_logging
from infra.settings import Settings

Command = Callable[[argparse.Namespace, Settings], int]


# Adds one sub-command to ``liudong`` (the ``add_parser`` of its sub-parsers).
AddParser = Callable[..., argparse.ArgumentParser]


def build_parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog="liudong", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=UsageParser)
    for add_family in FAMILIES:
        add_family(sub.add_parser)
    return parser


# One function per command family, each adding its sub-parser(s); the order is the order
# ``liudong --help`` lists them in.


def _kafka(add: AddParser) -> None:
    kafka = add("kafka", help="run Apache Kafka (KRaft) from Maven Central jars")
    kafka_sub = kafka.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    start = kafka_sub.add_parser("start", help="start a cluster on free loopback ports")
    start.add_argument("--nodes", type=int, choices=(1, 3), default=1)
    kafka_sub.add_parser("stop", help="stop the cluster started by `kafka start`")
    kafka_sub.add_parser("status", help="exit 0 if the cluster is running")


def _schema(add: AddParser) -> None:
    schema = add("schema", help="JSON Schema and AsyncAPI for county integrators")
    schema_sub = schema.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    export = schema_sub.add_parser(
        "export", help="write the schemas, asyncapi.json and vectors.json to DIR"
    )
    export.add_argument("directory", type=Path)
    export.add_argument("--check", action="store_true", help="compare only; exit 1 on drift")


def _contract(add: AddParser) -> None:
    from entrypoints import onboarding_cmd

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
        type=onboarding_cmd.event_types_arg,
        default=(),
        help="a department's event types, comma-separated",
    )
    check.add_argument("--stationed-in", type=county_code, help="an outposted office's county")
    check.add_argument("source", help="JSON lines: an export or signed messages; - for stdin")


def _topics(add: AddParser) -> None:
    topics = add("topics", help="the topic catalog on the cluster")
    topics_sub = topics.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    topics_sub.add_parser("ensure", help="create what is missing (idempotent); check partitions")


def _onboarding(add: AddParser) -> None:
    from entrypoints import onboarding_cmd

    onboarding_cmd.configure_region(
        add("region", help="the region's onboarding: counties, publishers, keys"),
        instant=instant,
        county_code=county_code,
        parser_class=UsageParser,
    )
    onboarding_cmd.configure_county(
        add("county", help="a county node's own registrations"),
        instant=instant,
        county_code=county_code,
        parser_class=UsageParser,
    )


def _keys(add: AddParser) -> None:
    keys = add("keys", help="Ed25519 keys for publishers")
    keys_sub = keys.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    generate = keys_sub.add_parser("generate", help="write a new private key; print its public key")
    generate.add_argument("file", type=Path)


def _publish(add: AddParser) -> None:
    publish = add("publish", help="sign and publish a county system's JSON-lines export")
    publish.add_argument("--county", type=county_code, required=True)
    publish.add_argument(
        "--key", type=Path, required=True, help="the publisher's private key (PEM)"
    )
    publish.add_argument("--publisher", help="publisher id (default: <county>/node)")
    publish.add_argument("source", nargs="?", default="-", help="JSON-lines file, or - for stdin")


def _worker(add: AddParser) -> None:
    add("worker", help="run a Faust worker with every agent")


def _simulate(add: AddParser) -> None:
    simulate = add("simulate", help="publish simulated counties' events, signed")
    simulate.add_argument("--counties", type=positive_int, default=10, help="origin counties")
    simulate.add_argument("--persons", type=positive_int, default=1000)
    simulate.add_argument("--months", type=positive_int, default=12)
    simulate.add_argument("--seed", type=int, default=2026)
    simulate.add_argument("--rate", type=positive_float, help="events per second (default: max)")


def _project(add: AddParser) -> None:
    add("project", help="keep the PostgreSQL read models up to date")


def _dashboard(add: AddParser) -> None:
    from entrypoints.dashboard_cmd import configure_parser as configure_dashboard

    configure_dashboard(add("dashboard", help="the operators' dashboard on loopback; add-user"))


def _replay(add: AddParser) -> None:
    from entrypoints import replay_flags

    replay_flags.configure(
        add("replay", help="rebuild derived state from the log; prove it equals live")
    )


def _audit(add: AddParser) -> None:
    audit = add("audit", help="timelines with their causes; reads are audited")
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


def _clock(add: AddParser) -> None:
    clock = add("clock", help="publish the region's logical clock ticks")
    clock.add_argument(
        "--every",
        type=positive_float,
        default=60.0,
        metavar="SECONDS",
        help="seconds between ticks (default 60)",
    )
    clock.add_argument("--at", type=instant, help="publish one tick at this ISO instant")
    clock.add_argument("--count", type=int, help="stop after this many ticks")


def _campaign(add: AddParser) -> None:
    from entrypoints import campaign_cmd

    campaign_cmd.configure(
        add("campaign", help="clean-up campaigns (清理清查): open, extend, close, status"),
        instant=instant,
        county_code=county_code,
        parser_class=UsageParser,
    )


def _obligations(add: AddParser) -> None:
    from entrypoints import obligations_cmd

    obligations_cmd.configure(
        add("obligations", help="list and count obligations, in the vocabulary's words"),
        county_code=county_code,
    )


def _assessment(add: AddParser) -> None:
    from entrypoints import assessment_cmd, scorecard_cmd

    assessment_cmd.configure(add("assess", help="publish the scorecards"))
    scorecard_cmd.configure(
        add("scorecard", help="two-way assessment: league table, explain, what-if")
    )


def _disclosure(add: AddParser) -> None:
    from entrypoints import bulletin_cmd, public_cmd

    bulletin_cmd.configure(add("bulletin", help="a period's bulletin (通报); --verify"))
    public_cmd.configure(add("public", help="the public disclosure page (no sign-in)"))


def _bench(add: AddParser) -> None:
    bench = add("bench", help="throughput, latency, replay, scale-out and memory")
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


def _demo(add: AddParser) -> None:
    demo = add("demo", help="broker, database, gate and a small scenario")
    demo.add_argument(
        "--duration",
        type=float,
        default=20.0,
        help="seconds to keep running after the scenario (0: until Ctrl-C)",
    )


FAMILIES: tuple[Callable[[AddParser], None], ...] = (
    _kafka,
    _schema,
    _contract,
    _topics,
    _onboarding,
    _keys,
    _publish,
    _worker,
    _simulate,
    _project,
    _dashboard,
    _replay,
    _audit,
    _clock,
    _campaign,
    _obligations,
    _assessment,
    _disclosure,
    _bench,
    _demo,
)


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


# Each command's module, imported only when that command runs: most pull in Kafka clients,
# Faust or asyncpg, which a bad argument or ``--help`` should not wait for.
COMMANDS: dict[str, str] = {
    "kafka": "entrypoints.kafka_cmd",
    "schema": "entrypoints.schema_cmd",
    "contract": "entrypoints.contract_cmd",
    "topics": "entrypoints.topics_cmd",
    "region": "entrypoints.onboarding_cmd",
    "county": "entrypoints.onboarding_cmd",
    "keys": "entrypoints.keys_cmd",
    "publish": "entrypoints.publish_cmd",
    "worker": "entrypoints.worker_cmd",
    "simulate": "entrypoints.simulate_cmd",
    "project": "entrypoints.project_cmd",
    "dashboard": "entrypoints.dashboard_cmd",
    "replay": "entrypoints.replay_flags",
    "audit": "entrypoints.audit_cmd",
    "clock": "entrypoints.clock_cmd",
    "campaign": "entrypoints.campaign_cmd",
    "obligations": "entrypoints.obligations_cmd",
    "assess": "entrypoints.assessment_cmd",
    "scorecard": "entrypoints.scorecard_cmd",
    "bulletin": "entrypoints.bulletin_cmd",
    "public": "entrypoints.public_cmd",
    "bench": "entrypoints.bench_cmd",
    "demo": "entrypoints.demo",
}


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    configure_logging(settings.log_format, settings.log_level)
    command: Command = importlib.import_module(COMMANDS[args.command]).run
    return command(args, settings)


if __name__ == "__main__":
    sys.exit(main())
