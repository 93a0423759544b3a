"""The county-node client: hash IDs, sign events, publish them with acks=all and idempotence."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import structlog
from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.envelope import Envelope
from contracts.events.migration import PersonEvent
from contracts.identity import person_key
from contracts.publishers import node_id
from streams import codec, routing, signing, topics

E = TypeVar("E", bound=Envelope)
log = structlog.get_logger(__name__)


class CountyNode:
    """One publisher of one county (its node, a department or an outposted office).

    ``county`` may also be a prefecture or province code: the region publishes through the
    same client (clock ticks, campaigns, county registrations) with its own key.
    """

    def __init__(
        self,
        *,
        county: str,
        private_key: Ed25519PrivateKey,
        person_key_secret: bytes,
        bootstrap_servers: str,
        publisher_id: str | None = None,
        topic_prefix: str = "liudong",
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.county = county
        self.publisher_id = publisher_id or node_id(county)
        self._key = private_key
        self._secret = person_key_secret
        self._prefix = topic_prefix
        self._producer_options: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers,
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": 5,
            **dict(client_options or {}),
        }
        self._producer_instance: AIOKafkaProducer | None = None
        self._partitions: dict[str, int] = {}

    async def __aenter__(self) -> CountyNode:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        # Made here, not in __init__: aiokafka binds to the running loop, and building and
        # signing events needs no connection at all.
        self._producer_instance = AIOKafkaProducer(**self._producer_options)
        await self._producer_instance.start()

    async def stop(self) -> None:
        if self._producer_instance is not None:
            await self._producer_instance.stop()
            self._producer_instance = None

    @property
    def _producer(self) -> AIOKafkaProducer:
        if self._producer_instance is None:
            raise RuntimeError("start() the county node before publishing")
        return self._producer_instance

    async def send_raw(self, value: bytes, key: bytes) -> None:
        """Publish bytes as they are (what a broken county system might send); for tests."""
        await self._producer.send_and_wait(
            topics.COUNTY_EVENTS.full_name(self._prefix), value=value, key=key
        )

    def person_key(self, national_id: str) -> str:
        """The keyed hash that stands for the person; the raw number stays here."""
        return person_key(national_id, self._secret)

    def build(
        self,
        cls: type[E],
        *,
        occurred_at: dt.datetime,
        event_id: uuid.UUID | None = None,
        correlation_id: uuid.UUID | None = None,
        causation_id: uuid.UUID | None = None,
        recorded_at: dt.datetime | None = None,
        **fields: Any,
    ) -> E:
        """A validated, signed event from this publisher."""
        event_id = event_id or uuid.uuid4()
        unsigned = cls.model_validate(
            {
                "event_id": event_id,
                "schema_version": cls.SCHEMA_VERSION,
                "occurred_at": occurred_at,
                "recorded_at": recorded_at or dt.datetime.now(dt.UTC),
                "source_county": self.county,
                "publisher_id": self.publisher_id,
                "correlation_id": correlation_id or event_id,
                "causation_id": causation_id,
                **fields,
            },
            strict=False,
        )
        return self.sign(unsigned)

    def sign(self, event: E) -> E:
        signature = signing.sign(self._key, event.model_dump(mode="json"))
        return event.model_copy(update={"signature": signature})

    async def publish(self, event: Envelope) -> None:
        await self.publish_many([event])

    async def publish_many(
        self, events: Iterable[Envelope], on_sent: Callable[[int], None] | None = None
    ) -> int:
        """Send every event and wait for all acknowledgements; returns how many were sent."""
        pending: list[asyncio.Future[Any]] = []
        for event in events:
            pending.extend(await self._send(event))
            if on_sent is not None:
                on_sent(len(pending))
        await asyncio.gather(*pending)
        return len(pending)

    async def _send(self, event: Envelope) -> list[asyncio.Future[Any]]:
        target = routing.destination(event)
        topic = target.topic.full_name(self._prefix)
        value = codec.encode(event)
        if isinstance(event, PersonEvent):
            # The partition the gate will place it on anyway (routing.person_partition).
            partition = routing.person_partition(
                event.person_key, await self._partition_count(topic)
            )
            return [
                await self._producer.send(topic, value=value, key=target.key, partition=partition)
            ]
        if not target.broadcast:
            return [await self._producer.send(topic, value=value, key=target.key)]
        futures = []
        for partition in range(await self._partition_count(topic)):
            futures.append(
                await self._producer.send(
                    topic, value=value, key=routing.broadcast_key(partition), partition=partition
                )
            )
        return futures

    async def _partition_count(self, topic: str) -> int:
        if topic not in self._partitions:
            partitions = await self._producer.partitions_for(topic)
            self._partitions[topic] = len(partitions)
        return self._partitions[topic]
