"""A Faust worker running one agent on the runtime, for the runtime's integration test.

The agent keeps a running total per person (state per key, repeats recognised by event id)
and derives one output per new event with a deterministic id. Run as a process::

    python -m tests.integration.runtime_worker_app --bootstrap HOST:PORT --prefix P \
        --datadir DIR [--store rocksdb://]

Topics: ``<P>.in`` (input), ``<P>.out`` (outputs), ``<P>.dead`` (stand-ins for outputs the
broker refused); the state is the table ``tally`` (changelog ``<P>-rt-tally-changelog``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import faust

from streams.runtime import Output, Record, State, faust_internals
from streams.runtime.faust_ports import AgentRuntime, RuntimeApp

PARTITIONS = 3


def changelog(prefix: str) -> str:
    return f"{prefix}-rt-tally-changelog"


@dataclass
class Tally:
    out: str
    dead: str

    def open(self, partition: int, state: State) -> TallyPartition:
        return TallyPartition(self, state)


@dataclass
class TallyPartition:
    policy: Tally
    state: State

    def apply(self, record: Record) -> Sequence[Output]:
        try:
            body = json.loads(record.value or b"")
            person, event_id, amount = body["person"], body["id"], int(body["amount"])
        except (ValueError, KeyError, TypeError):
            return [Output(self.policy.dead, record.key, b"unreadable", record.partition)]
        saved = json.loads(self.state.get(person) or '{"total": 0, "seen": []}')
        if event_id in saved["seen"]:
            return []
        saved["total"] += amount
        saved["seen"].append(event_id)
        self.state[person] = json.dumps(saved, sort_keys=True)
        derived = {"id": f"d-{event_id}", "cause": event_id, "total": saved["total"]}
        pad = "x" * int(body.get("pad", 0))  # makes an output the broker refuses
        value = json.dumps({**derived, "pad": pad} if pad else derived).encode()
        return [Output(self.policy.out, person.encode(), value)]

    def unsendable(self, output: Output, error: BaseException) -> Output | None:
        return Output(self.policy.dead, output.key, f"refused: {error!r}".encode()[:500], 0)


def build(bootstrap: str, prefix: str, datadir: str, store: str) -> RuntimeApp:
    app = RuntimeApp(
        f"{prefix}-rt",
        broker=f"kafka://{bootstrap}",
        store=store,
        datadir=datadir,
        topic_partitions=PARTITIONS,
        topic_disable_leader=True,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        web_enabled=False,
        key_serializer="json",
        value_serializer="json",
        autodiscover=False,
    )
    app.transport = faust_internals.transport(app, 50)
    source: Any = app.topic(
        f"{prefix}.in",
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=PARTITIONS,
        acks=False,
        internal=False,
    )
    table = app.Table("tally", default=None, key_type=str, value_type=str)
    AgentRuntime(
        app,
        "tally",
        Tally(f"{prefix}.out", f"{prefix}.dead"),
        source=source,
        table=table,
        bootstrap_servers=bootstrap,
    )
    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runtime_worker_app")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--datadir", required=True)
    parser.add_argument("--store", default="rocksdb://")
    args = parser.parse_args(argv)
    app = build(args.bootstrap, args.prefix, args.datadir, args.store)
    sys.argv = [sys.argv[0]]  # Faust's Worker reads the command line
    worker = faust.Worker(app, loglevel="INFO", quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
