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

The order is here, in :meth:`Runtime._commit_batch`; its collaborators do one thing each:
:mod:`~streams.runtime.intake` fetches and assembles batches (a partition's queue),
:mod:`~streams.runtime.delivery` sends outputs and state until acknowledged,
:mod:`~streams.runtime.partition_state` stages a batch's state changes, and
:mod:`~streams.runtime.group_commits` commits positions to the group.

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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import structlog

from streams import cause
from streams.runtime.delivery import Delivery
from streams.runtime.failures import Abandoned, Fatal
from streams.runtime.group_commits import GroupCommits
from streams.runtime.intake import Intake, Partition
from streams.runtime.limits import Limits
from streams.runtime.partition_state import POSITION_KEY, PartitionState
from streams.runtime.ports import Applied, Output, Policy, Record, Refresh, Sink, Source, Store

log = structlog.get_logger(__name__)


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
        self.store = store
        self.limits = limits or Limits()
        self.on_batch = on_batch
        self._parts: dict[int, Partition] = {}
        self._stopped = asyncio.Event()  # set when a stop begins
        self._intake = Intake(name, source, self.limits, self._parts)
        self._delivery = Delivery(name, sink, state_sink or sink, self.limits, self._stopped)
        self._group = GroupCommits(name, source, self.limits.commit_interval_s)
        self._tasks: list[asyncio.Task[None]] = []
        self.failed: asyncio.Future[Fatal] = asyncio.get_running_loop().create_future()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._intake.fetching(), name=f"{self.name}-fetch"),
            asyncio.create_task(
                self._group.every_interval(self._positions, self._stopped),
                name=f"{self.name}-commit",
            ),
        ]

    @property
    def partitions(self) -> frozenset[int]:
        return frozenset(self._parts)

    def position(self, partition: int) -> int | None:
        part = self._parts.get(partition)
        return part.position if part is not None else None

    def _positions(self) -> dict[int, int]:
        return {n: p.position for n, p in self._parts.items()}

    async def assign(self, partitions: Iterable[int]) -> None:
        """Take on ``partitions`` (their state recovered): each resumes at its position."""
        for number in sorted(set(partitions) - set(self._parts)):
            state = PartitionState(self.store, number)
            stored = self.store.get(number, POSITION_KEY)
            position = int(stored) if stored is not None else 0
            await self.source.seek(number, position)
            policy = self.policy.open(number, state)
            part = Partition(number, policy, state, position, position)
            part.task = asyncio.create_task(self._work(part), name=f"{self.name}-p{number}")
            self._parts[number] = part
            self._intake.wake()
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
        self._stopped.set()
        self._intake.stop()
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
                await self._group.commit({p.number: p.position for p in parts})

    async def _close(self, parts: Sequence[Partition], timeout_s: float, what: str) -> None:
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

    # -- the commit order --------------------------------------------------------------------

    async def _work(self, part: Partition) -> None:
        try:
            while (batch := await self._intake.next_batch(part)) is not None:
                await self._commit_batch(part, batch)
        except Abandoned:
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

    async def _commit_batch(self, part: Partition, batch: list[Record]) -> None:
        began = time.perf_counter()
        number = part.number
        # 1. decide, in offset order, each output tagged with its cause; the batch may end
        #    early, so that its state fits one record batch
        outputs = await self._decide(part, batch)
        # 2. every output acknowledged
        sent = await self._delivery.outputs(number, part.policy, outputs)
        # 3. each changed key once, then the position: one record batch, durable together
        writes = part.state.take()
        keys = list(writes)
        position = str(batch[-1].offset + 1)
        records = [self.store.record(number, key, writes[key]) for key in keys]
        records.append(self.store.record(number, POSITION_KEY, position))
        offsets = await self._delivery.state(number, records)
        # 4. the local store, with the changelog offsets
        keys.append(POSITION_KEY)
        writes[POSITION_KEY] = position
        self.store.apply(
            number,
            [Applied(k, writes[k], o, r) for k, o, r in zip(keys, offsets, records, strict=True)],
        )
        part.position = batch[-1].offset + 1
        # 5. the group's commit follows in the background (GroupCommits)
        if self.on_batch is not None:
            seconds = time.perf_counter() - began
            done = BatchDone(number, len(batch), batch[-1].offset, sent, len(keys) - 1, seconds)
            self.on_batch(done)

    async def _decide(self, part: Partition, batch: list[Record]) -> list[tuple[Output, Record]]:
        """Each record of ``batch`` applied in offset order: the outputs, each tagged with
        its cause and paired with the record that caused it. Once the staged state reaches
        ``state_bytes_max`` the rest of ``batch`` goes back to the queue (and out of
        ``batch``), for the next batch."""
        apply = part.policy.apply
        first = part.policy.before(batch)
        if first is not None:
            await self._read_first(part, batch[0], first)
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
                self._intake.put_back(part, batch[i + 1 :])
                del batch[i + 1 :]
                break
        return outputs

    async def _refreshed(
        self, part: Partition, record: Record, wanted: Refresh
    ) -> Sequence[Output]:
        """``record`` applied once what the policy asked to read first is read."""
        while True:
            await self._read_first(part, record, wanted)
            try:
                return part.policy.apply(record)
            except Refresh as again:
                wanted = again

    async def _read_first(self, part: Partition, record: Record, wanted: Refresh) -> None:
        """Await what the policy asked to read, retrying with backoff while it fails; the
        batch is abandoned if its partition closes meanwhile."""
        backoff = self.limits.backoff_initial_s
        while True:
            try:
                await wanted.wait()
                return
            except Exception as exc:  # the broker away, say: the record waits for it
                if part.closing or self._stopped.is_set():
                    raise Abandoned from exc
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
