"""A partition's state as the runtime holds it during a batch: the store's values with the
batch's changes staged on top, and the key its input position is recorded under."""

from __future__ import annotations

from collections.abc import Iterator

from streams.runtime.ports import Store

POSITION_KEY = "next_offset"
RECORD_OVERHEAD = 64  # bytes a changelog record takes besides its key and value text


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
