"""The one owner of an agent's commit order.

Per assigned partition, one batch at a time (a batch is what arrived while the previous one
was handled, up to ``batch_max`` records, so none waits for a batch to fill):

1. **decide**: the policy applies each record in offset order (pure; its state changes are
   staged in the partition's :class:`PartitionState`); the batch ends early once its staged
   state reaches ``state_bytes_max``, so that step 3 fits one record batch;
2. **outputs**: every output of the batch is sent and the broker's acks awaited, once;
3. **state and position**: each key the batch changed, once, then the input position (the
   next offset, key ``next_offset``), as ONE record batch on the state's changelog
   (partition = the input partition): Kafka appends a record batch whole or not at all, so
   the state a restart recovers is always exactly the state at its recorded position;
4. **local store**: the acknowledged writes go into the local store with their changelog
   offsets, so a restart on the same disk recovers only the changelog after them;
5. the position is committed to the consumer group in the background (for lag and
   progress; the runtime never reads it back), never while the group rebalances.

A crash before step 3 is acknowledged re-applies the batch, on the very state it was first
applied to, so the policy derives the same outputs (deterministic ids, which consumers drop
as repeats); after it, the batch is done. ``docs/runtime.md`` goes through each crash
point; ``tests/unit/streams/test_runtime.py`` crashes before and after each step.

Partitions do not wait for one another: each has its own task, so a partition whose
outputs cannot be sent (a broker partition without a leader) holds up only itself. A send
the broker refused is retried with backoff, re-sending only what was not acknowledged; one
that can never succeed is handed to the policy for a stand-in
(:meth:`~streams.runtime.ports.PartitionPolicy.unsendable`) or, when there is none or it is
the state's own changelog, stops the worker with one line (:class:`Fatal`). Revocation
drains: a revoked partition finishes its batch (within ``drain_timeout_s``) before its next
owner recovers the state. Stopping is bounded by ``stop_timeout_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import structlog

from streams import cause
from streams.runtime.ports import (
    Applied,
    Output,
    PartitionPolicy,
    Policy,
    Record,
    Refresh,
    SendFailed,
    Sink,
    Source,
    Store,
)

log = structlog.get_logger(__name__)

POSITION_KEY = "next_offset"
RECORD_OVERHEAD = 64  # bytes a changelog record takes besides its key and value text


class Fatal(RuntimeError):
    """Nothing the runtime can do will get this batch through: the worker must stop."""


class OutputRefused(Fatal):
    """The broker refuses an output for good and nothing stands in for it: the topic's
    configuration or the worker's authorization must change."""

    def __init__(self, message: str, topic: str, error: BaseException) -> None:
        super().__init__(message)
        self.topic = topic
        self.error = error


class _Abandoned(Exception):
    """A batch left undone because its partition is closing: the next owner (or the next
    start) applies it again from the recorded position."""


@dataclass(frozen=True, slots=True)
class Limits:
    batch_max: int = 2000  # records per batch
    # A batch's state and position go out as one record batch: below the producer's batch
    # size and the broker's message.max.bytes (1 MiB by default), with room for overheads.
    state_bytes_max: int = 512 * 1024
    queue_max: int = 4000  # records fetched ahead per partition before its fetching pauses
    fetch_timeout_s: float = 0.5  # longest a fetch waits when nothing arrives
    commit_interval_s: float = 1.0  # how often positions are committed to the group
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 5.0
    drain_timeout_s: float = 30.0  # a revoked partition's last batch, at most
    stop_timeout_s: float = 10.0  # in-flight batches on stop, at most


class PartitionState:
    """A partition's state: the store's values with the current batch's changes on top."""

    def __init__(self, store: Store, partition: int) -> None:
        self._store = store
        self._partition = partition
        self._staged: dict[str, str | None] = {}
        self._sizes: dict[str, int] = {}
        self.staged_bytes = 0  # about what the staged writes take in a record batch

    def get(self, key: str, /) -> str | None:
        if key in self._staged:
            return self._staged[key]
        return self._store.get(self._partition, key)

    def __setitem__(self, key: str, value: str, /) -> None:
        self._staged[key] = value
        self._size(key, len(key) + len(value))

    def __delitem__(self, key: str, /) -> None:
        self._staged[key] = None
        self._size(key, len(key))

    def _size(self, key: str, size: int) -> None:
        # Characters, not bytes: exact for the ASCII JSON state is written in, an under-count
        # for other text, hence the room ``state_bytes_max`` leaves.
        size += RECORD_OVERHEAD
        self.staged_bytes += size - self._sizes.get(key, 0)
        self._sizes[key] = size

    def items(self, prefix: str = "") -> Iterator[tuple[str, str]]:
        for key, value in self._store.items(self._partition, prefix):
            if key not in self._staged:
                yield key, value
        for key, staged in self._staged.items():
            if staged is not None and key.startswith(prefix):
                yield key, staged

    def take(self) -> dict[str, str | None]:
        """The batch's changes (each key once, its last value), cleared here."""
        staged, self._staged = self._staged, {}
        self._sizes.clear()
        self.staged_bytes = 0
        return staged


@dataclass(eq=False)
class _Partition:
    number: int
    policy: PartitionPolicy
    state: PartitionState
    position: int  # next offset to apply: what the state records
    expected: int  # next offset to queue
    queue: deque[Record] = field(default_factory=deque)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    closing: bool = False
    task: asyncio.Task[None] | None = None


@dataclass(frozen=True, slots=True)
class BatchDone:
    """What one batch did, for metrics."""

    partition: int
    records: int
    last_offset: int  # of the batch's last input record
    sent: Sequence[Output]  # every output acknowledged, stand-ins in place of the refused
    state_writes: int
    seconds: float


class Runtime:
    def __init__(
        self,
        name: str,
        policy: Policy,
        *,
        source: Source,
        sink: Sink,
        store: Store,
        state_sink: Sink | None = None,
        limits: Limits | None = None,
        on_batch: Callable[[BatchDone], None] | None = None,
    ) -> None:
        self.name = name
        self.policy = policy
        self.source = source
        self.sink = sink
        # The state's changelog may go through a producer of its own: a batch's state then
        # does not queue behind other partitions' outputs, nor their outputs behind it.
        self.state_sink = state_sink or sink
        self.store = store
        self.limits = limits or Limits()
        self.on_batch = on_batch
        self._parts: dict[int, _Partition] = {}
        self._committed: dict[int, int] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._stopped = asyncio.Event()  # set when a stop begins
        self._tasks: list[asyncio.Task[None]] = []
        self.failed: asyncio.Future[Fatal] = asyncio.get_running_loop().create_future()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._fetching(), name=f"{self.name}-fetch"),
            asyncio.create_task(self._committing(), name=f"{self.name}-commit"),
        ]

    @property
    def partitions(self) -> frozenset[int]:
        return frozenset(self._parts)

    def position(self, partition: int) -> int | None:
        part = self._parts.get(partition)
        return part.position if part is not None else None

    async def assign(self, partitions: Iterable[int]) -> None:
        """Take on ``partitions`` (their state recovered): each resumes at its position."""
        for number in sorted(set(partitions) - set(self._parts)):
            state = PartitionState(self.store, number)
            stored = self.store.get(number, POSITION_KEY)
            position = int(stored) if stored is not None else 0
            await self.source.seek(number, position)
            policy = self.policy.open(number, state)
            part = _Partition(number, policy, state, position, position)
            part.task = asyncio.create_task(self._work(part), name=f"{self.name}-p{number}")
            self._parts[number] = part
            self._wake.set()
            log.info("partition_assigned", runtime=self.name, partition=number, position=position)
            # Opening a partition can take a while (a policy rebuilding what it derives from
            # many keys): let the partitions opened so far, and other runtimes, work between.
            await asyncio.sleep(0)

    async def revoke(self, partitions: Iterable[int]) -> None:
        """Give up ``partitions``: each finishes the batch it is on (durably), then stops.

        Nothing is committed to the group here: revocation happens inside the group's
        rebalance, which a commit would wait for (the next owner reads the position from
        the state anyway)."""
        parts = [self._parts.pop(n) for n in sorted(set(partitions)) if n in self._parts]
        await self._close(parts, self.limits.drain_timeout_s, "partition_drain_timeout")

    async def stop(self) -> None:
        """Stop within ``stop_timeout_s``: batches in flight finish or are abandoned (their
        inputs are applied again from the recorded position on the next start); a batch
        whose outputs are being retried is abandoned at once."""
        deadline = time.monotonic() + self.limits.stop_timeout_s
        self._stopping = True
        self._stopped.set()
        self._wake.set()
        parts = list(self._parts.values())
        self._parts.clear()
        await self._close(parts, self.limits.stop_timeout_s, "stop_timeout")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # The group's offsets are advisory: what time is left, and at least a moment.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(deadline - time.monotonic(), 0.5)):
                await self._commit({p.number: p.position for p in parts})

    async def _close(self, parts: Sequence[_Partition], timeout_s: float, what: str) -> None:
        for part in parts:
            part.closing = True
            part.arrived.set()
        tasks = [p.task for p in parts if p.task is not None]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=timeout_s)
            for task in late:
                log.warning(what, runtime=self.name, task=task.get_name(), after_s=timeout_s)
                task.cancel()
            for task in late:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for part in parts:
            self.policy.close(part.number)

    # -- input -------------------------------------------------------------------------------

    async def _fetching(self) -> None:
        limits = self.limits
        while not self._stopping:
            wanted = {
                p.number: p
                for p in self._parts.values()
                if not p.closing and len(p.queue) < limits.queue_max
            }
            if not wanted:
                self._wake.clear()
                await self._wake.wait()
                continue
            fetched = await self.source.fetch(list(wanted), limits.fetch_timeout_s)
            for number, records in fetched.items():
                part = wanted.get(number)
                # Only to the partition the fetch was for: one revoked meanwhile (and maybe
                # assigned again, at its recorded position) takes nothing fetched before.
                if part is not None and self._parts.get(number) is part and not part.closing:
                    self._queue(part, records)

    def _queue(self, part: _Partition, records: Sequence[Record]) -> None:
        added = False
        for record in records:
            if record.offset < part.expected:
                continue  # fetched before: a repeat
            if record.offset > part.expected:
                # Nothing the runtime skipped: the log itself has no records there
                # (retention, compaction, transaction markers).
                log.warning(
                    "input_gap",
                    runtime=self.name,
                    partition=part.number,
                    expected=part.expected,
                    got=record.offset,
                )
            part.queue.append(record)
            part.expected = record.offset + 1
            added = True
        if added:
            part.arrived.set()

    # -- the commit order --------------------------------------------------------------------

    async def _work(self, part: _Partition) -> None:
        try:
            while not part.closing:
                if not part.queue:
                    part.arrived.clear()
                    await part.arrived.wait()
                    continue
                batch = [
                    part.queue.popleft() for _ in range(min(len(part.queue), self.limits.batch_max))
                ]
                self._wake.set()  # room again in this partition's queue
                await self._commit_batch(part, batch)
        except _Abandoned:
            log.warning("batch_abandoned", runtime=self.name, partition=part.number)
        except Fatal as exc:
            self._fail(exc)
        except Exception as exc:  # a bug in a policy or a port: as fatal as it gets
            log.exception("runtime_error", runtime=self.name, partition=part.number)
            self._fail(Fatal(f"{self.name} partition {part.number}: {exc!r}"))

    def _fail(self, exc: Fatal) -> None:
        log.error("runtime_fatal", runtime=self.name, reason=str(exc))
        if not self.failed.done():
            self.failed.set_result(exc)

    async def _commit_batch(self, part: _Partition, batch: list[Record]) -> None:
        began = time.perf_counter()
        number = part.number
        apply = part.policy.apply
        first = part.policy.before(batch)
        if first is not None:
            await self._read_first(part, batch[0], first)
        # 1. decide, in offset order, each output tagged with its cause; stop early if the
        #    state would not fit one record batch
        outputs: list[tuple[Output, Record]] = []
        for i, record in enumerate(batch):
            try:
                made = apply(record)
            except Refresh as wanted:
                made = await self._refreshed(part, record, wanted)
            if made:
                header = (cause.HEADER, cause.encode(record.topic, record.partition, record.offset))
                for o in made:
                    tagged = Output(o.topic, o.key, o.value, o.partition, (*o.headers, header))
                    outputs.append((tagged, record))
            if part.state.staged_bytes >= self.limits.state_bytes_max and i + 1 < len(batch):
                part.queue.extendleft(reversed(batch[i + 1 :]))
                del batch[i + 1 :]
                break
        # 2. every output acknowledged
        sent = await self._deliver(part, outputs)
        # 3. each changed key once, then the position: one record batch, durable together
        writes = part.state.take()
        keys = list(writes)
        position = str(batch[-1].offset + 1)
        records = [self.store.record(number, key, writes[key]) for key in keys]
        records.append(self.store.record(number, POSITION_KEY, position))
        offsets = await self._deliver_together(part, records)
        # 4. the local store, with the changelog offsets
        keys.append(POSITION_KEY)
        writes[POSITION_KEY] = position
        self.store.apply(
            number,
            [Applied(k, writes[k], o, r) for k, o, r in zip(keys, offsets, records, strict=True)],
        )
        part.position = batch[-1].offset + 1
        if self.on_batch is not None:
            seconds = time.perf_counter() - began
            done = BatchDone(number, len(batch), batch[-1].offset, sent, len(keys) - 1, seconds)
            self.on_batch(done)

    async def _refreshed(
        self, part: _Partition, record: Record, wanted: Refresh
    ) -> Sequence[Output]:
        """``record`` applied once what the policy asked to read first is read."""
        while True:
            await self._read_first(part, record, wanted)
            try:
                return part.policy.apply(record)
            except Refresh as again:
                wanted = again

    async def _read_first(self, part: _Partition, record: Record, wanted: Refresh) -> None:
        """Await what the policy asked to read, retrying with backoff while it fails; the
        batch is abandoned if its partition closes meanwhile."""
        backoff = self.limits.backoff_initial_s
        while True:
            try:
                await wanted.wait()
                return
            except Exception as exc:  # the broker away, say: the record waits for it
                if part.closing or self._stopping:
                    raise _Abandoned from exc
                log.warning(
                    "policy_refresh_retry",
                    runtime=self.name,
                    partition=part.number,
                    offset=record.offset,
                    why=wanted.why,
                    error=repr(exc),
                    retry_in_s=backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.limits.backoff_max_s)

    async def _deliver(
        self, part: _Partition, outputs: Sequence[tuple[Output, Record]]
    ) -> list[Output]:
        """Send ``outputs`` until each is acknowledged, re-sending only what was not; a
        record the broker can never take is replaced by the policy's stand-in. Returns what
        was acknowledged."""
        # (record, its cause, is a stand-in)
        pending = [(record, cause_, False) for record, cause_ in outputs]
        sent: list[Output] = []
        backoff = self.limits.backoff_initial_s
        attempt = 0
        while pending:
            results = await self._unless_stopped(self.sink.send([r for r, _, _ in pending]))
            again: list[tuple[Output, Record, bool]] = []
            failures: list[tuple[Output, SendFailed]] = []
            for (record, cause_, is_stand_in), result in zip(pending, results, strict=True):
                if isinstance(result, int):
                    sent.append(record)
                elif result.retriable:
                    again.append((record, cause_, is_stand_in))
                    failures.append((record, result))
                else:
                    instead = self._stand_in(part, record, cause_, result, is_stand_in)
                    again.append((instead, cause_, True))
            pending = again
            if failures:
                attempt += 1
                self._retrying(part, attempt, [r for r, _ in failures], failures[0][1], backoff)
                with contextlib.suppress(TimeoutError):  # a stop ends the pause
                    await asyncio.wait_for(self._stopped.wait(), backoff)
                if self._stopping:
                    # Not retried into a stop: the batch's state is not written yet, so the
                    # next start applies it again from the recorded position.
                    raise _Abandoned
                backoff = min(backoff * 2, self.limits.backoff_max_s)
        return sent

    async def _unless_stopped(
        self, sending: Awaitable[list[int | SendFailed]]
    ) -> list[int | SendFailed]:
        """The outputs' send, given up if a stop begins first: the batch's state is not
        written yet, so the next start applies it again from the recorded position (a send
        can wait long, for a topic's metadata say, and the stop is bounded)."""
        send = asyncio.ensure_future(sending)
        stopped = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait({send, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if not send.done():
            send.cancel()
            raise _Abandoned
        return send.result()

    async def _deliver_together(self, part: _Partition, records: Sequence[Output]) -> list[int]:
        """Send ``records`` as one record batch until it is acknowledged: its offsets."""
        backoff = self.limits.backoff_initial_s
        attempt = 0
        while True:
            result = await self.state_sink.send_together(records)
            if not isinstance(result, SendFailed):
                return result
            if not result.retriable:
                raise OutputRefused(
                    f"{self.name} partition {part.number}: {records[0].topic} refused the "
                    f"state of a batch ({result.error!r})",
                    records[0].topic,
                    result.error,
                )
            attempt += 1
            self._retrying(part, attempt, records, result, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.limits.backoff_max_s)

    def _retrying(
        self,
        part: _Partition,
        attempt: int,
        records: Sequence[Output],
        failure: SendFailed,
        backoff: float,
    ) -> None:
        log.warning(
            "output_send_retry",
            runtime=self.name,
            partition=part.number,
            attempt=attempt,
            topics=",".join(sorted({r.topic for r in records})),
            records=len(records),
            error=repr(failure.error),
            retry_in_s=backoff,
        )

    def _stand_in(
        self,
        part: _Partition,
        record: Output,
        cause_: Record,
        failure: SendFailed,
        is_stand_in: bool,
    ) -> Output:
        what = f"{self.name} partition {part.number}: {record.topic} refused"
        if is_stand_in:
            raise OutputRefused(
                f"{what} the stand-in for a refused output ({failure.error!r})",
                record.topic,
                failure.error,
            )
        instead = part.policy.unsendable(record, cause_, failure.error)
        if instead is None:
            raise OutputRefused(
                f"{what} a record that nothing can stand in for ({failure.error!r})",
                record.topic,
                failure.error,
            )
        log.warning(
            "output_replaced",
            runtime=self.name,
            partition=part.number,
            topic=record.topic,
            error=repr(failure.error),
        )
        return Output(instead.topic, instead.key, instead.value, instead.partition, record.headers)

    # -- progress for the group --------------------------------------------------------------

    async def _committing(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.limits.commit_interval_s)
            await self._commit({n: p.position for n, p in self._parts.items()})

    async def _commit(self, positions: dict[int, int]) -> None:
        changed = {n: o for n, o in positions.items() if self._committed.get(n) != o}
        if not changed:
            return
        try:
            taken = await self.source.commit(changed)
        except Exception as exc:  # advisory: the next commit carries the same positions
            log.warning("position_commit_failed", runtime=self.name, error=repr(exc))
            return
        if taken:
            self._committed.update(changed)
