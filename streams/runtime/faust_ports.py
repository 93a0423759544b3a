"""The runtime inside a Faust worker: its input from Faust's consumer, its state in a Faust
table, its partitions from Faust's consumer group.

What of Faust is used: the app and its consumer group (membership, rebalancing, the
assignor that puts partition N of every topic and table changelog on the same worker,
standby replicas), its consumer (the fetching), and its tables (the local store, RocksDB in
deployment; their changelog topics; recovery of a partition's changelog before the
partition is handed over, and of only the tail after the offset the local store holds).
What is not: Faust's streams and events (records come a batch at a time), its acks and
offset commits (positions live in the state), its ``Topic.send`` path and its producer (the
runtime's own producer sends a record batch per partition), and its table writes (the
runtime writes the changelog itself, then the local store with the changelog offsets).
``docs/runtime.md`` says why for each.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, cast

import faust
import structlog
from faust.types import TP
from mode import Service
from mode.types.signals import BaseSignalT

from streams.runtime import faust_internals
from streams.runtime.failures import Fatal, OutputRefused
from streams.runtime.kafka_sink import KafkaSink
from streams.runtime.limits import Limits
from streams.runtime.ports import Applied, Output, Policy, Record
from streams.runtime.runtime import BatchDone, Runtime

log = structlog.get_logger(__name__)

# How long a fetch rests while Faust's consumer is rebalancing (it returns at once then).
REBALANCING_REST_S = 0.1
SINK_STOP_S = 2.0
EXIT_OUTPUT_REFUSED = 3  # the worker's status when an output can never be sent
EXIT_FAILED = 1  # any other failure no retry can get past (a bug in a policy, say)


class ConsumerSource:
    """The runtime's input topic, read from Faust's own consumer a batch at a time.

    Faust moves the consumer too: after every rebalance it seeks each assigned partition to
    the group's committed offset, which may be behind the runtime's position (commits follow
    in the background) or, after a commit that ran ahead, beyond it. A fetch that does not
    start where the runtime is therefore seeks back to it and discards what it read. Only a
    jump forward that is still there after that seek is taken as the log's own gap.
    """

    def __init__(self, app: faust.App, topic: str) -> None:
        self.app = app
        self.topic = topic
        self._want: dict[int, int] = {}  # next offset the runtime needs, per partition
        self._gap_checked: dict[int, int] = {}

    async def seek(self, partition: int, offset: int) -> None:
        self._want[partition] = offset
        self._gap_checked.pop(partition, None)
        await self.app.consumer.seek(TP(self.topic, partition), offset)

    async def fetch(
        self, partitions: Collection[int], timeout_s: float
    ) -> Mapping[int, Sequence[Record]]:
        consumer: Any = self.app.consumer
        if not consumer.flow_active:  # rebalancing: Faust hands out nothing now
            await asyncio.sleep(min(timeout_s, REBALANCING_REST_S))
            return {}
        tps = {TP(self.topic, p) for p in partitions if p in self._want}
        fetched = await faust_internals.fetch(consumer, tps, timeout_s)
        out: dict[int, list[Record]] = {}
        for tp, records in fetched.items():
            taken = await self._check(tp.partition, records)
            if taken:
                self._want[tp.partition] = taken[-1].offset + 1
                out[tp.partition] = [_record(r) for r in taken]
        return out

    async def _check(self, partition: int, records: Sequence[Any]) -> Sequence[Any]:
        want = self._want.get(partition)
        if want is None or not records:
            return ()
        if records[-1].offset < want:  # all read before: the consumer was moved back
            self._moved(partition, want, records[0].offset)
            await self.seek(partition, want)
            return ()
        taken = [r for r in records if r.offset >= want]
        if taken[0].offset > want and self._gap_checked.get(partition) != want:
            self._moved(partition, want, taken[0].offset)
            await self.seek(partition, want)  # moved past the runtime: read again from it
            self._gap_checked[partition] = want
            return ()
        return taken

    def _moved(self, partition: int, want: int, got: int) -> None:
        log.info("input_seek_back", topic=self.topic, partition=partition, want=want, got=got)

    async def commit(self, positions: Mapping[int, int]) -> bool:
        # Not while the group rebalances: the consumer's thread is then inside the
        # rebalance, waiting for this process's revocation handlers, and a commit queued
        # for it waits too.
        consumer: Any = self.app.consumer
        if self.app.rebalancing or not consumer.flow_active:
            return False
        offsets = {TP(self.topic, p): o for p, o in positions.items()}
        if not await faust_internals.commit(self.app.consumer, offsets):
            raise RuntimeError(f"the group did not take the positions of {self.topic}")
        return True


def _record(r: Any) -> Record:
    return Record(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp / 1000.0)


def table_key(partition: int, key: str) -> str:
    """The table key of a partition's state key: partitions share the table's key space."""
    return f"{partition}:{key}"


def runtime_table(app: faust.App, name: str, *, partitions: int | None = None) -> Any:
    """A table for a runtime's state (:class:`TableStore`): keys and values are bytes (Faust
    then stores them as they are: the UTF-8 of the state's text, no JSON around JSON).
    ``partitions``: those of the runtime's input topic (None: the app's
    ``topic_partitions``), so partition N of the changelog goes to the worker that holds
    partition N of the input."""
    return app.Table(name, default=None, key_type=bytes, value_type=bytes, partitions=partitions)


@dataclass(frozen=True, slots=True)
class _Message:
    """A changelog record as Faust's stores read one (``apply_changelog_batch``)."""

    tp: TP
    offset: int
    key: bytes | None
    value: bytes | None

    @property
    def partition(self) -> int:
        return int(self.tp.partition)


@dataclass(frozen=True, slots=True)
class _ChangelogEvent:
    key: bytes | None
    value: bytes | None
    message: _Message


class TableStore:
    """A Faust table as the runtime's store (made by :func:`runtime_table`); keys
    ``<partition>:<key>``.

    Writes reach the table the way Faust's recovery writes it: ``apply_changelog_batch``
    with the changelog offsets, which a persistent store notes so that a restart on the
    same disk reads only the changelog after them. On RocksDB, reads go to the partition's
    own database (one partition's keys are listed by a prefix seek there); on Faust's
    memory store, through the table.
    """

    def __init__(self, table: Any) -> None:
        if (table.key_type, table.value_type) != (bytes, bytes):
            raise ValueError(f"table {table.name}: make it with runtime_table (bytes)")
        self.table = table
        self.changelog: str = table.changelog_topic.get_topic_name()

    def _db(self, partition: int) -> Any | None:
        # Asked each time, not kept: Faust closes a revoked partition's database.
        return faust_internals.partition_db(self.table, partition)

    def get(self, partition: int, key: str) -> str | None:
        name = table_key(partition, key).encode()
        db = self._db(partition)
        raw = self.table.get(name) if db is None else db.get(name)
        return None if raw is None else bytes(raw).decode()

    def items(self, partition: int, prefix: str = "") -> Iterator[tuple[str, str]]:
        head = len(table_key(partition, "").encode())
        start = table_key(partition, prefix).encode()
        db = self._db(partition)
        held: Iterable[tuple[bytes, bytes]]
        if db is None:
            held = sorted((k, v) for k, v in self.table.items() if k.startswith(start))
        else:
            held = _from(db, start)
        for key, value in held:
            if key != faust_internals.ROCKSDB_OFFSET_KEY:
                yield key[head:].decode(), bytes(value).decode()

    def record(self, partition: int, key: str, value: str | None) -> Output:
        return Output(
            self.changelog,
            table_key(partition, key).encode(),
            None if value is None else value.encode(),
            partition,
        )

    def apply(self, partition: int, writes: Sequence[Applied]) -> None:
        tp = TP(self.changelog, partition)
        events = []
        for w in writes:
            record = w.record or self.record(partition, w.key, w.value)
            message = _Message(tp, w.offset, record.key, record.value)
            events.append(_ChangelogEvent(record.key, record.value, message))
        self.table.apply_changelog_batch(events)


def _from(db: Any, start: bytes) -> Iterator[tuple[bytes, bytes]]:
    """A RocksDB database's records whose keys begin with ``start``, in key order."""
    for key, value in db.items(from_key=start):
        if not key.startswith(start):
            return
        yield key, value


class AgentRuntime(Service):
    """A :class:`Runtime` as a service of a Faust app: its input partitions are those Faust's
    group assigns to this worker, handed over once Faust has recovered their state."""

    def __init__(
        self,
        app: RuntimeApp,
        name: str,
        policy: Policy,
        *,
        source: faust.TopicT,
        table: Any,
        bootstrap_servers: str,
        client_options: Mapping[str, Any] | None = None,
        limits: Limits | None = None,
        on_batch: Callable[[BatchDone], None] | None = None,
    ) -> None:
        super().__init__()
        self.app = app
        self.name = name
        self.policy = policy
        self.topic = source.get_topic_name()
        self.table = table
        self.limits = limits or Limits()
        self.on_batch = on_batch
        self._sink_options = (bootstrap_servers, dict(client_options or {}))
        self._sinks: list[KafkaSink] = []
        self._runtime: Runtime | None = None
        self._reassign = asyncio.Event()
        transport = cast(faust_internals.Transport, app.transport)
        transport.runtime_topics.add(self.topic)  # Faust's own loop leaves it alone
        app.topics.add(source)  # subscribed: the group assigns its partitions
        app.on_partitions_revoked.connect(self._revoked)
        app.on_rebalance_complete.connect(self._rebalanced)
        app.runtimes.append(self)
        app.add_dependency(self)

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            raise RuntimeError(f"the runtime {self.name} has not started")
        return self._runtime

    async def on_start(self) -> None:
        # Two producers: outputs and the state's changelog, each with its own request in
        # flight (aiokafka keeps one per producer and broker).
        self._sinks = [KafkaSink(*self._sink_options) for _ in range(2)]
        for sink in self._sinks:
            await sink.start()  # aiokafka wants a running loop
        outputs, state = self._sinks
        self._runtime = Runtime(
            self.name,
            self.policy,
            source=ConsumerSource(self.app, self.topic),
            sink=outputs,
            state_sink=state,
            store=TableStore(self.table),
            limits=self.limits,
            on_batch=self.on_batch,
        )
        self._runtime.start()

    async def on_stop(self) -> None:
        if self._runtime is not None:
            await self._runtime.stop()
        # What the producers still hold belongs to batches abandoned by the stop, which the
        # next start applies again: they get a moment, not the stop's whole bound.
        await asyncio.gather(*(sink.stop(SINK_STOP_S) for sink in self._sinks))
        self._sinks = []

    async def _revoked(
        self, sender: Any, /, *args: Any, signal: BaseSignalT[Any], **kwargs: Any
    ) -> None:
        # Faust awaits this before the partitions' next owner recovers their state.
        revoked: set[TP] = args[0] if args else kwargs.get("revoked", set())
        if self._runtime is not None:
            await self._runtime.revoke(tp.partition for tp in revoked if tp.topic == self.topic)

    async def _rebalanced(
        self, sender: Any, /, *args: Any, signal: BaseSignalT[Any], **kwargs: Any
    ) -> None:
        # Sent once the assigned partitions' state is recovered; taking them on (reading the
        # position, the policy's load) happens beside Faust, not inside its recovery.
        self._reassign.set()

    @Service.task
    async def _assigning(self) -> None:
        while not self.should_stop:
            await self.wait_for_stopped(self._reassign.wait())
            self._reassign.clear()
            if self._runtime is None or self.should_stop:
                continue
            mine = {tp.partition for tp in self.app.consumer.assignment() if tp.topic == self.topic}
            held = set(self._runtime.partitions)
            await self._runtime.revoke(held - mine)
            await self._runtime.assign(mine - held)

    @Service.task
    async def _watching(self) -> None:
        while self._runtime is None:
            await self.sleep(0.1)
        failed = await self._runtime.failed
        exit_on(failed)


def exit_on(failed: Fatal) -> NoReturn:
    """End the worker at once with one line saying why, as a crash would: what was not yet
    durable is applied again by the next worker from the recorded positions. Not Faust's
    own crash path: that logs tracebacks and shuts down through the sends that fail."""
    if isinstance(failed, OutputRefused):
        log.critical(
            "worker_exiting_output_refused",
            topic=failed.topic,
            error=repr(failed.error),
            action="the broker refuses this output for good: fix the topic's configuration "
            "or the worker's authorization, then restart",
            exit_status=EXIT_OUTPUT_REFUSED,
        )
        status = EXIT_OUTPUT_REFUSED
    else:
        log.critical("worker_exiting_runtime_failed", reason=str(failed), exit_status=EXIT_FAILED)
        status = EXIT_FAILED
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


class RuntimeApp(faust.App):
    """The Faust app of a worker running agents on the runtime: stopping, it stops them
    first, while Faust's consumer and tables still serve their last batches."""

    runtimes: list[AgentRuntime]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.runtimes = []

    async def on_stop(self) -> None:
        # Together: each is bounded by its stop_timeout_s, and the worker's grace by one.
        await asyncio.gather(*(agent.stop() for agent in self.runtimes))
        await super().on_stop()
