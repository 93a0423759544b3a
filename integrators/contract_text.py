"""The contract in words, for the exported AsyncAPI document: who publishes what, where it
goes, which versions are read, how to sign and how a person key is made.

Lists come from the constants the code enforces (``contracts.publishers``,
``contracts.upcasting``, ``streams.routing``, ``contracts.identity``), so they follow the
code; the prose around them is checked by ``vectors.json``, which the tests compute from
the code and an independent implementation reproduces.
"""

from __future__ import annotations

from contracts import publishers
from contracts.envelope import Envelope
from contracts.events import agreements
from contracts.identity import SPACES
from contracts.upcasting import UPCASTERS, accepted_versions
from streams import cause, routing
from streams.topics import CATALOG, COUNTY_EVENTS, REGISTRY, VALIDATED, TopicSpec


def _codes(names: frozenset[str]) -> str:
    return ", ".join(f"`{name}`" for name in sorted(names))


def _spaces() -> str:
    return ", ".join(f"U+{ord(c):04X}" for c in SPACES)


def _older_versions() -> str:
    lines = [
        f"- `{event_type}` version {version}: {step.note}; upcast to version {version + 1}."
        for (event_type, version), step in sorted(UPCASTERS.items())
    ]
    return "\n".join(lines) if lines else "- none"


def _caused_topics() -> str:
    return ", ".join(f"`{spec.name}`" for spec in CATALOG if spec.caused)


DESCRIPTION = f"""\
Events exchanged between county nodes and the region for the coordinated management of \
the migrant (floating) population (流动人口). Every message value is one JSON object \
(UTF-8) whose `event_type` names its schema. What follows is everything a county system \
needs besides the schemas; `vectors.json` beside this document has worked examples of \
each rule (keys, canonical bytes, signatures, person keys, partitions, the gate's \
decisions) for checking an implementation in any language.

## Publishers

Every signed event names its publisher in `publisher_id` and the county it acts for in \
`source_county`.

- The region, `<region>/region` (for example `610900/region`): its Ed25519 public key is \
configured in every region process and roots all trust. On county-events it publishes \
{_codes(publishers.REGION_EVENT_TYPES)} (agreements: signing for both parties). On the \
registry it publishes {_codes(publishers.REGION_REGISTRY_TYPES)}.
- A county node, `<county>/node`, registered by the region (`county_registered`) with its \
public key. On county-events it publishes {_codes(publishers.NODE_EVENT_TYPES)}. On the \
registry it publishes {_codes(publishers.NODE_REGISTRY_TYPES)} for its own county.
- A department or outposted office (外派机构), `<county>/<name>` (the last part of <name> \
neither `node` nor `region`), registered by its county's node or by the region \
(`publisher_registered`) with its key and scope, a subset of the node's event types. It \
acts for its own county (`source_county` is that county); an outposted office also \
registers its county's residents arriving in the county it is stationed in.

The publisher's county must be the party that acts in the event: each message's \
description says which field names it (for example an outflow's `origin_county`); \
otherwise the gate refuses it (`not_a_party`).

## Topics, keys and partitions

- `{REGISTRY.name}`: one partition; key: the `county` field.
- `{COUNTY_EVENTS.name}`: events about a person are keyed by their `person_key` (64 \
lower-case hex digits). A person's partition is the person key's first 8 hex digits read \
as an unsigned 32-bit integer, modulo the topic's partition count (a deployment setting, \
6 by default: read it from the topic's metadata). The gate places each admitted person \
event on that partition of `{VALIDATED.name}`, whatever partition it arrived on, so no \
client's partitioner can split a person's case; produce to the same partition anyway. \
Broadcast events, {_codes(routing.BROADCAST_TYPES)}, go as one copy (the same bytes) to \
every partition, each copy keyed by its partition number in decimal (`0`, `1`, ...); the \
gate forwards each copy to the same partition number of `{VALIDATED.name}`.
- Keys are UTF-8 strings. Every topic keeps its log forever (`retention.ms=-1`).

## Schema versions

`schema_version` in each schema is a constant: the event's current version. Older \
versions still read (the gate checks the signature on the bytes as sent, then upcasts):

{_older_versions()}

Any other version, or an old version carrying a newer version's fields, is refused with \
`unsupported_schema_version`, naming the current version and the one received.

## Canonical JSON and signatures

`signature` is an Ed25519 signature (RFC 8032, pure Ed25519), 64 bytes in standard base64 \
with padding, by the publisher's key over the canonical JSON of the message object without \
its `signature` member. Canonical JSON: every object's members sorted by name (code point \
order), at every depth; no whitespace between tokens (separators `,` and `:`); strings \
with `"` and `\\` escaped as `\\"` and `\\\\`, the control characters U+0000 to U+001F as \
`\\b`, `\\f`, `\\n`, `\\r`, `\\t` or `\\u00xx` (lower-case hex), and every other \
character as itself, UTF-8 encoded; integers in decimal; `true`, `false`, `null`. The \
one non-integer number a county sends, `remind_fraction`, is written as the shortest \
decimal that reads back as the same binary64 double, without an exponent (keep it to at \
most 4 decimal places). This is what JavaScript's `JSON.stringify` gives for an object \
whose keys are sorted, and Python's `json.dumps(obj, sort_keys=True, separators=(",", \
":"), ensure_ascii=False)`. The region recomputes it from the bytes it receives, so a \
message may be sent with any layout and member order.

Public keys are the raw 32-byte Ed25519 keys in standard base64. A key signs until its \
retirement (`key_rotated`, `publisher_revoked`): from that instant on it verifies only \
what it signed before, that is an event whose `recorded_at` is before the instant and \
that reaches its partition before the region's logical clock passes it; anything else is \
refused with `key_retired`.

## Person keys

`person_key` is the lower-case hex HMAC-SHA256 of the normalized national ID number (as \
ASCII), keyed with the UTF-8 bytes of the region's person-key secret exactly as \
configured (a generated secret is 64 hex characters, used as that text, not decoded). \
Normalizing: remove {_spaces()} at both ends; replace the full-width digits ０-９ with \
0-9 and Ｘ, ｘ and x with X; the result must be 17 ASCII digits and a check character \
(a digit or X), with a real birth date in characters 7 to 14 (YYYYMMDD) and the GB 11643 \
check character: the first 17 digits weighted 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, the \
sum modulo 11 indexing `10X98765432`. The raw number never leaves the county node.

## Agreements

{" ".join((agreements.__doc__ or "").split())}

## What is signed by whom

County nodes and their departments sign what they publish; the region signs its clock \
ticks, campaigns, registry changes and any agreement it signs for both parties. \
`{VALIDATED.name}` carries the admitted events as the counties sent them, signature \
included; the region's workers derive everything else (obligations, alerts, scorecards, \
dead letters), unsigned. Times are RFC 3339 instants with an offset, read as UTC; \
deadlines are computed in event time (`occurred_at`).

## Where a derived record comes from

Every record the region's workers write to {_caused_topics()} carries a Kafka record header \
`{cause.HEADER}`: the position of the input record that caused it, as ASCII \
`<topic>/<partition>/<offset>` with the input's full topic name (for example \
`liudong.county-events/3/1207`). A record the gate forwards or refuses names its place on \
`{COUNTY_EVENTS.name}` (or `{REGISTRY.name}`); one the cases agent derives or refuses names \
its place on `{VALIDATED.name}`. A record sent again after a crash is the same record with \
the same header. So a reader can keep, of a derived topic, exactly what inputs up to given \
positions caused, while the region keeps running. Scorecards carry no such header: each \
folds the whole log."""


def cause_headers() -> dict[str, object]:
    """The record headers of a message the workers derive (an AsyncAPI Schema Object)."""
    return {
        "type": "object",
        "properties": {
            cause.HEADER: {
                "type": "string",
                "description": "The position of the input record that caused this one: "
                "<topic>/<partition>/<offset>, ASCII.",
                "pattern": "^[A-Za-z0-9._-]+/[0-9]+/[0-9]+$",
            }
        },
        "required": [cause.HEADER],
    }


def version_description(cls: type[Envelope]) -> str:
    """The ``schema_version`` property's description: current, and older ones still read."""
    event_type = str(cls.model_fields["event_type"].default)
    older = [v for v in accepted_versions(event_type) if v != cls.SCHEMA_VERSION]
    text = f"The schema version: {cls.SCHEMA_VERSION}, the current one."
    if older:
        listed = ", ".join(str(v) for v in older)
        text += f" Also read on county-events and upcast: {listed} (see the document)."
    return text


def published_by(event_type: str, spec: TopicSpec) -> str:
    """Who may publish ``event_type`` on ``spec``, for the message's description."""
    if spec is REGISTRY:
        if event_type in publishers.NODE_REGISTRY_TYPES:
            return "Signed by the node of `county` or by the region."
        return "Signed by the region."
    if spec is not COUNTY_EVENTS:
        return "Derived by the region's workers; unsigned."
    who = []
    if event_type in publishers.REGION_EVENT_TYPES:
        who.append("the region")
    if event_type in publishers.NODE_EVENT_TYPES:
        who.append("a county node, or a department or office with it in scope")
    return f"Published by {' or '.join(who)}; signed."


def key_description(spec: TopicSpec) -> str:
    if spec in (COUNTY_EVENTS, VALIDATED):
        return (
            "Person events: the person key; their partition is its first 8 hex digits "
            "modulo the partition count. Broadcast events: the partition number, one copy "
            "per partition."
        )
    return f"Message key: {spec.key}."
