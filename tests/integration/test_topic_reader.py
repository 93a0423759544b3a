"""The group-less topic reader (streams.topic_reader) on the real broker: what it reads
under ``read_committed``, where it resumes, the end-offset bound, and a missing topic."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from contracts import unions
from streams.read_bounds import ReadBounds
from streams.topic_reader import (
    TopicReader,
    TopicsNotFound,
    end_offsets_of,
    find_partitions,
    read_all,
)


@pytest.fixture
async def topic(kafka_bootstrap: str) -> str:
    name = f"reader-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 2, 1)])
    finally:
        await admin.close()
    await find_partitions(kafka_bootstrap, [name], wait_s=30)
    return name


async def send(bootstrap: str, topic: str, items: list[tuple[int, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for partition, value in items:
            await producer.send_and_wait(topic, value, partition=partition)
    finally:
        await producer.stop()


async def read(reader: TopicReader, bounds: ReadBounds[TopicPartition]) -> dict[int, list[bytes]]:
    out: dict[int, list[bytes]] = {tp.partition: [] for tp in bounds.ends}
    async for tp, records in reader.read_to(bounds):
        out[tp.partition] += [r.value for r in records]
    return out


async def read_from_start(bootstrap: str, topic: str) -> dict[int, list[bytes]]:
    reader = TopicReader(bootstrap)
    await reader.open_topics([topic], wait_s=10)
    try:
        await reader.seek_to_beginning()
        return await read(reader, ReadBounds(await reader.end_offsets()))
    finally:
        await reader.close()


async def test_an_aborted_transaction_is_not_read_and_the_read_still_ends(
    kafka_bootstrap: str, topic: str
) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, transactional_id=f"t-{topic}", enable_idempotence=True
    )
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send_and_wait(topic, b"kept-1", partition=0)
            await producer.send_and_wait(topic, b"kept-2", partition=1)
        await producer.begin_transaction()
        await producer.send_and_wait(topic, b"aborted-1", partition=0)
        await producer.send_and_wait(topic, b"aborted-2", partition=0)
        await producer.abort_transaction()
    finally:
        await producer.stop()
    # The aborted records and the markers sit at the end of partition 0: the read ends there
    # by the consumer's position, though no record it hands over is at end - 1.
    assert await read_from_start(kafka_bootstrap, topic) == {0: [b"kept-1"], 1: [b"kept-2"]}
    ends = await end_offsets_of(kafka_bootstrap, topic)
    assert ends[TopicPartition(topic, 0)] > 1  # the aborted records took offsets


async def test_a_read_resumes_at_given_positions(kafka_bootstrap: str, topic: str) -> None:
    await send(kafka_bootstrap, topic, [(0, b"a0"), (0, b"a1"), (0, b"a2"), (1, b"b0")])
    first = TopicReader(kafka_bootstrap)
    await first.open_topics([topic], wait_s=10)
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    try:
        await first.seek_to_beginning()
        assert await read(first, ReadBounds({tp0: 2, tp1: 1})) == {0: [b"a0", b"a1"], 1: [b"b0"]}
        positions = {tp0: await first.position(tp0), tp1: await first.position(tp1)}
    finally:
        await first.close()
    # A fetch may have run past an end; the read leaves each partition at its end.
    assert positions == {tp0: 2, tp1: 1}

    again = TopicReader(kafka_bootstrap)
    await again.open_topics([topic], wait_s=10)
    try:
        again.seek(positions)
        ends = await again.end_offsets()
        assert await read(again, ReadBounds(ends, positions)) == {0: [b"a2"], 1: []}
    finally:
        await again.close()


async def test_records_written_after_the_ends_were_taken_are_not_read(
    kafka_bootstrap: str, topic: str
) -> None:
    await send(kafka_bootstrap, topic, [(0, b"old-0"), (1, b"old-1")])
    reader = TopicReader(kafka_bootstrap)
    await reader.open_topics([topic], wait_s=10)
    try:
        await reader.seek_to_beginning()
        ends = await reader.end_offsets()
        await send(kafka_bootstrap, topic, [(0, b"new-0"), (1, b"new-1")])
        assert await read(reader, ReadBounds(ends)) == {0: [b"old-0"], 1: [b"old-1"]}
        # The next read, from where the bound left each partition, finds the rest.
        later = await reader.end_offsets()
        assert await read(reader, ReadBounds(later, ends)) == {0: [b"new-0"], 1: [b"new-1"]}
    finally:
        await reader.close()


async def test_an_empty_topic_reads_as_nothing_at_once(kafka_bootstrap: str, topic: str) -> None:
    assert await read_from_start(kafka_bootstrap, topic) == {0: [], 1: []}
    assert await read_all(kafka_bootstrap, topic, unions.CountyEvent) == []


async def test_a_missing_topic_is_a_clear_error(kafka_bootstrap: str) -> None:
    missing = f"absent-{uuid.uuid4().hex[:8]}"
    with pytest.raises(TopicsNotFound, match=missing) as raised:
        await find_partitions(kafka_bootstrap, [missing], wait_s=1.0)
    assert raised.value.missing == (missing,)
    reader = TopicReader(kafka_bootstrap)
    with pytest.raises(LookupError, match=f"topic\\(s\\) {missing} not found within 1s"):
        await reader.open_topics([missing], wait_s=1.0)
    assert not reader.is_open  # nothing was started, nothing is left to close
