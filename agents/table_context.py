"""Faust's notion of "the event being processed", set by hand for batched agents.

A persistent (RocksDB) table store files each key under the partition of the current
event, which Faust keeps in a context variable that only its per-event iteration sets.
Agents that take events in batches set it themselves around their table writes.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import faust
from faust import streams


@contextmanager
def as_current_event(event: faust.EventT[bytes]) -> Iterator[None]:
    # faust.streams has no public setter; this is the variable current_event() reads.
    token = streams._current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        streams._current_event.reset(token)
