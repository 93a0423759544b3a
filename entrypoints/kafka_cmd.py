"""`liudong kafka start|stop|status` handlers: one-line messages, exit codes, no tracebacks."""

from __future__ import annotations

import argparse
import sys

from entrypoints.arguments import AddParser, UsageParser
from infra.kafka.detached import cluster_status, start_cluster, stop_cluster
from infra.kafka.jars import KafkaSetupError
from infra.kafka.layout import ClusterState, KafkaClusterError
from infra.settings import Settings

EXIT_OK = 0
EXIT_NOT_RUNNING = 1
EXIT_ERROR = 2


def add_parser(add: AddParser) -> None:
    kafka = add("kafka", help="run Apache Kafka (KRaft) from Maven Central jars")
    kafka_sub = kafka.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    start = kafka_sub.add_parser("start", help="start a cluster on free loopback ports")
    start.add_argument("--nodes", type=int, choices=(1, 3), default=1)
    kafka_sub.add_parser("stop", help="stop the cluster started by `kafka start`")
    kafka_sub.add_parser("status", help="exit 0 if the cluster is running")


def cmd_kafka_start(settings: Settings, nodes: int = 1) -> int:
    running = cluster_status(settings)
    if running is not None:
        print(f"kafka already running: bootstrap {running.bootstrap} {_pids(running)}")
        return EXIT_OK
    try:
        state = start_cluster(settings, nodes)
    except (KafkaSetupError, KafkaClusterError, OSError, ValueError) as exc:
        return _error(exc)
    plural = "s" if nodes > 1 else ""
    print(f"kafka started ({nodes} node{plural}): bootstrap {state.bootstrap} {_pids(state)}")
    return EXIT_OK


def cmd_kafka_stop(settings: Settings) -> int:
    try:
        state = stop_cluster(settings)
    except (KafkaClusterError, OSError) as exc:
        return _error(exc)
    if state is None:
        print("kafka not running")
        return EXIT_OK
    print(f"kafka stopped: {_pids(state)}")
    return EXIT_OK


def cmd_kafka_status(settings: Settings) -> int:
    try:
        state = cluster_status(settings)
    except (OSError, ValueError, KeyError) as exc:
        return _error(exc)
    if state is None:
        print("kafka not running")
        return EXIT_NOT_RUNNING
    dead = sorted(n for n, up in state.alive.items() if not up)
    note = f" (nodes down: {dead})" if dead else ""
    print(f"kafka running: bootstrap {state.bootstrap} {_pids(state)}{note}")
    return EXIT_OK


def _pids(state: ClusterState) -> str:
    return "pids " + ",".join(str(p) for p in state.pids.values() if p is not None)


def _error(exc: BaseException) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return EXIT_ERROR


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "start":
        return cmd_kafka_start(settings, args.nodes)
    return cmd_kafka_stop(settings) if args.action == "stop" else cmd_kafka_status(settings)
