"""When a local cluster serves: every node's broker port listening and the node in the
cluster's metadata, or the reason it is not (a node that exited, with its log)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from aiokafka.admin import AIOKafkaAdminClient

from infra.kafka.layout import KafkaClusterError
from infra.kafka.node import Node
from infra.kafka.ports import port_open

_T = TypeVar("_T")
_POLL_S = 0.5


def run_async(make: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine on a private loop in a worker thread: safe whether or not the caller
    (a sync fixture, an async test, the CLI) already has an event loop in this thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, make).result()


async def _live_broker_ids(bootstrap: str, options: dict[str, Any]) -> set[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000, **options)
    try:
        await admin.start()
        info = await admin.describe_cluster()
    finally:
        await admin.close()
    return {int(b["node_id"]) for b in info["brokers"]}


def wait_until_serving(
    nodes: list[Node], bootstrap: str, client_options: dict[str, Any], timeout_s: float
) -> None:
    """Return once every node of ``nodes`` is in the metadata ``bootstrap`` serves; raise
    :class:`KafkaClusterError` (with the nodes' log tails) when one exits or time runs out."""
    node_ids = {n.spec.node_id for n in nodes}
    deadline = time.monotonic() + timeout_s
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        _raise_if_exited(nodes)
        # Cheap TCP probe first: the admin client logs an error per refused connection.
        if not all(port_open(n.spec.broker_port) for n in nodes):
            last_error = "broker port not listening yet"
            time.sleep(_POLL_S)
            continue
        try:
            live = run_async(_live_broker_ids(bootstrap, client_options))
        except Exception as exc:  # any client error just means "not ready yet"
            last_error = f"{type(exc).__name__}: {exc}"
        else:
            if node_ids <= live:
                return
            last_error = f"live brokers {sorted(live)}, waiting for {sorted(node_ids)}"
        time.sleep(_POLL_S)
    raise KafkaClusterError(
        f"kafka nodes {sorted(node_ids)} not ready after {timeout_s:.0f}s "
        f"({last_error})\n" + "\n".join(n.log_tail() for n in nodes)
    )


def _raise_if_exited(nodes: list[Node]) -> None:
    for node in nodes:
        if node.proc is not None:
            code = node.proc.poll()
            if code is not None:
                raise KafkaClusterError(
                    f"kafka node {node.spec.node_id} exited with {code} during start-up\n"
                    + node.log_tail()
                )
