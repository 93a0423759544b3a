"""The live cases policy without Kafka, for unit tests: its state in the runtime's own
``PartitionState`` over a dict store, its records fed in batches as the runtime would.

A batch's staged state is written to the dict when the batch ends (the runtime's step 3 and
4 without a broker), so a test sees what a partition's next batch, or a restart, would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from agents.cases import CasesPartition, CasesPolicy
from streams.runtime import Output, Record
from streams.runtime.partition_state import PartitionState
from streams.runtime.ports import Applied
from tests.unit.case_fixtures import REGION

VALIDATED = "liudong.validated"


@dataclass
class DictStore:
    """The runtime's Store port over a dict: partition -> key -> text."""

    held: dict[int, dict[str, str]] = field(default_factory=dict)
    changelog: str = "cases-changelog"

    def get(self, partition: int, key: str) -> str | None:
        return self.held.get(partition, {}).get(key)

    def items(self, partition: int, prefix: str = "") -> Iterator[tuple[str, str]]:
        mine = self.held.get(partition, {})
        return iter([(k, v) for k, v in sorted(mine.items()) if k.startswith(prefix)])

    def record(self, partition: int, key: str, value: str | None) -> Output:
        return Output(self.changelog, key.encode(), None if value is None else value.encode())

    def apply(self, partition: int, writes: Sequence[Applied]) -> None:
        mine = self.held.setdefault(partition, {})
        for w in writes:
            if w.value is None:
                mine.pop(w.key, None)
            else:
                mine[w.key] = w.value


@dataclass
class Fed:
    """One partition of the policy, opened on ``store``, and the offset it is at."""

    policy: CasesPolicy
    store: DictStore
    partition: int
    offset: int = 0
    state: PartitionState = field(init=False)
    opened: CasesPartition = field(init=False)

    def __post_init__(self) -> None:
        self.state = PartitionState(self.store, self.partition)
        self.opened = self.policy.open(self.partition, self.state)

    def feed(self, values: Sequence[bytes | None], batch: int = 1) -> list[Output]:
        """``values`` applied in batches of ``batch``, each batch's state written at its end."""
        out: list[Output] = []
        for start in range(0, len(values), batch):
            for value in values[start : start + batch]:
                out.extend(self.opened.apply(self.record(value)))
            self.commit()
        return out

    def record(self, value: bytes | None) -> Record:
        at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC).timestamp()
        made = Record(VALIDATED, self.partition, self.offset, None, value, at)
        self.offset += 1
        return made

    def commit(self) -> None:
        writes = self.state.take()
        self.store.apply(self.partition, [Applied(k, v, 0) for k, v in writes.items()])


def live_policy(region: str = REGION) -> CasesPolicy:
    """The real cases policy, its outputs addressed to topics named plainly."""
    return CasesPolicy(
        obligations="obligations", alerts="alerts", dead_letters="dead-letters", region=region
    )
