"""Role filters as SQL fragments: pure, no I/O, unit-tested alone.

A region operator's fragments are ``TRUE``; a county operator's restrict rows to those its
county is party to. Fragments are built from constants only (table aliases and column names
written here); the county code always travels as a ``$n`` parameter, never as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dashboard.auth import Principal

# Event fields that name a county party to a person's case (see contracts/events).
PARTY_FIELDS: tuple[str, ...] = (
    "origin_county",
    "destination_county",
    "from_county",
    "to_county",
    "home_county",
    "by_county",
    "assignee_county",
    "moved_to",
    "responsible_county",
    "counterpart_county",
)
_ALIAS_OK = frozenset({"o", "e", "t", "c", "cv", "f", "d"})


@dataclass(frozen=True, slots=True)
class Scoped:
    """A boolean SQL fragment and the arguments its ``$n`` placeholders take."""

    sql: str
    args: tuple[Any, ...]


ALL = Scoped("TRUE", ())


def _alias(alias: str) -> str:
    if alias not in _ALIAS_OK:
        raise ValueError(f"unexpected table alias {alias!r}")
    return alias


def obligations(p: Principal, *, alias: str = "o", arg: int = 1) -> Scoped:
    """Obligations the county is responsible for or is the counterpart of."""
    if p.sees_all:
        return ALL
    a = _alias(alias)
    return Scoped(
        f"({a}.responsible_county = ${arg} OR {a}.counterpart_county = ${arg})", (p.county,)
    )


def flow_ends(p: Principal, *, alias: str = "f", arg: int = 1) -> Scoped:
    """Flows (rows with origin ``o`` and destination ``d``) with the county at either end."""
    if p.sees_all:
        return ALL
    a = _alias(alias)
    return Scoped(f"({a}.o = ${arg} OR {a}.d = ${arg})", (p.county,))


def tasks(p: Principal, *, alias: str = "t", arg: int = 1) -> Scoped:
    """Verification tasks assigned to the county."""
    if p.sees_all:
        return ALL
    return Scoped(f"{_alias(alias)}.assignee = ${arg}", (p.county,))


def campaigns(p: Principal, *, alias: str = "c", arg: int = 1) -> Scoped:
    """Campaigns the county takes part in."""
    if p.sees_all:
        return ALL
    return Scoped(f"${arg} = ANY({_alias(alias)}.counties)", (p.county,))


def coverage(p: Principal, *, alias: str = "cv", arg: int = 1) -> Scoped:
    """The county's own figure (the region's is not the county's)."""
    if p.sees_all:
        return ALL
    return Scoped(f"{_alias(alias)}.scope = ${arg}", (p.county,))


def events(p: Principal, *, alias: str = "e", arg: int = 1) -> Scoped:
    """Archived events the county is party to: published by it, or naming it in a party
    field (the events of its persons' cases and the obligations it takes part in)."""
    if p.sees_all:
        return ALL
    a = _alias(alias)
    fields = " OR ".join(f"{a}.payload->>'{f}' = ${arg}" for f in PARTY_FIELDS)
    return Scoped(f"({a}.source_county = ${arg} OR {fields})", (p.county,))


def case_party_sql() -> str:
    """``SELECT`` true iff county $2 is party to person $1's case: responsible or counterpart
    of one of its obligations, assignee of one of its tasks, or a county named by one of its
    events (as publisher's county or in a party field)."""
    fields = " OR ".join(f"e.payload->>'{f}' = $2" for f in PARTY_FIELDS)
    return (
        "SELECT EXISTS (SELECT 1 FROM obligations o WHERE o.person_key = $1"  # noqa: S608
        " AND (o.responsible_county = $2 OR o.counterpart_county = $2))"
        " OR EXISTS (SELECT 1 FROM campaign_tasks t WHERE t.person_key = $1 AND t.assignee = $2)"
        " OR EXISTS (SELECT 1 FROM events e WHERE e.person_key = $1"
        f" AND (e.source_county = $2 OR {fields}))"
    )


def may_read_case(p: Principal) -> tuple[str, tuple[Any, ...]] | None:
    """None when no check is needed (the region); else the party query's SQL and the county
    (the person key is bound as $1 by the caller)."""
    if p.sees_all:
        return None
    return case_party_sql(), (p.county,)
