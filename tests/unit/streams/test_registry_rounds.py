"""How registry syncs share their end-offset requests (streams.registry_reader.Rounds): a
caller gets the answer of a request made after it arrived; callers at the same moment share
one; an error reaches every caller of its request."""

from __future__ import annotations

import asyncio

import pytest

from streams.registry_reader import Rounds


class Ends:
    """An end offset that moves on while each request is out, as registrations arrive."""

    def __init__(self) -> None:
        self.asked = 0
        self.end = 0
        self.fail = False
        self.out = asyncio.Event()  # a request is out
        self.answer = asyncio.Event()  # let it be answered

    async def ask(self) -> int:
        self.asked += 1
        seen = self.end
        self.out.set()
        await self.answer.wait()
        self.answer.clear()
        self.out.clear()
        self.end += 10
        if self.fail:
            raise TimeoutError("the broker is away")
        return seen


async def test_callers_at_the_same_moment_share_one_request() -> None:
    ends = Ends()
    rounds = Rounds(ends.ask)
    callers = [asyncio.create_task(rounds.get()) for _ in range(6)]
    await ends.out.wait()
    ends.answer.set()
    assert await asyncio.gather(*callers) == [0] * 6
    assert ends.asked == 1


async def test_a_caller_arriving_while_a_request_is_out_waits_for_the_next() -> None:
    ends = Ends()
    rounds = Rounds(ends.ask)
    first = asyncio.create_task(rounds.get())
    await ends.out.wait()  # the first request is out, its answer will be 0
    late = [asyncio.create_task(rounds.get()) for _ in range(3)]
    await asyncio.sleep(0)
    ends.answer.set()
    assert await first == 0
    await ends.out.wait()  # one more request, for all three late callers
    ends.answer.set()
    assert await asyncio.gather(*late) == [10, 10, 10]
    assert ends.asked == 2


async def test_a_failed_request_fails_its_callers_and_the_next_one_asks_again() -> None:
    ends = Ends()
    rounds = Rounds(ends.ask)
    ends.fail = True
    callers = [asyncio.create_task(rounds.get()) for _ in range(2)]
    await ends.out.wait()
    ends.answer.set()
    for caller in callers:
        with pytest.raises(TimeoutError):
            await caller
    ends.fail = False
    again = asyncio.create_task(rounds.get())
    await ends.out.wait()
    ends.answer.set()
    assert await again == 10
    assert ends.asked == 2
