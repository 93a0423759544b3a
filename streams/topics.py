"""The topic catalog: every topic liudong uses, its key, partitions, retention and union."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts import unions

FOREVER = -1  # retention.ms: the log is the system of record, replay reads it from the start


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str  # without the deployment prefix
    key: str  # what the message key is, for integrators
    union: Any  # the discriminated union of its messages
    description: str
    partitioned: bool = True  # False: a single partition, for totally ordered streams
    compacted: bool = False
    retention_ms: int = FOREVER

    def full_name(self, prefix: str) -> str:
        return f"{prefix}.{self.name}"

    def partitions(self, default: int) -> int:
        return default if self.partitioned else 1

    def config(self) -> dict[str, str]:
        return {
            "cleanup.policy": "compact" if self.compacted else "delete",
            "retention.ms": str(self.retention_ms),
        }


REGISTRY = TopicSpec(
    "registry",
    key="county code",
    union=unions.RegistryEvent,
    description="The region's registry: counties and their publishers with public keys.",
    partitioned=False,
)
COUNTY_EVENTS = TopicSpec(
    "county-events",
    key="person key for person events; agreement, campaign and clock events are broadcast "
    "to every partition with the partition number as key",
    union=unions.CountyEvent,
    description="What county nodes publish, signed; read only by the gate.",
)
VALIDATED = TopicSpec(
    "validated",
    key="same key and same partition as on county-events",
    union=unions.CountyEvent,
    description="Events that passed the gate: signature, scope, registry, de-duplication.",
)
OBLIGATIONS = TopicSpec(
    "obligations",
    key="person key",
    union=unions.ObligationEvent,
    description="Obligations opened, reminded, fulfilled, breached, escalated, cancelled.",
)
ALERTS = TopicSpec(
    "alerts",
    key="county code (alerts) or period (coverage)",
    union=unions.AlertEvent,
    description="Alerts (agreement missing, escalations) and agreement coverage figures.",
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
    description="Refused input: raw bytes, reason code and reason, source position.",
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


# The Faust tables' changelogs: created up front with the catalog (compacted, one partition
# per source partition) rather than by the first worker, which on a first start with input
# already waiting could record them with no partitions and stop on PartitionsMismatch.
WORKER_TABLES = ("gate-state", "cases", "case-partitions")


def changelog_topics(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}-workers-{table}-changelog" for table in WORKER_TABLES)
