"""The Kafka side of the agents: one runtime that owns the commit order.

- :mod:`streams.runtime.ports`: records, outputs, the policy an agent gives, the ports.
- :mod:`streams.runtime.runtime`: :class:`Runtime`, the commit order (``docs/runtime.md``).
"""

from __future__ import annotations

from streams.runtime.ports import Output, PartitionPolicy, Policy, Record, State
from streams.runtime.runtime import POSITION_KEY, Fatal, Limits, Runtime

__all__ = [
    "POSITION_KEY",
    "Fatal",
    "Limits",
    "Output",
    "PartitionPolicy",
    "Policy",
    "Record",
    "Runtime",
    "State",
]
