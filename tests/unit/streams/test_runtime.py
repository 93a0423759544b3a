"""The runtime's commit order, driven on in-memory ports, with a crash before and after each
step (and halfway through each send), then a restart on the same disk.

After every crash and restart the outputs must be exactly the uninterrupted run's (each id
present, all copies of an id equal: a repeat is harmless, a different effect is not), the
state and the positions too, and the restart must have read only the changelog's tail.
Also: a stuck partition does not hold up the others, only unacknowledged records are sent
again, an output the broker can never take gets the policy's stand-in (or stops the worker
with one line), revocation drains, and stopping returns while a send is still failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, get_args

import pytest
import structlog.testing

from streams import cause
from streams.runtime import Fatal, Limits, Output, Record, Refresh, Runtime, State
from tests.unit.runtime_memory import (
    Crash,
    Fault,
    MemorySink,
    MemorySource,
    MemoryStore,
    Step,
    When,
    World,
    partition_for,
    recover,
)

INPUT = "in"
DERIVED = "derived"
AUDIT = "audit"
DEAD = "dead"
CHANGELOG = "tally-state-changelog"
LIMITS = Limits(
    batch_max=4,
    queue_max=8,
    fetch_timeout_s=0.001,
    commit_interval_s=0.001,
    backoff_initial_s=0.001,
    backoff_max_s=0.002,
    drain_timeout_s=5.0,
    stop_timeout_s=5.0,
)


class Tally:
    """A policy with the properties of the real ones: state per key, deterministic output
    ids, repeats recognised from the state (an event id seen before derives nothing)."""

    def __init__(self, world: World, *, audit: bool = False, stand_in: bool = True) -> None:
        self.world = world
        self.audit = audit
        self.stand_in = stand_in
        self.closed: list[int] = []

    def open(self, partition: int, state: State) -> TallyPartition:
        return TallyPartition(self, state)

    def close(self, partition: int) -> None:
        self.closed.append(partition)


@dataclass
class TallyPartition:
    policy: Tally
    state: State

    def before(self, records: Sequence[Record]) -> Refresh | None:
        return None

    def apply(self, record: Record) -> Sequence[Output]:
        world = self.policy.world
        n = world.enter("decide")
        body = json.loads(record.value or b"{}")
        if body.get("bug"):
            raise ZeroDivisionError("a policy bug")
        person, event_id = body["person"], body["id"]
        key = f"person/{person}"
        saved = json.loads(self.state.get(key) or '{"total": 0, "seen": []}')
        out: list[Output] = []
        if event_id not in saved["seen"]:
            saved["total"] += body["amount"]
            saved["seen"].append(event_id)
            self.state[key] = json.dumps(saved, sort_keys=True)
            derived = {"id": f"d-{event_id}", "cause": event_id, "total": saved["total"]}
            out.append(Output(DERIVED, person.encode(), json.dumps(derived).encode()))
            if self.policy.audit:
                audit = json.dumps({"id": f"a-{event_id}"}).encode()
                out.append(Output(AUDIT, None, audit, record.offset % 2))
        world.check("decide", n, "after")
        return out

    def unsendable(self, output: Output, cause: Record, error: BaseException) -> Output | None:
        if not self.policy.stand_in:
            return None
        return Output(DEAD, output.key, f"refused at {cause.offset}: {error}".encode(), 0)


def populate(world: World, persons: int = 12, rounds: int = 5) -> None:
    """Events for ``persons`` persons, each person's in its own partition, with repeats."""
    log = world.topic(INPUT)
    n = 0
    for r in range(rounds):
        for i in range(persons):
            person = f"p{i}"
            n += 1
            body = {"person": person, "id": f"e{n}", "amount": (n % 7) + 1}
            log[partition_for(person.encode(), world.partitions)].append(
                (person.encode(), json.dumps(body).encode())
            )
            if (n + r) % 9 == 0:  # an exact re-delivery
                log[partition_for(person.encode(), world.partitions)].append(
                    (person.encode(), json.dumps(body).encode())
                )


@dataclass
class Life:
    runtime: Runtime
    recovered: int  # changelog records the restart read
    sink: MemorySink
    fatal: Fatal | None = None
    crashed: bool = False


def runtime_for(world: World, policy: Tally, limits: Limits = LIMITS) -> tuple[Runtime, MemorySink]:
    sink = MemorySink(world, CHANGELOG)
    runtime = Runtime(
        "tally",
        policy,
        source=MemorySource(world, INPUT),
        sink=sink,
        store=MemoryStore(world, CHANGELOG),
        limits=limits,
    )
    return runtime, sink


def done(world: World, runtime: Runtime) -> bool:
    ends = [len(p) for p in world.topic(INPUT)]
    return all(runtime.position(p) == end for p, end in enumerate(ends))


async def kill(tasks: Sequence[asyncio.Task[object]]) -> None:
    """SIGKILL: every task of the life ends where it is; nothing of it runs any more."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(BaseException):
            await task


@contextlib.contextmanager
def tasks_made() -> Iterator[list[asyncio.Task[object]]]:
    """Every task created meanwhile (a life's tasks, crashed ones included)."""
    loop = asyncio.get_running_loop()
    made: list[asyncio.Task[object]] = []
    before = loop.get_task_factory()

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, /, **kwargs: Any) -> Any:
        task: asyncio.Task[object] = asyncio.Task(coro, loop=loop, **kwargs)
        made.append(task)
        return task

    loop.set_task_factory(factory)
    try:
        yield made
    finally:
        loop.set_task_factory(before)


async def live(world: World, policy: Tally, fault: Fault | None = None) -> Life:
    """One life of the worker: recover, run until every input is applied or it crashes."""
    world.new_life(fault)
    recovered = recover(world, CHANGELOG)
    with tasks_made() as tasks:
        runtime, sink = runtime_for(world, policy)
        life = Life(runtime, recovered, sink)
        try:
            runtime.start()
            await runtime.assign(range(world.partitions))
            for _ in range(20_000):
                if world.crashed:
                    raise Crash("observed")
                if runtime.failed.done():
                    life.fatal = runtime.failed.result()
                    break
                if done(world, runtime):
                    await runtime.stop()
                    return life
                await asyncio.sleep(0.0005)
            else:
                raise AssertionError("the runtime did not reach the end of its input")
        except Crash:
            life.crashed = True
    await kill(tasks)
    return life


def causes(world: World, topic: str = DERIVED) -> list[tuple[bytes | None, cause.Cause | None]]:
    """Each record of ``topic`` with the cause its header names."""
    return [
        (value, cause.of(named))
        for records, tags in zip(world.topic(topic), world.headers.get(topic, []), strict=True)
        for (_, value), named in zip(records, tags, strict=True)
    ]


def assert_caused_by_their_inputs(world: World) -> None:
    """Every derived output names, in its header, the input record it was derived from."""
    inputs = world.topic(INPUT)
    tagged = causes(world)
    assert tagged
    for value, named in tagged:
        assert named is not None
        assert named.topic == INPUT
        _, cause_value = inputs[named.partition][named.offset]
        assert json.loads(cause_value or b"")["id"] == json.loads(value or b"")["cause"]


def outputs(world: World, topic: str = DERIVED) -> dict[str, list[bytes]]:
    """Each output id with every copy of it on the topic."""
    copies: dict[str, list[bytes]] = {}
    for part in world.topic(topic):
        for _, value in part:
            copies.setdefault(json.loads(value or b"{}")["id"], []).append(value or b"")
    return copies


async def uninterrupted(partitions: int) -> World:
    world = World(partitions)
    populate(world)
    life = await live(world, Tally(world))
    assert not life.crashed
    assert life.fatal is None
    return world


FAULTS = [
    Fault(step, when, at)
    for step in get_args(Step)
    for when in get_args(When)
    if when != "midway" or step == "outputs"  # the only step that can stop halfway
    for at in ((1,) if step == "commit" else (1, 3))  # commits come with time, not batches
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f"{f.when}-{f.step}-{f.at}")
@pytest.mark.parametrize("partitions", [1, 3])
async def test_a_crash_at_any_step_loses_and_duplicates_nothing(
    fault: Fault, partitions: int
) -> None:
    reference = await uninterrupted(partitions)
    world = World(partitions)
    populate(world)
    first = await live(world, Tally(world), fault)
    assert first.crashed, f"the fault never fired: {fault}"
    disk_before = {p: dict(held) for p, held in world.disk.items()}
    second = await live(world, Tally(world))
    assert not second.crashed
    assert second.fatal is None

    got, want = outputs(world), outputs(reference)
    assert set(got) == set(want)  # nothing lost, nothing made up
    for output_id, copies in got.items():
        assert set(copies) == set(want[output_id]), output_id  # a repeat, never another effect
        assert len(copies) <= 2, output_id  # at most the batch in flight, once more
    assert world.disk == reference.disk  # the state, positions included
    assert world.committed == {p: len(log) for p, log in enumerate(world.topic(INPUT))}
    assert_caused_by_their_inputs(world)  # a re-sent copy too
    # The restart read the changelog only after what its disk held.
    changelog = sum(len(log) for log in world.topic(CHANGELOG))
    assert second.recovered < changelog or not any(disk_before.values())

    if partitions == 1 and fault.step != "commit":
        # One batch in flight: exactly its outputs are sent twice, when it was between
        # outputs and state (the group's commits run beside the batches, in their own time).
        repeated = any(len(copies) > 1 for copies in got.values())
        resent = (fault.step, fault.when) in {
            ("outputs", "midway"),
            ("outputs", "after"),
            ("state", "before"),
        }
        assert repeated == resent, fault


async def test_two_crashes_in_a_row_still_lose_nothing() -> None:
    reference = await uninterrupted(3)
    world = World(3)
    populate(world)
    assert (await live(world, Tally(world), Fault("outputs", "midway", 2))).crashed
    assert (await live(world, Tally(world), Fault("state", "before", 2))).crashed
    assert not (await live(world, Tally(world))).crashed
    assert set(outputs(world)) == set(outputs(reference))
    assert world.disk == reference.disk


async def test_a_restart_on_the_same_disk_reads_only_the_changelogs_tail() -> None:
    world = World(3)
    populate(world, rounds=3)
    assert not (await live(world, Tally(world))).crashed
    written = sum(len(log) for log in world.topic(CHANGELOG))
    again = await live(world, Tally(world))  # nothing new: nothing to read
    assert again.recovered == 0
    populate(world, rounds=1)
    assert (await live(world, Tally(world), Fault("store", "before", 2))).crashed
    tail = await live(world, Tally(world))
    assert 0 < tail.recovered < written
    # A lost disk recovers everything.
    world.disk.clear()
    world.disk_offset.clear()
    whole = await live(world, Tally(world))
    assert whole.recovered == sum(len(log) for log in world.topic(CHANGELOG))


async def test_a_stuck_partition_does_not_hold_up_the_others() -> None:
    world = World(3)
    populate(world)
    world.flaky[(DERIVED, 0)] = 10**9  # outputs of input partition 0 never acknowledged
    runtime, _ = runtime_for(world, Tally(world))
    runtime.start()
    await runtime.assign(range(3))
    ends = [len(p) for p in world.topic(INPUT)]
    for _ in range(10_000):
        if runtime.position(1) == ends[1] and runtime.position(2) == ends[2]:
            break
        await asyncio.sleep(0.0005)
    assert (runtime.position(1), runtime.position(2)) == (ends[1], ends[2])
    assert runtime.position(0) == 0
    world.flaky.clear()  # the partition's leader is back
    for _ in range(10_000):
        if done(world, runtime):
            break
        await asyncio.sleep(0.0005)
    assert done(world, runtime)
    await runtime.stop()


async def test_a_failed_send_resends_only_what_was_not_acknowledged() -> None:
    world = World(2)
    populate(world, persons=3, rounds=2)
    world.flaky[(AUDIT, 1)] = 2  # two records for audit partition 1 fail once each
    life = await live(world, Tally(world, audit=True))
    assert not life.crashed
    flaky = [r for r in life.sink.sent if (r.topic, r.partition) == (AUDIT, 1)]
    others = [r for r in life.sink.sent if (r.topic, r.partition) != (AUDIT, 1)]
    assert len(flaky) == len({r.value for r in flaky}) + 2  # just the two failures again
    assert len(others) == len({(r.topic, r.key, r.value) for r in others})  # each once
    assert len(world.topic(AUDIT)[1]) == len({r.value for r in flaky})  # on the log once


async def test_an_output_the_broker_cannot_take_gets_the_policys_stand_in() -> None:
    reference = World(1)
    populate(reference, persons=2, rounds=2)
    assert not (await live(reference, Tally(reference))).crashed
    world = World(1)
    populate(world, persons=2, rounds=2)
    world.refused.add(b'"d-e1"')
    life = await live(world, Tally(world))
    assert life.fatal is None
    assert not life.crashed
    dead = causes(world, DEAD)
    assert len(dead) == 1
    value, named = dead[0]
    assert b"record too large" in (value or b"")
    # The stand-in keeps the refused output's cause: the input that derived "d-e1".
    assert named is not None
    _, refused_input = world.topic(INPUT)[named.partition][named.offset]
    assert json.loads(refused_input or b"")["id"] == "e1"
    assert f"refused at {named.offset}".encode() in (value or b"")
    assert set(outputs(world)) == set(outputs(reference)) - {"d-e1"}
    assert world.disk == reference.disk  # the stand-in changed nothing else


async def test_an_output_with_no_stand_in_stops_the_worker_with_one_line() -> None:
    world = World(1)
    populate(world, persons=2, rounds=2)
    world.refused.add(b'"d-e1"')
    life = await live(world, Tally(world, stand_in=False))
    assert life.fatal is not None
    assert "derived refused a record that nothing can stand in for" in str(life.fatal)
    assert "\n" not in str(life.fatal)
    assert "next_offset" not in world.disk.get(0, {})  # its input was not recorded


async def test_a_state_record_the_changelog_refuses_stops_the_worker() -> None:
    world = World(1)
    populate(world, persons=2, rounds=2)
    world.refused.add(b'\\"e1\\"')  # in the state's JSON text only (escaped once more)
    life = await live(world, Tally(world))
    assert life.fatal is not None
    assert f"{CHANGELOG} refused the state of a batch" in str(life.fatal)
    assert "next_offset" not in world.disk.get(0, {})


async def test_a_policy_that_raises_stops_the_worker() -> None:
    world = World(1)
    world.topic(INPUT)[0].append((b"x", json.dumps({"bug": True}).encode()))
    life = await live(world, Tally(world))
    assert life.fatal is not None
    assert "ZeroDivisionError" in str(life.fatal)
    assert world.disk.get(0, {}).get("next_offset") is None  # the input was not recorded


async def test_revocation_drains_the_batch_in_flight_then_hands_over() -> None:
    world = World(2)
    populate(world)
    runtime, _ = runtime_for(world, Tally(world))
    runtime.start()
    await runtime.assign([0, 1])
    for _ in range(10_000):
        if (runtime.position(0) or 0) > 0:
            break
        await asyncio.sleep(0.0002)
    await runtime.revoke([0])
    assert runtime.partitions == {1}
    drained = int(world.disk[0]["next_offset"])
    assert drained > 0
    # The next owner (this one again, here) resumes exactly there.
    await runtime.assign([0])
    assert runtime.position(0) == drained
    for _ in range(10_000):
        if done(world, runtime):
            break
        await asyncio.sleep(0.0005)
    await runtime.stop()
    reference = await uninterrupted(2)
    assert set(outputs(world)) == set(outputs(reference))
    assert world.disk == reference.disk


async def test_stop_returns_while_a_send_keeps_failing() -> None:
    world = World(2)
    populate(world)
    world.flaky[(DERIVED, 0)] = 10**9
    limits = dataclasses.replace(LIMITS, stop_timeout_s=0.05)
    runtime, _ = runtime_for(world, Tally(world), limits)
    runtime.start()
    await runtime.assign([0, 1])
    for _ in range(10_000):
        if runtime.position(1) == len(world.topic(INPUT)[1]):
            break
        await asyncio.sleep(0.0005)
    await asyncio.wait_for(runtime.stop(), timeout=10)
    assert "next_offset" not in world.disk.get(0, {})  # the stuck batch was not recorded
    assert runtime.partitions == frozenset()


class Asking(Tally):
    """A Tally that, before deciding every third record, asks for something to be read first
    (as the gate asks for the registry): once per record, the read failing ``failures``
    times before it succeeds."""

    def __init__(self, world: World, failures: int = 0) -> None:
        super().__init__(world)
        self.failures = failures
        self.reads: list[int] = []
        self.asked: set[tuple[int, int]] = set()

    def open(self, partition: int, state: State) -> AskingPartition:
        return AskingPartition(self, state)


class AskingPartition(TallyPartition):
    def apply(self, record: Record) -> Sequence[Output]:
        policy = self.policy
        assert isinstance(policy, Asking)
        where = (record.partition, record.offset)
        if record.offset % 3 == 0 and where not in policy.asked:
            policy.asked.add(where)

            async def read() -> None:
                if policy.failures:
                    policy.failures -= 1
                    raise TimeoutError("the registry is away")
                policy.reads.append(record.offset)

            raise Refresh("read the registry first", read)
        return super().apply(record)


async def test_a_policy_asking_to_read_first_gets_its_read_then_decides_the_same() -> None:
    reference = await uninterrupted(2)
    world = World(2)
    populate(world)
    policy = Asking(world, failures=2)
    life = await live(world, policy)
    assert not life.crashed
    assert life.fatal is None
    asked = {offset for _, offset in policy.asked}
    assert policy.failures == 0  # the failed reads were retried
    assert set(policy.reads) == asked  # each asked-for read done before its record
    assert outputs(world) == outputs(reference)
    assert world.disk == reference.disk


async def test_partitions_given_up_are_closed_in_the_policy() -> None:
    world = World(3)
    populate(world)
    policy = Tally(world)
    runtime, _ = runtime_for(world, policy)
    runtime.start()
    await runtime.assign([0, 1, 2])
    await runtime.revoke([1])
    assert policy.closed == [1]
    await runtime.stop()
    assert sorted(policy.closed) == [0, 1, 2]


class Preparing(Tally):
    """A Tally that, before a batch holding an even amount, asks for a read first: every
    record of the batch is decided after it."""

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.log: list[tuple[str, int]] = []

    def open(self, partition: int, state: State) -> PreparingPartition:
        return PreparingPartition(self, state)


class PreparingPartition(TallyPartition):
    def before(self, records: Sequence[Record]) -> Refresh | None:
        policy = self.policy
        assert isinstance(policy, Preparing)
        even = [r.offset for r in records if json.loads(r.value or b"{}")["amount"] % 2 == 0]
        if not even:
            return None

        async def read() -> None:
            policy.log.append(("read", records[0].offset))

        return Refresh("an even amount", read)

    def apply(self, record: Record) -> Sequence[Output]:
        policy = self.policy
        assert isinstance(policy, Preparing)
        policy.log.append(("apply", record.offset))
        return super().apply(record)


async def test_what_a_batch_needs_read_first_is_read_before_any_of_it_is_decided() -> None:
    reference = await uninterrupted(1)
    world = World(1)
    populate(world)
    policy = Preparing(world)
    life = await live(world, policy)
    assert life.fatal is None
    reads = [offset for what, offset in policy.log if what == "read"]
    assert reads  # some batches asked
    for offset in reads:  # the read came right before the batch's first record
        at = policy.log.index(("read", offset))
        assert policy.log[at + 1] == ("apply", offset)
    assert outputs(world) == outputs(reference)
    assert world.disk == reference.disk


async def test_a_stop_gives_up_a_send_being_retried_instead_of_waiting_it_out() -> None:
    world = World(2)
    populate(world)
    world.flaky[(DERIVED, 0)] = 10**9
    limits = dataclasses.replace(LIMITS, stop_timeout_s=30.0, backoff_initial_s=5.0)
    runtime, _ = runtime_for(world, Tally(world), limits)
    runtime.start()
    await runtime.assign([0, 1])
    for _ in range(10_000):
        if runtime.position(1) == len(world.topic(INPUT)[1]):
            break
        await asyncio.sleep(0.0005)
    with structlog.testing.capture_logs() as logs:
        await runtime.stop()
    events = [entry["event"] for entry in logs]
    assert "batch_abandoned" in events  # the retried batch gave up at once
    assert "stop_timeout" not in events  # nothing had to be cancelled
    assert "next_offset" not in world.disk.get(0, {})  # and it was not recorded
