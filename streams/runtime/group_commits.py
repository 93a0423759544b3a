"""The positions committed to the consumer group, in the background.

They are for lag and progress readers (the bench, ``liudong replay --verify``, the
dashboard's lag); the runtime never reads them back, its positions live in the state. So a
commit that fails is only logged: the next one carries the same positions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from streams.runtime.ports import Source

log = structlog.get_logger(__name__)


class GroupCommits:
    def __init__(self, name: str, source: Source, interval_s: float) -> None:
        self.name = name
        self.source = source
        self.interval_s = interval_s
        self._committed: dict[int, int] = {}

    async def every_interval(
        self, positions: Callable[[], dict[int, int]], stopped: asyncio.Event
    ) -> None:
        """Commit ``positions()`` every ``interval_s`` until ``stopped`` is set."""
        while not stopped.is_set():
            await asyncio.sleep(self.interval_s)
            await self.commit(positions())

    async def commit(self, positions: dict[int, int]) -> None:
        """Commit the positions that changed since the last commit the group took."""
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
