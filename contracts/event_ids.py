"""Event ids, and what each one stood for: a re-delivery or an id reused on other content. Pure.

Each place that holds a person's or a book's state remembers the ids of the events it
applied, each with a short fingerprint of the event's content (a case: its person events;
the agreement book and the campaign book: theirs). An event whose id is remembered with the
same fingerprint is a repeat, dropped; with another fingerprint it is an id reused on other
content, refused as ``event_id_reused``. Clock ticks are not remembered: a tick applied twice
changes nothing (each transition is recorded in its case).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Literal

from contracts import canonical_json
from contracts.envelope import Envelope

Novelty = Literal["new", "repeat", "reused"]
REUSED = "event_id_reused"
# The fingerprint of an id stored without one (a case that lists its ids alone): any later
# event with that id counts as a repeat, since its content cannot be compared.
UNKNOWN = ""


def fingerprint(event: Envelope) -> str:
    """16 hex digits (64 bits) of SHA-256 over the event's signature.

    The gate verified that signature over the event's canonical bytes, and Ed25519 signs
    deterministically (RFC 8032): the same content from the same publisher's key always
    carries the same signature, and other content another. So it stands for the canonical
    bytes, at a twentieth of the cost of serializing them again (about 0.5 µs against 10).
    The same content signed again with a new key counts as other content. An event without
    a signature (none passes the gate) is fingerprinted by its canonical bytes.
    """
    signed = event.signature
    data = (
        signed.encode()
        if signed is not None
        else canonical_json.canonical_bytes(event.model_dump(mode="json"))
    )
    return hashlib.sha256(data).hexdigest()[:16]


def novelty(seen: Mapping[str, str], event_id: str, print_: str) -> Novelty:
    """Whether an event with ``event_id`` and fingerprint ``print_`` is new to ``seen``."""
    known = seen.get(event_id)
    if known is None:
        return "new"
    return "repeat" if known in (print_, UNKNOWN) else "reused"


def reuse_reason(event: Envelope, where: str) -> str:
    return f"event id {event.event_id} was already used in {where} for other content"


def scope_of(event: Envelope) -> str | None:
    """Where ``event``'s id is remembered: its person's case, the agreement book or the
    campaign book; None for a clock tick (never remembered)."""
    person_key = getattr(event, "person_key", None)
    if isinstance(person_key, str):
        return f"case:{person_key}"
    if event.event_type.startswith("agreement_"):
        return "agreements"
    if event.event_type.startswith("campaign_"):
        return "campaigns"
    return None


def where(event: Envelope) -> str:
    """``scope_of`` in words, for a refusal's reason."""
    return "this case" if hasattr(event, "person_key") else "this book"
