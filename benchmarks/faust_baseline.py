"""The plain Faust baseline: one agent that decodes each event and writes one table entry.

What a user would write with faust-streaming on the same topic, with the same codec and the
same settings the liudong worker uses where they matter (at-least-once, memory store,
concurrency 1). Run in its own process by the benchmark::

    python -m benchmarks.faust_baseline --bootstrap HOST:PORT --topic T --app-id ID \
        --partitions N --datadir DIR
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import faust

from contracts import unions
from streams.codec import Codec, DecodeError


def build(bootstrap: str, topic_name: str, app_id: str, partitions: int, datadir: str) -> Any:
    app = faust.App(
        app_id,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        datadir=datadir,
        topic_partitions=partitions,
        topic_disable_leader=True,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        web_enabled=False,
        key_serializer="json",
        value_serializer="json",
        autodiscover=False,
    )
    topic = app.topic(
        topic_name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        internal=False,
    )
    seen = app.Table("bench-seen", default=int, key_type=str, value_type=int)
    codec: Codec[Any] = Codec(unions.CountyEvent)

    @app.agent(topic, concurrency=1)
    async def count(stream: Any) -> None:
        async for value in stream:
            try:
                event = codec.decode(value).event
            except DecodeError:
                continue
            seen[str(event.event_id)] = 1

    del count
    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="faust_baseline")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--partitions", type=int, required=True)
    parser.add_argument("--datadir", required=True)
    args = parser.parse_args(argv)
    app = build(args.bootstrap, args.topic, args.app_id, args.partitions, args.datadir)
    sys.argv = [sys.argv[0]]  # Faust's Worker reads the command line
    worker = faust.Worker(app, loglevel="WARNING", quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
