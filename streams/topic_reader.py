"""Reading topics without a consumer group: the one way every group-less reader does it.

The projector, the assessment service, the replay, the bulletin, the logical clock, the
registry follower, the dashboard's lag probe and the benchmarks all read by hand-assigned
partitions and keep their own positions (in PostgreSQL, in a snapshot, in a report), so
none of them joins, commits for or disturbs a consumer group. :class:`TopicReader` holds
what they share: one consumer configuration (no group, no auto commit, ``read_committed``,
the Kafka client options with SASL when configured), one way to find partitions, seeking
(beginning, given positions, end), reading up to end offsets taken at one moment
(:meth:`TopicReader.read_to`, bookkept by :class:`streams.read_bounds.ReadBounds`), and
following (:meth:`TopicReader.fetch`). Decoding is the caller's: :meth:`TopicReader.codec`
gives a codec at the reader's size limit, and what a DecodeError means (dead-lettered,
counted, reported) is each caller's policy.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams import topics
from streams.codec import Codec, DecodeError
from streams.read_bounds import ReadBounds

log = structlog.get_logger(__name__)

# What a fetch gives: a list of records per partition, each in offset order.
Records = Mapping[TopicPartition, Sequence[Any]]


class TopicsNotFound(LookupError):
    """Some of the topics asked for do not exist (or have no partitions yet)."""

    def __init__(self, missing: Sequence[str], wait_s: float) -> None:
        self.missing = tuple(missing)
        super().__init__(
            f"topic(s) {', '.join(self.missing)} not found within {wait_s:g}s "
            "(create them first: streams.admin.ensure_topics)"
        )


def consumer_options(
    bootstrap_servers: str,
    client_options: Mapping[str, Any] | None = None,
    **tuning: Any,
) -> dict[str, Any]:
    """The group-less consumer's configuration. ``tuning`` holds a reader's fetch sizes and
    waits (aiokafka's keyword arguments); ``client_options`` the security settings."""
    return {
        "bootstrap_servers": bootstrap_servers,
        "group_id": None,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
        **tuning,
        **dict(client_options or {}),
    }


async def find_partitions(
    bootstrap_servers: str,
    names: Sequence[str],
    *,
    wait_s: float,
    client_options: Mapping[str, Any] | None = None,
) -> list[TopicPartition]:
    """Every partition of the topics ``names``, sorted, once they all exist; waits up to
    ``wait_s`` for them (a deployment may be creating them) and raises TopicsNotFound."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **dict(client_options or {}))
    await admin.start()
    missing: list[str] = list(names)
    try:
        async with asyncio.timeout(wait_s):
            while True:
                described = await admin.describe_topics(list(names))
                missing = [
                    t["topic"] for t in described if t["error_code"] != 0 or not t["partitions"]
                ]
                if not missing:
                    return sorted(
                        TopicPartition(t["topic"], p["partition"])
                        for t in described
                        for p in t["partitions"]
                    )
                log.info("waiting_for_topics", topics=missing)
                await asyncio.sleep(0.5)
    except TimeoutError:
        raise TopicsNotFound(missing, wait_s) from None
    finally:
        await admin.close()


class TopicReader:
    """A group-less consumer of hand-assigned partitions; :meth:`open` before use.

    ``max_record_bytes`` is the size limit of the codecs it gives (the catalog's read limit
    under the deployment's largest event, :func:`streams.topics.read_limit`).
    """

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_options: Mapping[str, Any] | None = None,
        max_record_bytes: int = topics.READ_LIMIT_BYTES,
        **tuning: Any,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_options = dict(client_options or {})
        self.max_record_bytes = max_record_bytes
        self._options = consumer_options(bootstrap_servers, client_options, **tuning)
        self._consumer: AIOKafkaConsumer | None = None
        self.partitions: list[TopicPartition] = []

    def codec(self, union: Any) -> Codec[Any]:
        return Codec(union, max_bytes=self.max_record_bytes)

    # --- lifecycle -------------------------------------------------------------------------

    async def open(self, partitions: Sequence[TopicPartition] = ()) -> None:
        """Start the consumer (aiokafka binds it to the running loop) and assign
        ``partitions``; with none, the reader only asks offsets. A start that fails (or is
        cancelled) closes the client's connections before it raises."""
        consumer = AIOKafkaConsumer(**self._options)
        try:
            await consumer.start()
        except BaseException:
            await consumer.stop()
            raise
        self._consumer = consumer
        self.partitions = sorted(partitions)
        if self.partitions:
            consumer.assign(self.partitions)

    async def open_topics(self, names: Sequence[str], *, wait_s: float) -> list[TopicPartition]:
        """:func:`find_partitions` of ``names``, then :meth:`open` with all of them."""
        found = await find_partitions(
            self.bootstrap_servers, names, wait_s=wait_s, client_options=self.client_options
        )
        await self.open(found)
        return found

    async def close(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await consumer.stop()

    @property
    def is_open(self) -> bool:
        return self._consumer is not None

    def _require(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            raise RuntimeError("open() the topic reader first")
        return self._consumer

    # --- positions ---------------------------------------------------------------------------

    async def seek_to_beginning(self, partitions: Sequence[TopicPartition] | None = None) -> None:
        await self._require().seek_to_beginning(*(partitions or self.partitions))

    async def seek_to_end(self, partitions: Sequence[TopicPartition] | None = None) -> None:
        """Seek to the end and resolve it now, so nothing written after this call is missed
        and nothing written before it is read."""
        consumer = self._require()
        chosen = list(partitions or self.partitions)
        await consumer.seek_to_end(*chosen)
        for tp in chosen:
            await consumer.position(tp)

    def seek(self, positions: Mapping[TopicPartition, int]) -> None:
        consumer = self._require()
        for tp, offset in positions.items():
            consumer.seek(tp, offset)

    async def position(self, tp: TopicPartition) -> int:
        return int(await self._require().position(tp))

    async def beginning_offsets(
        self, partitions: Sequence[TopicPartition] | None = None
    ) -> dict[TopicPartition, int]:
        chosen = list(self.partitions if partitions is None else partitions)
        if not chosen:
            return {}
        found = await self._require().beginning_offsets(chosen)
        return {tp: int(offset) for tp, offset in found.items()}

    async def end_offsets(
        self, partitions: Sequence[TopicPartition] | None = None
    ) -> dict[TopicPartition, int]:
        """The next offset to be written per partition (under ``read_committed``, the last
        stable one), asked now."""
        chosen = list(self.partitions if partitions is None else partitions)
        if not chosen:
            return {}
        found = await self._require().end_offsets(chosen)
        return {tp: int(offset) for tp, offset in found.items()}

    # --- reading -----------------------------------------------------------------------------

    async def fetch(
        self,
        partitions: Sequence[TopicPartition] = (),
        *,
        timeout_ms: int,
        max_records: int | None = None,
    ) -> Records:
        """The records fetched so far (waiting up to ``timeout_ms`` for some), a list per
        partition in offset order; ``partitions`` empty: every assigned one."""
        batches: Records = await self._require().getmany(
            *partitions, timeout_ms=timeout_ms, max_records=max_records
        )
        return batches

    async def read_to(
        self,
        bounds: ReadBounds[TopicPartition],
        *,
        timeout_ms: int = 1000,
        max_records: int | None = None,
        clip: bool = True,
    ) -> AsyncIterator[tuple[TopicPartition, list[Any]]]:
        """``(partition, records)`` from the current positions until every partition of
        ``bounds`` reached its end (or the caller finished it).

        ``clip``: only the partitions still to read are fetched, only their records inside
        the bounds are given, a partition done is paused until the read ends, and one read
        to its end is left positioned at it (a fetch may have run past it), so the next read
        starts there. Without ``clip`` every assigned partition is fetched and every record
        given (a reader that then follows the topics takes the newer records as they come).
        """
        consumer = self._require()
        paused: set[TopicPartition] = set()
        while bounds.remaining:
            fetched = await consumer.getmany(
                *(bounds.remaining if clip else ()),
                timeout_ms=timeout_ms,
                max_records=max_records,
            )
            for tp, records in sorted(fetched.items()):
                given = bounds.within(tp, records) if clip else list(records)
                if given:
                    yield tp, given
            for tp in sorted(bounds.remaining):
                bounds.reached(tp, int(await consumer.position(tp)))
            if clip:
                done = {tp for tp in bounds.ends if tp not in bounds.remaining} - paused
                if done:
                    consumer.pause(*done)
                    paused |= done
        if clip:
            for tp in sorted(bounds.reached_end):
                consumer.seek(tp, bounds.ends[tp])
        if paused:
            consumer.resume(*paused)


async def end_offsets_of(
    bootstrap_servers: str,
    topic: str,
    *,
    client_options: Mapping[str, Any] | None = None,
    wait_s: float = 5.0,
) -> dict[TopicPartition, int]:
    """The current end offset of every partition of ``topic``."""
    partitions = await find_partitions(
        bootstrap_servers, [topic], wait_s=wait_s, client_options=client_options
    )
    reader = TopicReader(bootstrap_servers, client_options=client_options)
    await reader.open()
    try:
        return await reader.end_offsets(partitions)
    finally:
        await reader.close()


async def read_all(
    bootstrap_servers: str,
    topic: str,
    union: Any,
    *,
    client_options: Mapping[str, Any] | None = None,
    wanted: tuple[bytes, ...] | None = None,
    wait_s: float = 5.0,
) -> list[Any]:
    """Every decodable event on ``topic`` up to the end offsets seen at the start, in order
    per partition (partitions one after another). With ``wanted``, only messages holding one
    of those byte strings are decoded (a cheap test that skips most of a busy topic)."""
    reader = TopicReader(bootstrap_servers, client_options=client_options)
    await reader.open_topics([topic], wait_s=wait_s)
    codec = reader.codec(union)
    try:
        await reader.seek_to_beginning()
        bounds = ReadBounds(await reader.end_offsets())
        by_partition: dict[int, list[Any]] = {tp.partition: [] for tp in reader.partitions}
        async for tp, messages in reader.read_to(bounds):
            for message in messages:
                value = message.value or b""
                if wanted is not None and not any(w in value for w in wanted):
                    continue
                try:
                    by_partition[tp.partition].append(codec.decode(message.value).event)
                except DecodeError:
                    continue  # internal topics are written by our own workers
        return [event for p in sorted(by_partition) for event in by_partition[p]]
    finally:
        await reader.close()
