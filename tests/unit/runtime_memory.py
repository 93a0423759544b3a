"""In-memory ports for the runtime's unit tests: a broker, a disk, and a crash on cue.

:class:`World` is what survives a crash: the broker's topics (every record acknowledged
stays) and the worker's disk (the local store, with the changelog offset it holds). A
:class:`Fault` makes one port call crash, before its effect, after it, or halfway through a
send; from then on every port of that life raises :class:`Crash` at once, as after a
SIGKILL nothing more happens. A new life recovers the store from the changelog after its
offset (as Faust's recovery does) and starts a new runtime on it.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from streams.runtime.ports import Applied, Output, Record, SendFailed

Step = Literal["decide", "outputs", "state", "store", "commit"]
When = Literal["before", "after", "midway"]


class Crash(BaseException):
    """The process died here (a BaseException: nothing in the runtime may catch it)."""


@dataclass(frozen=True)
class Fault:
    step: Step
    when: When
    at: int  # on this occurrence of the step (1 = the first)


@dataclass
class World:
    partitions: int
    topics: dict[str, list[list[tuple[bytes | None, bytes | None]]]] = field(default_factory=dict)
    disk: dict[int, dict[str, str]] = field(default_factory=dict)  # the local store
    disk_offset: dict[int, int] = field(default_factory=dict)  # its last changelog offset
    committed: dict[int, int] = field(default_factory=dict)  # the group's positions
    fault: Fault | None = None
    seen: dict[Step, int] = field(default_factory=dict)
    crashed: bool = False
    # Retriable failures to inject: (topic, partition) -> how many sends to fail.
    flaky: dict[tuple[str, int], int] = field(default_factory=dict)
    refused: set[bytes] = field(default_factory=set)  # never taken: values holding one of these

    def topic(self, name: str) -> list[list[tuple[bytes | None, bytes | None]]]:
        return self.topics.setdefault(name, [[] for _ in range(self.partitions)])

    def alive(self) -> None:
        if self.crashed:
            raise Crash("already dead")

    def enter(self, step: Step) -> int:
        """The start of a step's port call: its occurrence number (crashing first if the
        fault is before this one)."""
        self.alive()
        n = self.seen[step] = self.seen.get(step, 0) + 1
        self.check(step, n, "before")
        return n

    def check(self, step: Step, n: int, when: When) -> None:
        """Crash if the fault is for occurrence ``n`` of ``step`` at ``when``."""
        self.alive()
        fault = self.fault
        if fault is not None and (fault.step, fault.at, fault.when) == (step, n, when):
            self.crashed = True
            raise Crash(f"{when} {step} #{n}")

    def new_life(self, fault: Fault | None = None) -> None:
        self.crashed = False
        self.fault = fault
        self.seen = {}


class MemorySource:
    def __init__(self, world: World, topic: str) -> None:
        self.world = world
        self.topic = topic
        self.at: dict[int, int] = {}

    async def seek(self, partition: int, offset: int) -> None:
        self.world.alive()
        self.at[partition] = offset

    async def fetch(
        self, partitions: Collection[int], timeout_s: float
    ) -> Mapping[int, Sequence[Record]]:
        self.world.alive()
        log = self.world.topic(self.topic)
        out: dict[int, list[Record]] = {}
        for p in partitions:
            start = self.at.get(p, 0)
            taken = log[p][start : start + 5]
            if taken:
                out[p] = [
                    Record(self.topic, p, start + i, key, value, 0.0)
                    for i, (key, value) in enumerate(taken)
                ]
                self.at[p] = start + len(taken)
        await asyncio.sleep(0 if out else min(timeout_s, 0.001))
        self.world.alive()
        return out

    async def commit(self, positions: Mapping[int, int]) -> None:
        n = self.world.enter("commit")
        self.world.committed.update(positions)
        self.world.check("commit", n, "after")


def partition_for(key: bytes | None, partitions: int) -> int:
    return zlib.crc32(key or b"") % partitions


class MemorySink:
    def __init__(self, world: World, changelog: str) -> None:
        self.world = world
        self.changelog = changelog
        self.sent: list[Output] = []  # every record handed to the broker, acked or not

    async def send(self, records: Sequence[Output]) -> list[int | SendFailed]:
        world = self.world
        n = world.enter("outputs")
        await asyncio.sleep(0)
        out: list[int | SendFailed] = []
        for i, r in enumerate(records):
            if i == len(records) // 2:
                world.check("outputs", n, "midway")
            out.append(self._append(r))
        world.check("outputs", n, "after")
        return out

    async def send_together(self, records: Sequence[Output]) -> list[int] | SendFailed:
        world = self.world
        n = world.enter("state")
        await asyncio.sleep(0)
        partitions = {(r.topic, r.partition) for r in records}
        assert len(partitions) == 1, partitions
        (topic, partition), *_ = partitions
        assert partition is not None
        self.sent.extend(records)
        failed = self._failure(topic, partition, records)
        if failed is not None:
            return failed
        log = world.topic(topic)[partition]
        base = len(log)
        log.extend((r.key, r.value) for r in records)
        world.check("state", n, "after")
        return [base + i for i in range(len(records))]

    def _append(self, r: Output) -> int | SendFailed:
        world = self.world
        partition = (
            r.partition if r.partition is not None else partition_for(r.key, world.partitions)
        )
        self.sent.append(r)
        failed = self._failure(r.topic, partition, [r])
        if failed is not None:
            return failed
        log = world.topic(r.topic)[partition]
        log.append((r.key, r.value))
        return len(log) - 1

    def _failure(self, topic: str, partition: int, records: Sequence[Output]) -> SendFailed | None:
        world = self.world
        flaky = world.flaky.get((topic, partition), 0)
        if flaky:
            world.flaky[(topic, partition)] = flaky - 1
            return SendFailed(TimeoutError("no leader"), retriable=True)
        if any(bad in (r.value or b"") for r in records for bad in world.refused):
            return SendFailed(ValueError("record too large"), retriable=False)
        return None


class MemoryStore:
    """The local store: ``World.disk``; changelog records are JSON, keys ``<p>:<key>``."""

    def __init__(self, world: World, changelog: str) -> None:
        self.world = world
        self.changelog = changelog

    def get(self, partition: int, key: str) -> str | None:
        self.world.alive()
        return self.world.disk.get(partition, {}).get(key)

    def items(self, partition: int, prefix: str = "") -> Iterator[tuple[str, str]]:
        self.world.alive()
        held = self.world.disk.get(partition, {})
        return iter([(k, v) for k, v in sorted(held.items()) if k.startswith(prefix)])

    def record(self, partition: int, key: str, value: str | None) -> Output:
        encoded = None if value is None else json.dumps(value).encode()
        return Output(self.changelog, json.dumps(f"{partition}:{key}").encode(), encoded, partition)

    def apply(self, partition: int, writes: Sequence[Applied]) -> None:
        n = self.world.enter("store")
        held = self.world.disk.setdefault(partition, {})
        for w in writes:
            if w.value is None:
                held.pop(w.key, None)
            else:
                held[w.key] = w.value
        if writes:
            self.world.disk_offset[partition] = writes[-1].offset
        self.world.check("store", n, "after")


def recover(world: World, changelog: str) -> int:
    """What Faust's recovery does on a restart: each partition's changelog after the offset
    the disk holds, applied to the disk. Returns the records read."""
    read = 0
    for partition, log in enumerate(world.topic(changelog)):
        start = world.disk_offset.get(partition, -1) + 1
        held = world.disk.setdefault(partition, {})
        for offset in range(start, len(log)):
            key, value = log[offset]
            name = str(json.loads(key or b'""')).split(":", 1)[1]
            if value is None:
                held.pop(name, None)
            else:
                held[name] = str(json.loads(value))
            world.disk_offset[partition] = offset
            read += 1
    return read
