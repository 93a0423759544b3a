"""The runtime in a real Faust worker process on the real broker: SIGKILLed midway, restarted
on the same disk, it loses and duplicates no effect, and the restart reads only the tail of
its changelog; a clean restart reads none of it. The group's committed offsets start ahead
of the input (as a commit of inputs never applied leaves them): Faust seeks there after the
rebalance, and the runtime must read from its own position instead (the first records of
each partition would be missing otherwise).

The worker is ``tests.integration.runtime_worker_app`` (one agent on the runtime, its state
in a Faust table on RocksDB). Its input holds exact re-deliveries and one event whose output
is larger than the broker takes: that output gets the policy's stand-in, and the partition
goes on.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import OffsetAndMetadata

from benchmarks import seed
from benchmarks.corpus import read_topic
from streams import cause
from tests.integration.runtime_worker_app import PARTITIONS, changelog

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

EVENTS = 6000
PERSONS = 60
BIG = 3977  # the event whose output is too large for the broker


def events() -> Iterator[tuple[int, bytes, bytes]]:
    """(partition, key, value): each person on one partition, every 10th event sent twice."""
    for i in range(EVENTS):
        person = f"p{i % PERSONS}"
        body: dict[str, object] = {"person": person, "id": f"e{i}", "amount": i % 7 + 1}
        if i == BIG:
            body["pad"] = 1_500_000
        value = json.dumps(body).encode()
        partition = (i % PERSONS) % PARTITIONS
        yield partition, person.encode(), value
        if i % 10 == 3:
            yield partition, person.encode(), value


class Worker:
    def __init__(self, bootstrap: str, prefix: str, home: Path) -> None:
        self.argv = [
            sys.executable, "-m", "tests.integration.runtime_worker_app",
            "--bootstrap", bootstrap, "--prefix", prefix, "--datadir", str(home / "data"),
        ]  # fmt: skip
        self.home = home
        self.lives = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.home / f"worker-{self.lives}.log"

    def start(self) -> None:
        self.lives += 1
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def signal(self, sig: signal.Signals) -> int:
        assert self.process is not None
        os.killpg(self.process.pid, sig)
        return self.process.wait(60)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(60)


async def create_topics(bootstrap: str, prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(f"{prefix}.in", PARTITIONS, 1),
                NewTopic(f"{prefix}.out", PARTITIONS, 1),
                NewTopic(f"{prefix}.dead", 1, 1),
                NewTopic(
                    changelog(prefix), PARTITIONS, 1, topic_configs={"cleanup.policy": "compact"}
                ),
            ]
        )
    finally:
        await admin.close()


async def publish(bootstrap: str, prefix: str) -> dict[int, int]:
    """Every event, about 1,000 a second (the worker is killed while they arrive)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=2 << 20)
    await producer.start()
    ends = dict.fromkeys(range(PARTITIONS), 0)
    try:
        for n, (partition, key, value) in enumerate(events()):
            await producer.send(f"{prefix}.in", value, key=key, partition=partition)
            ends[partition] += 1
            if n % 20 == 19:
                await asyncio.sleep(0.02)
        await producer.flush()
    finally:
        await producer.stop()
    return ends


AHEAD = 5


async def commit_ahead(bootstrap: str, prefix: str) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=f"{prefix}-rt", enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = [TopicPartition(f"{prefix}.in", p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.commit({tp: OffsetAndMetadata(AHEAD, "") for tp in tps})
    finally:
        await consumer.stop()


async def committed(bootstrap: str, prefix: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(f"{prefix}-rt")
    finally:
        await admin.close()
    return {tp.partition: o.offset for tp, o in offsets.items() if tp.topic == f"{prefix}.in"}


async def outputs(bootstrap: str, prefix: str) -> dict[str, list[bytes]]:
    copies: dict[str, list[bytes]] = {}
    for part in await read_topic(bootstrap, f"{prefix}.out"):
        for m in part:
            copies.setdefault(json.loads(m.value)["id"], []).append(m.value)
    return copies


async def wait_for(
    what: str, check: Callable[[], Awaitable[bool]], timeout_s: float = 150.0
) -> None:
    for _ in range(int(timeout_s / 0.5)):
        if await check():
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


async def changelog_records(bootstrap: str, prefix: str) -> int:
    return sum(len(part) for part in await read_topic(bootstrap, changelog(prefix)))


async def test_the_runtime_survives_sigkill_and_restarts_from_its_changelogs_tail(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    prefix = f"rt{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap, prefix)
    await commit_ahead(kafka_bootstrap, prefix)
    worker = Worker(kafka_bootstrap, prefix, tmp_path)
    try:
        await run_the_scenario(kafka_bootstrap, prefix, worker, tmp_path)
    finally:
        worker.kill()


async def run_the_scenario(bootstrap: str, prefix: str, worker: Worker, tmp_path: Path) -> None:
    kafka_bootstrap = bootstrap
    expected = {f"d-e{i}" for i in range(EVENTS) if i != BIG}

    worker.start()
    publishing = asyncio.create_task(publish(kafka_bootstrap, prefix))

    async def some_done() -> bool:
        return len(await outputs(kafka_bootstrap, prefix)) >= EVENTS // 3

    await wait_for("a third of the outputs", some_done)
    worker.signal(signal.SIGKILL)
    tables = tmp_path / "data" / "v1" / "tables"
    applied = seed.recovered(tables)  # changelog records the local store holds
    written = await changelog_records(kafka_bootstrap, prefix)
    assert 0 < applied <= written
    print(f"after SIGKILL: {written} changelog records, {applied} in the local store")

    worker.start()

    ends = await publishing

    async def all_done() -> bool:
        return await committed(kafka_bootstrap, prefix) == ends

    await wait_for("the group to reach the end of the input", all_done)
    assert worker.signal(signal.SIGTERM) == 0
    log = worker.log.read_text()
    assert "partition_assigned" in log

    got = await outputs(kafka_bootstrap, prefix)
    assert set(got) == expected  # nothing lost, nothing made up
    for output_id, copies in got.items():
        assert len(set(copies)) == 1, output_id  # a repeat at most, never another effect
    # Each output names its cause: the input record whose event it was derived from.
    inputs = {
        (m.partition, m.offset): json.loads(m.value)["id"]
        for part in await read_topic(kafka_bootstrap, f"{prefix}.in")
        for m in part
    }
    for part in await read_topic(kafka_bootstrap, f"{prefix}.out"):
        for m in part:
            named = cause.of(m.headers)
            assert named is not None
            assert named.topic == f"{prefix}.in"
            assert f"d-{inputs[named.partition, named.offset]}" == json.loads(m.value)["id"]
    dead = [m for part in await read_topic(kafka_bootstrap, f"{prefix}.dead") for m in part]
    assert len(dead) == 1
    assert b"MessageSizeTooLarge" in dead[0].value
    refused = cause.of(dead[0].headers)  # the stand-in names the input of the refused output
    assert refused is not None
    assert inputs[refused.partition, refused.offset] == f"e{BIG}"

    # The state: each person's total over their distinct events, whatever was repeated.
    state: dict[str, str] = {}
    for part in await read_topic(kafka_bootstrap, changelog(prefix)):
        for m in part:
            state[(m.key or b"").decode()] = m.value.decode()
    for n in range(PERSONS):
        person = f"p{n}"
        totals = [i % 7 + 1 for i in range(EVENTS) if i % PERSONS == n]
        saved = json.loads(state[f"{n % PARTITIONS}:{person}"])
        assert saved["total"] == sum(totals), person
    for partition, end in ends.items():
        assert state[f"{partition}:next_offset"] == str(end)
    assert seed.recovered(tables) == await changelog_records(kafka_bootstrap, prefix)

    # A clean stop leaves the local store current: the next start reads no changelog.
    worker.start()

    async def assigned_again() -> bool:
        return worker.log.read_text().count("partition_assigned") >= PARTITIONS

    await wait_for("the partitions to be assigned again", assigned_again)
    assert worker.signal(signal.SIGTERM) == 0
    assert seed.RECOVERY_LOGGED not in worker.log.read_text()
