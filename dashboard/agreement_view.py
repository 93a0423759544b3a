"""Two-way management agreements for the dashboard: where each stands (in force, pending
a signature, not yet binding, ended, revoked) and, for one still pending, what it waits for.

The agreement events are read from the archive in log order and folded by
:class:`contracts.agreement_terms.AgreementBook`, the book the agents decide with, at the
logical clock; the page gets each agreement's state, the book's reason, and the facts the
reason is made of (who signed, whose signature is awaited, which fields two signatures
differ in) so it can say them in Chinese or English. Folding is cached until the archive's
agreement events or the clock change.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from contracts import unions
from contracts.agreement_terms import REGION, AgreementBook
from dashboard.auth import Principal
from dashboard.names import names
from streams import topics
from streams.codec import Codec, DecodeError

PAGE = 20
STATES = ("pending", "in_force", "not_yet", "ended", "revoked")

# Broadcast events are archived once, at their lowest copy: partition order is log order.
AGREEMENT_EVENTS = """
SELECT e.payload FROM events e
WHERE e.event_type IN ('agreement_signed', 'agreement_amended', 'agreement_revoked')
  AND right(e.topic, 10) = '.validated'
ORDER BY e.partition, e."offset"
"""
VERSION = """
SELECT count(*) AS n, max(e.recorded_at) AS latest FROM events e
WHERE e.event_type IN ('agreement_signed', 'agreement_amended', 'agreement_revoked')
"""


@dataclass(frozen=True, slots=True)
class Standing:
    agreement_id: str
    origin: str
    destination: str
    state: str
    reason: str  # the book's words (English)
    signed_by: tuple[str, ...] = ()  # a pending agreement's signers ("region" for the region)
    awaiting: tuple[str, ...] = ()  # the parties whose signature it waits for
    differing: tuple[str, ...] = ()  # fields two signatures differ in

    def as_json(self) -> dict[str, Any]:
        return {
            "agreement_id": self.agreement_id,
            "origin": self.origin,
            "destination": self.destination,
            "state": self.state,
            "reason": self.reason,
            "signed_by": list(self.signed_by),
            "awaiting": list(self.awaiting),
            "differing": list(self.differing),
        }


def standings(events: list[Any], at: dt.datetime) -> list[Standing]:
    """Every agreement's standing at ``at``, from its events in log order (pure)."""
    book = AgreementBook()
    for event in events:
        book = book.apply(event)
    out = []
    for agreement_id in sorted({*book.agreements, *book.pending}):
        status = book.status(agreement_id, at)
        if status is None:
            continue
        bound = book.agreements.get(agreement_id)
        pending = book.pending.get(agreement_id)
        if bound is not None:
            out.append(
                Standing(agreement_id, bound.origin, bound.destination, status.state, status.reason)
            )
        elif pending is not None:
            signers = sorted(pending.signatures)
            proposals = [pending.signatures[s][0] for s in signers]
            differing = sorted({d for p in proposals[1:] for d in proposals[0].differences(p)})
            parties = {proposals[0].origin, proposals[0].destination}
            awaiting = () if REGION in signers else tuple(sorted(parties - set(signers)))
            out.append(
                Standing(
                    agreement_id,
                    proposals[0].origin,
                    proposals[0].destination,
                    status.state,
                    status.reason,
                    tuple(signers),
                    awaiting,
                    tuple(differing),
                )
            )
    return out


def decode(payloads: list[Any]) -> list[Any]:
    codec: Codec[Any] = Codec(unions.CountyEvent, max_bytes=topics.READ_LIMIT_BYTES)
    events = []
    for payload in payloads:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        try:
            events.append(codec.decode(text.encode("utf-8")).event)
        except DecodeError:
            continue  # the gate admitted it: an archive of an older schema cannot hold one
    return events


def fold(payloads: list[Any], clock: dt.datetime | None) -> list[Standing]:
    """The standings at the logical clock (before the first tick: as the events left them)."""
    events = decode(payloads)
    first = dt.datetime.min.replace(tzinfo=dt.UTC)
    at = clock or max((e.occurred_at for e in events), default=first)
    return standings(events, at)


class Agreements:
    """The standings, folded again only when the agreement events or the clock changed."""

    def __init__(self) -> None:
        self._key: tuple[Any, ...] | None = None
        self._standings: list[Standing] = []
        self._lock = asyncio.Lock()

    async def all(self, conn: Any, clock: dt.datetime | None) -> list[Standing]:
        async with self._lock:
            version = await conn.fetchrow(VERSION)
            key = (version["n"], version["latest"], clock)
            if key != self._key:
                rows = await conn.fetch(AGREEMENT_EVENTS)
                payloads = [r["payload"] for r in rows]
                # Folding thousands of agreements takes a while: off the event loop.
                self._standings = await asyncio.to_thread(fold, payloads, clock)
                self._key = key
            return self._standings


def page(
    all_: list[Standing], p: Principal, state: str | None, offset: int, limit: int
) -> dict[str, Any]:
    """The counts by state and one page of the agreements of ``state`` in ``p``'s scope."""
    mine = [s for s in all_ if p.sees_all or p.county in (s.origin, s.destination)]
    counts = Counter(s.state for s in mine)
    chosen = [s for s in mine if state is None or s.state == state]
    shown = chosen[offset : offset + limit]
    codes = {c for s in shown for c in (s.origin, s.destination, *s.signed_by, *s.awaiting)}
    return {
        "counts": {name: counts.get(name, 0) for name in STATES},
        "state": state,
        "total": len(chosen),
        "offset": offset,
        "limit": limit,
        "items": [s.as_json() for s in shown],
        "names": names(c for c in codes if c != REGION),
    }
