"""Faust's notion of "the event being processed", set by hand for batched agents.

A persistent (RocksDB) table store files each key under the partition of the current
event, which Faust keeps in a context variable that only its per-event iteration sets.
Agents that take events in batches set it themselves around their table writes, through
the one module that touches Faust's private attributes.
"""

from __future__ import annotations

from streams.runtime.faust_internals import as_current_event

__all__ = ["as_current_event"]
