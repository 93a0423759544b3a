"""The topic catalog: every topic liudong uses, its key, partitions, retention and union."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts import unions
from streams.codec import DEFAULT_MAX_BYTES as DEFAULT_MAX_EVENT_BYTES

FOREVER = -1  # retention.ms: the log is the system of record, replay reads it from the start

# A broker's ``max.message.bytes`` bounds a record *batch*, not a record: a batch's header
# (61 bytes) and one record's framing and key (a person key: 64 bytes), with room to spare.
RECORD_OVERHEAD_BYTES = 1024
# The workers' producer batches (bootstrap.worker_app): topics the workers write must take
# them whole.
WORKER_BATCH_BYTES = 1024 * 1024
# The largest record a reader decodes from a topic the system wrote (validated and derived
# topics): far above any event the gate admits at the default LIUDONG_MAX_EVENT_BYTES, so a
# reader never refuses what the system itself wrote; :func:`read_limit` follows a larger
# setting.
READ_LIMIT_BYTES = 10 * 1024 * 1024


def read_limit(max_event_bytes: int) -> int:
    """The reader's limit under LIUDONG_MAX_EVENT_BYTES: an event the gate admits is read."""
    return max(READ_LIMIT_BYTES, max_event_bytes)


def workers_group(prefix: str) -> str:
    """The workers' consumer group, which is also their Faust app id (bootstrap.worker_app):
    the name their commits, their tables' changelogs and every lag probe go by."""
    return f"{prefix}-workers"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str  # without the deployment prefix
    key: str  # what the message key is, for integrators
    union: Any  # the discriminated union of its messages
    description: str
    partitioned: bool = True  # False: a single partition, for totally ordered streams
    compacted: bool = False
    retention_ms: int = FOREVER
    # Who writes it: county nodes (their records are events, at most LIUDONG_MAX_EVENT_BYTES
    # each) or the workers (in batches of up to WORKER_BATCH_BYTES).
    written_by_counties: bool = False
    # Written by the workers' agents: each record names its cause (streams.cause).
    caused: bool = False

    def full_name(self, prefix: str) -> str:
        return f"{prefix}.{self.name}"

    def partitions(self, default: int) -> int:
        return default if self.partitioned else 1

    def max_message_bytes(self, max_event_bytes: int) -> int:
        """The topic's ``max.message.bytes`` for a region admitting events of at most
        ``max_event_bytes``.

        On a topic county nodes write, the broker then refuses a record the gate could never
        admit before any consumer sees it (a county's producer batches must stay within it
        too). A topic the workers write must take their batches, and at least one event (the
        validated topic) or one bounded dead letter (well below either).
        """
        event = max_event_bytes + RECORD_OVERHEAD_BYTES
        if self.written_by_counties:
            return event
        return max(event, WORKER_BATCH_BYTES + RECORD_OVERHEAD_BYTES)

    def config(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> dict[str, str]:
        return {
            "cleanup.policy": "compact" if self.compacted else "delete",
            "retention.ms": str(self.retention_ms),
            "max.message.bytes": str(self.max_message_bytes(max_event_bytes)),
        }


REGISTRY = TopicSpec(
    "registry",
    key="county code",
    union=unions.RegistryEvent,
    description="The region's registry: counties and their publishers with public keys.",
    partitioned=False,
    written_by_counties=True,
)
COUNTY_EVENTS = TopicSpec(
    "county-events",
    key="person key for person events, best sent to partition routing.person_partition "
    "(the first 8 hex digits of the person key, mod the partition count); the gate places "
    "them by that rule whatever partition or key they arrive with. Agreement, campaign and "
    "clock events are broadcast to every partition with the partition number as key",
    union=unions.CountyEvent,
    description="What county nodes publish, signed; read only by the gate.",
    written_by_counties=True,
)
VALIDATED = TopicSpec(
    "validated",
    key="person key, on partition routing.person_partition(person key); a broadcast copy on "
    "the partition number it arrived on, keyed by it",
    union=unions.CountyEvent,
    description="Events that passed the gate (bytes as received, read one way only: "
    "signature, scope, registry, time); repeats and reused ids are the cases agent's to find.",
    caused=True,
)
OBLIGATIONS = TopicSpec(
    "obligations",
    key="person key",
    union=unions.ObligationEvent,
    description="Obligations opened, reminded, fulfilled, breached, escalated, cancelled.",
    caused=True,
)
ALERTS = TopicSpec(
    "alerts",
    key="county code (alerts) or period (coverage)",
    union=unions.AlertEvent,
    description="Alerts (agreement missing, escalations) and agreement coverage figures.",
    caused=True,
)
SCORECARDS = TopicSpec(
    "scorecards",
    key="county code",
    union=unions.ScorecardEvent,
    description="Two-way assessment scorecards per county and period, with revisions.",
)
DEAD_LETTERS = TopicSpec(
    "dead-letters",
    key="source topic and partition",
    union=unions.DeadLetterEvent,
    description="Refused input: its bytes (at most 16 KiB, ID numbers masked), length and "
    "SHA-256, reason code and printable reason, source position.",
    caused=True,
)

CATALOG: tuple[TopicSpec, ...] = (
    REGISTRY,
    COUNTY_EVENTS,
    VALIDATED,
    OBLIGATIONS,
    ALERTS,
    SCORECARDS,
    DEAD_LETTERS,
)


def batch_bytes(full_name: str, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> int:
    """The largest producer batch the catalog topic ``full_name`` (any prefix) takes: a
    county topic takes one event's worth; any other topic the workers' batches."""
    for spec in CATALOG:
        if full_name.endswith(f".{spec.name}"):
            return spec.max_message_bytes(max_event_bytes) - RECORD_OVERHEAD_BYTES
    return WORKER_BATCH_BYTES


@dataclass(frozen=True, slots=True)
class WorkerTable:
    """The table an agent's runtime keeps its state in, per partition of its input topic."""

    agent: str
    name: str
    input: TopicSpec

    def changelog(self, prefix: str) -> str:
        # Faust names a table's changelog <app id>-<table>-changelog.
        return f"{workers_group(prefix)}-{self.name}-changelog"


# The workers' tables, whose changelogs are created up front with the catalog (compacted, one
# partition per partition of the agent's input) rather than by the first worker, which on a
# first start with input already waiting could record them with no partitions and stop on
# PartitionsMismatch.
TABLES: tuple[WorkerTable, ...] = (
    WorkerTable("gate", "gate-state", COUNTY_EVENTS),
    WorkerTable("registry-gate", "registry-gate-state", REGISTRY),
    WorkerTable("cases", "cases", VALIDATED),
)
WORKER_TABLES = {table.agent: table.name for table in TABLES}


def table(name: str) -> WorkerTable:
    """The worker table called ``name``."""
    for t in TABLES:
        if t.name == name:
            return t
    raise KeyError(f"no worker table {name!r}")


def changelog_topics(prefix: str) -> tuple[str, ...]:
    return tuple(table.changelog(prefix) for table in TABLES)


def changelog_partitions(prefix: str, partitions: int) -> dict[str, int]:
    """Each changelog topic and its partition count (``partitions``: LIUDONG_PARTITIONS)."""
    return {table.changelog(prefix): table.input.partitions(partitions) for table in TABLES}
