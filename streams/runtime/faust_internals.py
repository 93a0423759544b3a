"""Every use of a private Faust attribute, in one place; each has a test in
``tests/unit/test_faust_internals.py`` that fails if Faust changes it.

- ``AIOKafkaConsumerThread._create_worker_consumer``, ``Consumer._new_consumer_thread`` and
  aiokafka's ``_fetch_max_wait_ms``: the worker consumer's fetch wait (:func:`transport`);
  Faust passes a literal 1.5 s to aiokafka.
- ``Consumer._getmany``, overridden and called: the runtime takes its topics' records from
  Faust's own consumer, a batch per call (:func:`fetch`), and Faust's per-message loop
  leaves those topics alone; Faust's public API delivers records one at a time, as events.
- ``Consumer._commit``: the runtime tells the group its positions (:func:`commit`); Faust
  commits only offsets its own streams acknowledged.
- ``Stream._enable_passive`` and ``Stream._processors``: agents that take Faust events in
  batches (``agents.batching``); only ``take_events`` drains a stream that way.
- ``faust.streams._current_event``: those agents' table writes (:func:`as_current_event`);
  only Faust's per-event iteration sets it.
- ``Collection._data``: whether a table built its store already (:func:`store_built`).

Beyond this module the runtime uses Faust's public API only: the app and its consumer group
(``app.topics.add``, ``app.consumer.seek``/``assignment``/``flow_active``), its signals
(``on_partitions_revoked``, ``on_rebalance_complete``), its tables (``get``, ``items``,
``apply_changelog_batch``, ``changelog_topic``) and its serializers.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast

import aiokafka
import faust
from faust import streams as faust_streams
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


# -- agents that take Faust events in batches (agents.batching, agents.table_context) -------


def enable_passive(stream: faust.Stream[Any], channel: Any) -> None:
    """Drain ``stream`` in the background, its processors seeing every value (what
    ``Stream.take_events`` does)."""
    stream._enable_passive(cast(faust.ChannelT[Any], channel))


def remove_processor(stream: faust.Stream[Any], processor: Any) -> None:
    stream._processors.remove(processor)


@contextmanager
def as_current_event(event: faust.EventT[Any]) -> Iterator[None]:
    """Faust's "event being processed" while the block runs (a persistent table store files
    each key under that event's partition)."""
    token = faust_streams._current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        faust_streams._current_event.reset(token)


def store_built(table: Any) -> bool:
    """Whether ``table`` built its store (on first use of ``table.data``)."""
    return table._data is not None
