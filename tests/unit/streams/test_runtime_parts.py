"""The runtime's collaborators on their own: a batch's staged state, batch assembly from
a partition's queue, and the group's commits (the commit order itself is
``test_runtime.py``'s)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterator, Mapping, Sequence

from streams.runtime.group_commits import GroupCommits
from streams.runtime.intake import Intake, Partition
from streams.runtime.limits import Limits
from streams.runtime.partition_state import RECORD_OVERHEAD, PartitionState
from streams.runtime.ports import Applied, Output, PartitionPolicy, Record, Refresh

TOPIC = "liudong.validated"


class DictStore:
    changelog = "liudong.changelog"

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, partition: int, key: str) -> str | None:
        return self.values.get(key)

    def items(self, partition: int, prefix: str = "") -> Iterator[tuple[str, str]]:
        return ((k, v) for k, v in sorted(self.values.items()) if k.startswith(prefix))

    def record(self, partition: int, key: str, value: str | None) -> Output:
        return Output(self.changelog, key.encode(), None if value is None else value.encode())

    def apply(self, partition: int, writes: Sequence[Applied]) -> None:
        raise AssertionError("a partition's state never writes the store itself")


class Source:
    topic = TOPIC

    def __init__(self, answers: Sequence[bool | Exception]) -> None:
        self.answers = list(answers)
        self.commits: list[dict[int, int]] = []

    async def seek(self, partition: int, offset: int) -> None:
        raise AssertionError("not sought here")

    async def fetch(
        self, partitions: Collection[int], timeout_s: float
    ) -> Mapping[int, Sequence[Record]]:
        raise AssertionError("not fetched here")

    async def commit(self, positions: Mapping[int, int]) -> bool:
        self.commits.append(dict(positions))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class NoDecisions:
    def before(self, records: Sequence[Record]) -> Refresh | None:
        return None

    def apply(self, record: Record) -> Sequence[Output]:
        return ()

    def unsendable(self, output: Output, cause: Record, error: BaseException) -> Output | None:
        return None


def record(offset: int) -> Record:
    return Record(TOPIC, 0, offset, b"k", b"v", 0.0)


def test_staged_writes_shadow_the_store_until_taken() -> None:
    store = DictStore({"case/a": "1", "case/b": "2", "clock": "9"})
    state = PartitionState(store, 0)
    state["case/a"] = "10"
    del state["case/b"]
    state["case/c"] = "3"
    assert state.get("case/a") == "10"
    assert state.get("case/b") is None
    assert state.get("clock") == "9"
    assert sorted(state.items("case/")) == [("case/a", "10"), ("case/c", "3")]
    assert state.take() == {"case/a": "10", "case/b": None, "case/c": "3"}
    assert state.get("case/a") == "1"  # taken: the store's value again
    assert state.take() == {}


def test_a_key_written_twice_counts_once_at_its_last_size() -> None:
    state = PartitionState(DictStore({}), 0)
    state["k"] = "x" * 100
    state["k"] = "x" * 10
    assert state.staged_bytes == len("k") + 10 + RECORD_OVERHEAD
    del state["k"]
    assert state.staged_bytes == len("k") + RECORD_OVERHEAD
    state.take()
    assert state.staged_bytes == 0


def partition() -> Partition:
    policy: PartitionPolicy = NoDecisions()
    return Partition(0, policy, PartitionState(DictStore({}), 0), 0, 0)


def intake_for(part: Partition, batch_max: int) -> Intake:
    return Intake("test", Source([]), Limits(batch_max=batch_max), {0: part})


async def test_batches_come_in_offset_order_up_to_the_limit_repeats_dropped() -> None:
    part = partition()
    intake = intake_for(part, batch_max=3)
    intake.add(part, [record(0), record(1)])
    intake.add(part, [record(1), record(2), record(3)])  # offset 1 fetched again
    first = await intake.next_batch(part)
    assert first is not None
    assert [r.offset for r in first] == [0, 1, 2]
    Intake.put_back(part, first[1:])  # the batch ended early after its first record
    second = await intake.next_batch(part)
    assert second is not None
    assert [r.offset for r in second] == [1, 2, 3]


async def test_a_closing_partition_gets_no_more_batches() -> None:
    part = partition()
    intake = intake_for(part, batch_max=10)
    waiting = asyncio.create_task(intake.next_batch(part))
    await asyncio.sleep(0)
    assert not waiting.done()  # nothing arrived: it waits
    part.closing = True
    part.arrived.set()
    assert await waiting is None


async def test_only_changed_positions_are_committed_and_a_refusal_is_tried_again() -> None:
    source = Source([False, True, RuntimeError("broker away"), True])
    group = GroupCommits("test", source, interval_s=1.0)
    await group.commit({0: 5, 1: 7})  # not now: rebalancing
    await group.commit({0: 5, 1: 7})  # taken
    await group.commit({0: 5, 1: 7})  # nothing changed: nothing sent
    await group.commit({0: 6, 1: 7})  # fails: logged, not raised
    await group.commit({0: 6, 1: 7})  # the same position again, taken
    assert source.commits == [{0: 5, 1: 7}, {0: 5, 1: 7}, {0: 6}, {0: 6}]


async def test_commits_stop_once_the_runtime_stops() -> None:
    source = Source([True] * 3)
    group = GroupCommits("test", source, interval_s=0.001)
    stopped = asyncio.Event()
    asked: list[int] = []

    def positions() -> dict[int, int]:
        asked.append(len(asked) + 1)
        if len(asked) == 3:
            stopped.set()  # the stop begins while the third commit is on its way
        return {0: asked[-1]}

    await asyncio.wait_for(group.every_interval(positions, stopped), timeout=5)
    assert source.commits == [{0: 1}, {0: 2}, {0: 3}]
