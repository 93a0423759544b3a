"""How many events: the same words wherever the system counts them.

* **county events** (县区上报事件): the events counties published, each once. A broadcast
  event (an agreement, a campaign, a clock tick) is one message per partition and one county
  event. The simulator's report, the demo's summary, ``liudong replay`` and the dashboard's
  tile count these, and agree for the same log (what the gate refused is not among them).
* **messages**: Kafka messages, broadcast copies included.
* **derived records** (系统生成记录): what the agents and the assessment derived from the
  county events (obligation events, alerts, coverage and progress figures, scorecards).
"""

from __future__ import annotations

from streams.routing import BROADCAST_TYPES

COUNTY_EVENTS = "county events"
MESSAGES = "messages"
DERIVED = "derived records"


def counts_once(event_type: str, partition: int) -> bool:
    """Whether this message is the one that counts its event: every message of an event
    about a person; of a broadcast event, its copy on partition 0."""
    return event_type not in BROADCAST_TYPES or partition == 0
