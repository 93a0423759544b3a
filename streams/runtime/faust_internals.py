"""Every use of a private Faust attribute, in one place; each has a test in
``tests/unit/streams/test_faust_internals.py`` that fails if Faust changes it.

- ``AIOKafkaConsumerThread._create_worker_consumer``, ``Consumer._new_consumer_thread`` and
  aiokafka's ``_fetch_max_wait_ms``: the worker consumer's fetch wait (:func:`transport`);
  Faust passes a literal 1.5 s to aiokafka.
- aiokafka's ``Fetcher._prefetch_backoff``, once the worker consumer started: how long the
  fetcher holds back every fetch from a broker while one partition's records wait to be
  taken (:func:`shorten_prefetch_backoff`). aiokafka's constructor does not take it.
- ``Consumer._getmany``, overridden and called: the runtime takes its topics' records from
  Faust's own consumer, a batch per call (:func:`fetch`), and Faust's per-message loop
  leaves those topics alone; Faust's public API delivers records one at a time, as events.
- ``Consumer._commit``: the runtime tells the group its positions (:func:`commit`); Faust
  commits only offsets its own streams acknowledged.
- ``faust.stores.rocksdb.Store._db_for_partition``: a table partition's own RocksDB database
  (:func:`partition_db`), so the runtime reads a key of one partition without probing every
  partition's database, and lists one partition's keys by prefix without reading the
  others' (Faust's public ``get`` and ``items`` look at every partition the worker holds).
- ``Collection._data``: whether a table built its store already (:func:`store_built`).

Beyond this module the runtime uses Faust's public API only: the app and its consumer group
(``app.topics.add``, ``app.consumer.seek``/``assignment``/``flow_active``), its signals
(``on_partitions_revoked``, ``on_rebalance_complete``), its tables (``get``, ``items``,
``apply_changelog_batch``, ``changelog_topic``) and its serializers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from typing import Any, cast

import aiokafka
from faust.stores import rocksdb as rocksdb_store
from faust.transport.consumer import ThreadDelegateConsumer
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

# How long Faust's own fetch loop rests when every partition it would fetch belongs to the
# runtime (it calls again at once otherwise: a busy loop).
IDLE_FETCH_S = 0.1


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # Faust passes a literal 1500; aiokafka reads this when the consumer starts.
        consumer._fetch_max_wait_ms = transport.fetch_wait_ms
        return consumer

    async def on_start(self) -> None:
        await super().on_start()
        shorten_prefetch_backoff(self._consumer)


# aiokafka sends no fetch to a broker while any partition it leads holds fetched records
# nobody has taken yet, for up to this long after they came (0.1 s by default). One worker
# consumer serves every topic of the worker, and a runtime takes a partition's records only
# when its previous batch is done: with aiokafka's default every hop waited about 0.1 s
# for the next fetch (records were 170 ms old when handed over at 20% load; 27 ms with this).
PREFETCH_BACKOFF_S = 0.005


def shorten_prefetch_backoff(consumer: aiokafka.AIOKafkaConsumer) -> None:
    """Let the started ``consumer`` fetch other partitions while one's records wait."""
    cast(Any, consumer)._fetcher._prefetch_backoff = PREFETCH_BACKOFF_S


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _getmany(
        self,
        active_partitions: set[TP] | None,
        timeout: float,  # noqa: ASYNC109 - Faust's signature
    ) -> Any:
        """Faust's own fetch, for every partition except the runtime's topics'."""
        owned = cast(Transport, self.transport).runtime_topics
        if active_partitions is None or not owned:
            return await super()._getmany(active_partitions, timeout)
        theirs = {tp for tp in active_partitions if tp.topic not in owned}
        if not theirs:  # an empty set would mean "every partition" to aiokafka
            await asyncio.sleep(min(timeout, IDLE_FETCH_S))
            return {}
        return await super()._getmany(theirs, timeout)


class Transport(faust_aiokafka.Transport):
    Consumer = _Consumer
    fetch_wait_ms: int
    runtime_topics: set[str]


def transport(app: Any, fetch_wait_ms: int) -> Transport:
    """The app's consumer transport (``app.transport = ...``, before the app starts).

    Its fetches wait at most ``fetch_wait_ms`` at the broker. aiokafka keeps one fetch
    request in flight per broker and leaves out of it every partition whose last records
    the app has not taken yet, so a request can go out holding only quiet partitions
    (changelogs, an idle topic); the broker then holds it for the whole wait, and records
    arriving meanwhile on the busy partitions wait with it. Faust's fixed 1.5 s was a 1-2 s
    publish-to-gate delay; ``consumer_fetch_wait_ms`` bounds what that gap adds at each hop
    (infra.settings says what a shorter wait costs).

    The topics named in ``runtime_topics`` are fetched by the runtime alone (:func:`fetch`).
    """
    made = Transport(app.conf.broker_consumer, app)
    made.fetch_wait_ms = fetch_wait_ms
    made.runtime_topics = set()
    return made


async def fetch(consumer: Any, partitions: Collection[TP], timeout_s: float) -> Mapping[TP, Any]:
    """aiokafka's records of ``partitions`` (a list per partition, in offset order) from
    Faust's consumer, waiting at most ``timeout_s`` for some."""
    if not partitions:
        return {}
    return cast(
        Mapping[TP, Any],
        await ThreadDelegateConsumer._getmany(consumer, set(partitions), timeout_s),
    )


async def commit(consumer: Any, offsets: Mapping[TP, int]) -> bool:
    """Commit ``offsets`` (next offset per partition) for the group, as its member."""
    return bool(await consumer._commit(dict(offsets)))


# -- table stores ---------------------------------------------------------------------------


def partition_db(table: Any, partition: int) -> Any | None:
    """The RocksDB database (a rocksdict ``Rdict``, raw bytes) holding ``partition`` of
    ``table``, or None when the table's store is not RocksDB."""
    store = table.data
    if not isinstance(store, rocksdb_store.Store):
        return None
    return store._db_for_partition(partition)


ROCKSDB_OFFSET_KEY: bytes = rocksdb_store.Store.offset_key


def store_built(table: Any) -> bool:
    """Whether ``table`` built its store (on first use of ``table.data``)."""
    return table._data is not None
