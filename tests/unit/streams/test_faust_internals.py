"""Each private Faust use of ``streams.runtime.faust_internals``, checked against the Faust
installed: if Faust renames or reshapes one of them, its test here fails.

No broker: consumers are built, never started; where a test stands in for the consumer's
thread (the part that would talk to the broker), it records what Faust's own code handed
it. ``tests/integration/test_runtime_worker.py`` runs the same paths on a real broker.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import faust
from aiokafka.client import AIOKafkaClient
from aiokafka.consumer.fetcher import Fetcher
from aiokafka.consumer.subscription_state import SubscriptionState
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from faust.transport.consumer import Consumer as FaustConsumer
from faust.transport.consumer import ThreadDelegateConsumer
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from bootstrap.worker_app import build_app
from infra.settings import Settings
from streams.runtime import faust_internals
from streams.runtime.faust_ports import TableStore, runtime_table
from streams.runtime.ports import Applied
from streams.signing import public_key_b64

RUNTIME_TOPIC = "rt.in"
OTHER_TOPIC = "rt.registry"


def worker_app(tmp_path: Path, fetch_wait_ms: int = 25) -> faust.App:
    settings = Settings(home=tmp_path, consumer_fetch_wait_ms=fetch_wait_ms)
    return build_app(
        settings,
        bootstrap_servers="127.0.0.1:9",
        region_code="610900",
        region_key=public_key_b64(Ed25519PrivateKey.generate()),
    )


async def test_the_worker_consumer_uses_the_configured_fetch_wait(tmp_path: Path) -> None:
    app = worker_app(tmp_path, fetch_wait_ms=25)
    assert isinstance(app.transport, faust_internals.Transport)
    assert isinstance(app.consumer, faust_aiokafka.Consumer)
    consumer = app.consumer._thread._create_worker_consumer(app.transport)
    try:
        assert consumer._fetch_max_wait_ms == 25
        assert consumer._group_id == app.conf.id  # the rest is still Faust's worker consumer
    finally:
        await consumer.stop()


async def test_the_started_consumers_fetcher_backs_off_briefly() -> None:
    """aiokafka reads ``_prefetch_backoff`` when it stores a fetch's records, and holds a
    broker's next fetch while such records wait; the adapter sets it on the fetcher."""
    assert "backoff=self._prefetch_backoff" in inspect.getsource(Fetcher._proc_fetch_request)
    assert "backoff_by_nodes" in inspect.getsource(Fetcher._get_actions_per_node)
    client = AIOKafkaClient(bootstrap_servers="127.0.0.1:9")
    fetcher = Fetcher(client, SubscriptionState())
    try:
        assert fetcher._prefetch_backoff == 0.1  # aiokafka's default, which the adapter lowers
        consumer: Any = SimpleNamespace(_fetcher=fetcher)
        faust_internals.shorten_prefetch_backoff(consumer)
        assert fetcher._prefetch_backoff == faust_internals.PREFETCH_BACKOFF_S < 0.1
    finally:
        await fetcher.close()
        await client.close()


def test_the_worker_consumer_thread_shortens_the_backoff_once_started() -> None:
    source = inspect.getsource(faust_internals._ConsumerThread.on_start)
    assert "await super().on_start()" in source
    assert "shorten_prefetch_backoff(self._consumer)" in source
    # Faust's thread builds and starts its consumer in on_start, the fetcher with it.
    faust_source = inspect.getsource(faust_aiokafka.AIOKafkaConsumerThread.on_start)
    assert "self._consumer = self._create_consumer(" in faust_source
    assert "await self._consumer.start()" in faust_source


def test_the_default_wait_is_well_under_fausts() -> None:
    assert Settings().consumer_fetch_wait_ms == 50


class Thread:
    """Stands in for the consumer's thread: what Faust's consumer asked of it."""

    def __init__(self) -> None:
        self.fetched: list[set[TP]] = []
        self.committed: list[Mapping[TP, int]] = []

    async def getmany(
        self,
        active_partitions: set[TP],
        timeout: float,  # noqa: ASYNC109 - the thread's signature
    ) -> dict[TP, list[int]]:
        self.fetched.append(set(active_partitions))
        return {tp: [tp.partition] for tp in active_partitions}

    async def commit(self, offsets: Mapping[TP, int]) -> bool:
        self.committed.append(dict(offsets))
        return True


def consumer_with(tmp_path: Path) -> tuple[Any, Thread]:
    app = worker_app(tmp_path)
    transport = app.transport
    assert isinstance(transport, faust_internals.Transport)
    transport.runtime_topics.add(RUNTIME_TOPIC)
    consumer: Any = app.consumer
    consumer._thread.thread_loop.close()  # never started: nothing else closes it
    thread = Thread()
    consumer._thread = thread
    return consumer, thread


def test_fausts_fetch_loop_reaches_the_consumer_through_getmany() -> None:
    """The override sits where Faust's loop fetches: ``_wait_next_records`` calls
    ``self._getmany(active_partitions=..., timeout=...)``, which the thread serves."""
    wait_source = inspect.getsource(FaustConsumer._wait_next_records)
    assert "await self._getmany(" in wait_source
    assert list(inspect.signature(ThreadDelegateConsumer._getmany).parameters) == [
        "self",
        "active_partitions",
        "timeout",
    ]
    assert "self._thread.getmany(active_partitions, timeout)" in inspect.getsource(
        ThreadDelegateConsumer._getmany
    )


async def test_fausts_own_fetches_leave_the_runtimes_topics_alone(tmp_path: Path) -> None:
    consumer, thread = consumer_with(tmp_path)
    mine, theirs = TP(RUNTIME_TOPIC, 0), TP(OTHER_TOPIC, 0)
    got = await consumer._getmany(active_partitions={mine, theirs}, timeout=0.01)
    assert thread.fetched == [{theirs}]
    assert set(got) == {theirs}
    # Only the runtime's partitions active: nothing fetched (an empty set means "all").
    assert await consumer._getmany(active_partitions={mine}, timeout=0.01) == {}
    assert thread.fetched == [{theirs}]


async def test_the_runtime_fetches_its_partitions_from_fausts_consumer(tmp_path: Path) -> None:
    consumer, thread = consumer_with(tmp_path)
    mine = {TP(RUNTIME_TOPIC, 0), TP(RUNTIME_TOPIC, 2)}
    got = await faust_internals.fetch(consumer, mine, 0.01)
    assert thread.fetched == [mine]
    assert set(got) == mine
    assert await faust_internals.fetch(consumer, set(), 0.01) == {}
    assert thread.fetched == [mine]  # never an empty set: that would fetch everything


async def test_the_runtime_commits_through_fausts_consumer(tmp_path: Path) -> None:
    consumer, thread = consumer_with(tmp_path)
    assert await faust_internals.commit(consumer, {TP(RUNTIME_TOPIC, 1): 42})
    assert thread.committed == [{TP(RUNTIME_TOPIC, 1): 42}]


def test_a_rocksdb_tables_partitions_each_have_their_own_database(tmp_path: Path) -> None:
    app = faust.App(
        "t-internals",
        broker="kafka://127.0.0.1:9",
        store="rocksdb://",
        datadir=str(tmp_path),
        autodiscover=False,
    )
    table = runtime_table(app, "t-rocks", partitions=3)
    one = faust_internals.partition_db(table, 1)
    two = faust_internals.partition_db(table, 2)
    assert faust_internals.partition_db(table, 1) is one  # Faust keeps it open
    assert one is not None
    assert two is not None
    assert one is not two
    # What the store writes for partition 1 (as Faust's recovery does) lands in that one.
    TableStore(table).apply(1, [Applied("k", "v", 41)])
    assert bytes(one.get(b"1:k")) == b"v"
    assert two.get(b"1:k") is None
    # Faust's own offset key there: the last changelog offset the partition applied.
    assert bytes(one.get(faust_internals.ROCKSDB_OFFSET_KEY)) == b"41"
    assert table.data.persisted_offset(TP(table.changelog_topic.get_topic_name(), 1)) == 41


def test_a_memory_table_has_no_partition_database(tmp_path: Path) -> None:
    app = faust.App("t-internals", broker="kafka://127.0.0.1:9", autodiscover=False)
    table = runtime_table(app, "t-memory", partitions=3)
    assert faust_internals.partition_db(table, 1) is None


def test_a_tables_store_is_built_on_first_use(tmp_path: Path) -> None:
    app = worker_app(tmp_path)
    table = app.Table("t-internals", default=None, key_type=str, value_type=str)
    assert not faust_internals.store_built(table)
    assert table.data is not None
    assert faust_internals.store_built(table)
