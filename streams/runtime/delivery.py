"""Sending a batch's outputs and its state, until the broker has acknowledged them.

A send the broker refused for now is retried with backoff, re-sending only what was not
acknowledged; an output it can never take is replaced by the policy's stand-in
(:meth:`~streams.runtime.ports.PartitionPolicy.unsendable`), or, with none, or for the
state's own changelog, the worker must stop (:class:`~streams.runtime.failures.OutputRefused`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Sequence

import structlog

from streams.runtime.failures import Abandoned, OutputRefused
from streams.runtime.limits import Limits
from streams.runtime.ports import Output, PartitionPolicy, Record, SendFailed, Sink

log = structlog.get_logger(__name__)


class Delivery:
    """The runtime's two sends: a batch's outputs (:meth:`outputs`) and its state and
    position as one record batch (:meth:`state`). ``stopped`` is set when the runtime
    begins to stop: outputs are then no longer retried, and their batch is abandoned."""

    def __init__(
        self, name: str, sink: Sink, state_sink: Sink, limits: Limits, stopped: asyncio.Event
    ) -> None:
        self.name = name
        self.sink = sink
        # The state's changelog may go through a producer of its own: a batch's state then
        # does not queue behind other partitions' outputs, nor their outputs behind it.
        self.state_sink = state_sink
        self.limits = limits
        self._stopped = stopped

    async def outputs(
        self, partition: int, policy: PartitionPolicy, outputs: Sequence[tuple[Output, Record]]
    ) -> list[Output]:
        """Send ``outputs`` (each with the record that caused it) until each is
        acknowledged, re-sending only what was not; a record the broker can never take is
        replaced by the policy's stand-in. Returns what was acknowledged."""
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
                    instead = self._stand_in(partition, policy, record, cause_, result, is_stand_in)
                    again.append((instead, cause_, True))
            pending = again
            if failures:
                attempt += 1
                records = [r for r, _ in failures]
                self._retrying(partition, attempt, records, failures[0][1], backoff)
                with contextlib.suppress(TimeoutError):  # a stop ends the pause
                    await asyncio.wait_for(self._stopped.wait(), backoff)
                if self._stopped.is_set():
                    # Not retried into a stop: the batch's state is not written yet, so the
                    # next start applies it again from the recorded position.
                    raise Abandoned
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
            raise Abandoned
        return send.result()

    async def state(self, partition: int, records: Sequence[Output]) -> list[int]:
        """Send ``records`` as one record batch until it is acknowledged: its offsets."""
        backoff = self.limits.backoff_initial_s
        attempt = 0
        while True:
            result = await self.state_sink.send_together(records)
            if not isinstance(result, SendFailed):
                return result
            if not result.retriable:
                raise OutputRefused(
                    f"{self.name} partition {partition}: {records[0].topic} refused the "
                    f"state of a batch ({result.error!r})",
                    records[0].topic,
                    result.error,
                )
            attempt += 1
            self._retrying(partition, attempt, records, result, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.limits.backoff_max_s)

    def _retrying(
        self,
        partition: int,
        attempt: int,
        records: Sequence[Output],
        failure: SendFailed,
        backoff: float,
    ) -> None:
        log.warning(
            "output_send_retry",
            runtime=self.name,
            partition=partition,
            attempt=attempt,
            topics=",".join(sorted({r.topic for r in records})),
            records=len(records),
            error=repr(failure.error),
            retry_in_s=backoff,
        )

    def _stand_in(
        self,
        partition: int,
        policy: PartitionPolicy,
        record: Output,
        cause_: Record,
        failure: SendFailed,
        is_stand_in: bool,
    ) -> Output:
        what = f"{self.name} partition {partition}: {record.topic} refused"
        if is_stand_in:
            raise OutputRefused(
                f"{what} the stand-in for a refused output ({failure.error!r})",
                record.topic,
                failure.error,
            )
        instead = policy.unsendable(record, cause_, failure.error)
        if instead is None:
            raise OutputRefused(
                f"{what} a record that nothing can stand in for ({failure.error!r})",
                record.topic,
                failure.error,
            )
        log.warning(
            "output_replaced",
            runtime=self.name,
            partition=partition,
            topic=record.topic,
            error=repr(failure.error),
        )
        return Output(instead.topic, instead.key, instead.value, instead.partition, record.headers)
