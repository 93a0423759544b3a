"""Who publishes: publisher ids and the event types each kind of publisher may sign. Pure.

Three kinds of publisher hold a key:

* the **region** (``<region>/region``, its key configured as the root of trust): clock ticks,
  campaigns, registrations, key rotations and revocations, and it may sign agreements;
* a **county node** (``<county>/node``), registered with its key by the region: everything a
  county says about its residents and the people living there, and its agreements;
* a **department or outposted office** (``<county>/<name>``), registered by its county's node
  (or by the region) with a subset of the node's event types as its scope.

The gate (``agents.gate_rules``) and the registry (``agents.registry``) enforce these; the
exported AsyncAPI document states them for integrators.
"""

from __future__ import annotations

NODE_NAME = "node"
REGION_NAME = "region"

# Registry events: on the registry topic, read by the registry, never by the gate.
REGISTRY_EVENT_TYPES = frozenset(
    {"county_registered", "publisher_registered", "key_rotated", "publisher_revoked"}
)
# What a county node may publish on county-events, and so what it may delegate.
NODE_EVENT_TYPES = frozenset(
    {
        "agreement_signed",
        "agreement_amended",
        "agreement_revoked",
        "outflow_registered",
        "inflow_registered",
        "arrival_not_found",
        "origin_answered",
        "moved_on",
        "returned_home",
        "case_taken_over",
        "inquiry_sent",
        "inquiry_answered",
        "service_recorded",
        "receipt_acknowledged",
        "verification_result_reported",
        "records_split",
    }
)
AGREEMENT_EVENT_TYPES = frozenset({"agreement_signed", "agreement_amended", "agreement_revoked"})
# What the region may publish on county-events.
REGION_EVENT_TYPES = frozenset(
    {"clock_ticked", "campaign_opened", "campaign_extended", "campaign_closed"}
    | AGREEMENT_EVENT_TYPES
)
# Registry events the region signs; a node signs only publisher_registered for its own county.
REGION_REGISTRY_TYPES = REGISTRY_EVENT_TYPES
NODE_REGISTRY_TYPES = frozenset({"publisher_registered"})


def node_id(county: str) -> str:
    """The publisher id of a county's node."""
    return f"{county}/{NODE_NAME}"


def region_id(region: str) -> str:
    """The publisher id of the region."""
    return f"{region}/{REGION_NAME}"


def agents_id(region: str) -> str:
    """The publisher id of every event the region's agents derive, and of their dead letters."""
    return f"{region}/agents"


def gate_id(region: str) -> str:
    """The publisher id of the gate's dead letters."""
    return f"{region}/gate"


def delegate_problem(county: str, publisher_id: str) -> str | None:
    """Why ``publisher_id`` cannot name a department or office of ``county``, or None.

    ``<name>`` must not end in ``node`` or ``region``: those ids are the region's to give."""
    county_part, _, name = publisher_id.partition("/")
    if county_part != county or not name or name.rpartition("/")[2] in (NODE_NAME, REGION_NAME):
        return f"publisher ids of {county} look like {county}/<name>"
    return None
