"""Faust's Kafka transport with a bounded fetch wait.

aiokafka keeps one fetch request in flight per broker, and leaves out of it every partition
whose last records the app has not taken yet. So a request can go out holding only quiet
partitions (changelogs, an idle topic); the broker then holds it for the whole fetch wait,
and records arriving meanwhile on the busy partitions wait with it. Faust fixes that wait at
1.5 s for worker consumers, which was the 1-2 s publish-to-gate delay of the bad bench runs
(issue 8). The worker asks for ``consumer_fetch_wait_ms`` instead, which bounds what that
gap adds at each hop; infra.settings says what a shorter wait costs.
"""

from __future__ import annotations

from typing import Any

import aiokafka
from faust.transport.drivers import aiokafka as faust_aiokafka


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # Faust passes a literal 1500; aiokafka reads this when the consumer starts.
        consumer._fetch_max_wait_ms = transport.fetch_wait_ms
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = _Consumer
    fetch_wait_ms: int


def transport(app: Any, fetch_wait_ms: int) -> Transport:
    """The app's consumer transport (``app.transport = ...``, before the app starts)."""
    made = Transport(app.conf.broker_consumer, app)
    made.fetch_wait_ms = fetch_wait_ms
    return made
