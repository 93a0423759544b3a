"""The Kafka side of the agents: one runtime that owns the commit order.

- :mod:`streams.runtime.ports`: records, outputs, the policy an agent gives, the ports.
- :mod:`streams.runtime.runtime`: :class:`Runtime`, the commit order (``docs/runtime.md``),
  with its collaborators :mod:`~streams.runtime.intake` (batches),
  :mod:`~streams.runtime.delivery` (sends until acknowledged),
  :mod:`~streams.runtime.partition_state` (a batch's staged state) and
  :mod:`~streams.runtime.group_commits` (the group's offsets);
  its limits in :mod:`~streams.runtime.limits`, its failures in :mod:`~streams.runtime.failures`.
- :mod:`streams.runtime.kafka_sink`, :mod:`streams.runtime.faust_ports`: the ports on
  aiokafka and Faust.
"""

from __future__ import annotations

from streams.runtime.failures import Fatal, OutputRefused
from streams.runtime.limits import Limits
from streams.runtime.partition_state import POSITION_KEY
from streams.runtime.ports import Output, PartitionPolicy, Policy, Record, Refresh, State
from streams.runtime.runtime import BatchDone, Runtime

__all__ = [
    "POSITION_KEY",
    "BatchDone",
    "Fatal",
    "Limits",
    "Output",
    "OutputRefused",
    "PartitionPolicy",
    "Policy",
    "Record",
    "Refresh",
    "Runtime",
    "State",
]
