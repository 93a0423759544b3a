"""What the runtime works with: records in, outputs out, a policy between, and three ports.

The policy is the agent's: pure decisions, no I/O. The ports are the runtime's view of
Kafka and of the local state store; :mod:`streams.runtime.faust_ports` implements them on
Faust's consumer, an aiokafka producer and Faust's tables, and the unit tests on memory.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Record:
    """One input record, as the broker holds it (the fields Faust's messages have)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: float  # seconds since the epoch


@dataclass(frozen=True, slots=True)
class Output:
    """A record to send. ``partition`` None: the producer's partitioner picks it by key."""

    topic: str
    key: bytes | None
    value: bytes | None  # None: a tombstone
    partition: int | None = None


class State(Protocol):
    """One partition's state as its policy sees it: text by key, changes kept until the
    runtime has made them durable (each changed key written once per batch)."""

    def get(self, key: str, /) -> str | None: ...

    def __setitem__(self, key: str, value: str, /) -> None: ...

    def __delitem__(self, key: str, /) -> None: ...

    def items(self, prefix: str = "") -> Iterator[tuple[str, str]]: ...


class PartitionPolicy(Protocol):
    """An agent's decisions for one partition it holds."""

    def apply(self, record: Record) -> Sequence[Output]:
        """Decide one record: the outputs it causes, in the order to send them. Reads and
        writes the partition's :class:`State`; never raises on bad input (bad input is an
        output too: a dead letter)."""
        ...

    def unsendable(self, output: Output, error: BaseException) -> Output | None:
        """What to send instead of an output the broker can never take (too large, a topic
        that does not exist, not authorized), or None when nothing can stand in for it:
        the runtime then stops the worker with one clear line."""
        ...


class Policy(Protocol):
    def open(self, partition: int, state: State) -> PartitionPolicy:
        """The partition's decisions, built from its stored state (on assignment)."""
        ...


class Source(Protocol):
    """The input topic's partitions this worker holds."""

    topic: str

    async def seek(self, partition: int, offset: int) -> None:
        """The next fetch of ``partition`` starts at ``offset``."""
        ...

    async def fetch(
        self, partitions: Collection[int], timeout_s: float
    ) -> Mapping[int, Sequence[Record]]:
        """What arrived on ``partitions`` (waiting at most ``timeout_s`` for something),
        each partition's records in offset order."""
        ...

    async def commit(self, positions: Mapping[int, int]) -> None:
        """Tell the consumer group how far each partition is (next offset): for lag and
        progress only; what the runtime resumes from is the position in its own state."""
        ...


@dataclass(frozen=True, slots=True)
class SendFailed:
    """Why a record was not acknowledged; ``retriable``: sending it again may succeed."""

    error: BaseException
    retriable: bool


class Sink(Protocol):
    """The producer: outputs, and the state's changelog."""

    async def send(self, records: Sequence[Output]) -> list[int | SendFailed]:
        """Send ``records`` and wait for the broker: each one's offset once acknowledged,
        or why not. Records of one partition keep their order."""
        ...

    async def send_together(self, records: Sequence[Output]) -> list[int] | SendFailed:
        """Send ``records`` (all to one topic partition) as one record batch, which the
        broker appends whole or not at all: their offsets, or why none was written."""
        ...


@dataclass(frozen=True, slots=True)
class Applied:
    """A state write the changelog acknowledged at ``offset``; ``value`` None: deleted."""

    key: str
    value: str | None
    offset: int


class Store(Protocol):
    """The local state store (with its changelog topic, one partition per input partition)."""

    changelog: str

    def get(self, partition: int, key: str) -> str | None: ...

    def items(self, partition: int, prefix: str = "") -> Iterator[tuple[str, str]]: ...

    def record(self, partition: int, key: str, value: str | None) -> Output:
        """The changelog record of a write (the key and value bytes the store's recovery
        reads back)."""
        ...

    def apply(self, partition: int, writes: Sequence[Applied]) -> None:
        """Write acknowledged changelog records into the local store, noting the offset
        of the last one, so a restart recovers only the changelog after it."""
        ...
