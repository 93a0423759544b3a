"""Derived records as the replay makes them and as the live topics hold them, compared. Pure.

The cases agent's outputs are deterministic bytes: ids and times come from their causes, so a
replay of the validated log up to a position ``V`` derives, byte for byte, the records the
live agent wrote for the inputs below ``V``. Each live record names its cause
(:mod:`audit.replay.positions`), so the live topics can be restricted to those records
while input keeps arriving, and the two sides compared per **derived topic** (obligations,
with verification tasks; alerts, with coverage figures and campaign progress) and per
**validated partition** (the partition of the cause).

An :class:`Entry` is one record: its cause's offset, event type and id, and the SHA-256 of
its bytes. The **canonical form** of a (topic, validated partition):

1. the entries whose cause lies below ``V`` on that partition;
2. distinct: a record sent again (a retried send, a batch applied again after a crash) has
   the same cause, id and bytes, and counts once; copies of an id with other bytes stay
   apart, and so differ from the replay;
3. coverage figures and campaign progress, in cause order per (agent partition, period or
   campaign): a record whose content (everything but its id, times and cause ids) repeats
   the previous one kept is left out. A worker that restarts publishes the figures it holds
   again on its next tick: those records say nothing new, and a replay, which never
   restarts, does not make them;
4. in cause order, then by event id and hash, one line each: ``<offset> <event id> <sha256>``.

The digest of a (topic, partition) is the SHA-256 of its lines joined by newlines; a topic's
digest is the SHA-256 of ``<partition> <digest>`` lines in partition order, so it does not
depend on which process replayed which partition or which finished first. Records of a
group (one cause) come in any order; groups come in cause order from a replay, and are
sorted first for the live side (:func:`canonical`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from audit.replay.digest import combine
from contracts.envelope import Envelope
from contracts.events.derived import AgreementCoveragePublished, CampaignProgressPublished
from streams import codec, topics

# The topics the cases agent derives into, by the catalog's own unions.
DERIVED_TOPICS: tuple[topics.TopicSpec, ...] = (topics.OBLIGATIONS, topics.ALERTS)
# Republished after a restart: event type -> the field naming what its figures are of.
REPUBLISHED: Mapping[str, str] = {
    AgreementCoveragePublished.model_fields["event_type"].default: "period",
    CampaignProgressPublished.model_fields["event_type"].default: "campaign_id",
}
# What a republication changes and nothing else does.
VOLATILE = frozenset({"event_id", "occurred_at", "recorded_at", "correlation_id", "causation_id"})
UNREADABLE = "(unreadable)"


def _event_types(spec: topics.TopicSpec) -> frozenset[str]:
    members = get_args(get_args(spec.union)[0])
    return frozenset(cls.model_fields["event_type"].default for cls in members)


TOPIC_OF_TYPE: Mapping[str, str] = {
    event_type: spec.name for spec in DERIVED_TOPICS for event_type in _event_types(spec)
}


def topic_of(event: Envelope) -> str:
    """The catalog name of the derived topic ``event`` belongs on."""
    return TOPIC_OF_TYPE[event.event_type]


@dataclass(frozen=True, slots=True)
class Entry:
    """One derived record, as far as the comparison reads it.

    ``where`` (the live record's ``topic/partition/offset``), ``cause`` (the input's type and
    id, on the replay's side) and ``value`` are kept only to describe a difference.
    """

    cause_offset: int
    event_id: str
    event_type: str
    sha: str
    key: tuple[Any, ...] | None = None  # set for republished kinds
    content: str | None = None
    where: str | None = field(default=None, compare=False)
    cause: str | None = field(default=None, compare=False)
    value: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def order(self) -> tuple[int, str, str]:
        return (self.cause_offset, self.event_id, self.sha)

    def line(self) -> bytes:
        return f"{self.cause_offset} {self.event_id} {self.sha}".encode()


def entry(
    value: bytes | None,
    cause_offset: int,
    *,
    where: str | None = None,
    cause: str | None = None,
    keep: bool = False,
) -> Entry:
    """The entry of a record's bytes. Bytes that are not a derived event (a tampered record)
    still make an entry, which then differs from the replay's."""
    raw = value or b""
    sha = hashlib.sha256(raw).hexdigest()
    try:
        data = json.loads(raw)
        event_type, event_id = str(data["event_type"]), str(data["event_id"])
    except (ValueError, KeyError, TypeError):
        return Entry(cause_offset, UNREADABLE, UNREADABLE, sha, where=where, value=raw)
    key = content = None
    named = REPUBLISHED.get(event_type)
    if named is not None:
        key = (event_type, data.get("partition"), data.get(named))
        kept = {k: v for k, v in data.items() if k not in VOLATILE}
        content = json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Entry(
        cause_offset,
        event_id,
        event_type,
        sha,
        key,
        content,
        where=where,
        cause=cause,
        value=raw if keep else None,
    )


class Canonical:
    """One (topic, validated partition)'s canonical lines, fed one cause at a time in cause
    order; keeps only a running hash (and, with ``keep``, the entries, to name a difference)."""

    def __init__(self, *, keep: bool = False) -> None:
        self._hash = hashlib.sha256()
        self._last: dict[tuple[Any, ...], str | None] = {}
        self._lines = 0
        self.kept: list[Entry] | None = [] if keep else None

    def add(self, group: Iterable[Entry]) -> None:
        """The entries of one cause (any order, repeats included)."""
        distinct: dict[tuple[int, str, str], Entry] = {}
        for e in group:
            distinct.setdefault(e.order, e)
        for _, e in sorted(distinct.items()):
            if e.key is not None:
                if e.key in self._last and self._last[e.key] == e.content:
                    continue  # a republication: nothing new
                self._last[e.key] = e.content
            if self._lines:
                self._hash.update(b"\n")
            self._hash.update(e.line())
            self._lines += 1
            if self.kept is not None:
                self.kept.append(e)

    @property
    def lines(self) -> int:
        return self._lines

    def digest(self) -> str:
        return self._hash.hexdigest()


def canonical(entries: Iterable[Entry], below: int | None, *, keep: bool = False) -> Canonical:
    """The canonical form of entries in any order (a live topic's), restricted to causes
    below ``below`` (None: all)."""
    groups: dict[int, list[Entry]] = {}
    for e in entries:
        if below is None or e.cause_offset < below:
            groups.setdefault(e.cause_offset, []).append(e)
    out = Canonical(keep=keep)
    for offset in sorted(groups):
        out.add(groups[offset])
    return out


class Derivation:
    """A replay's outputs, per derived topic and validated partition, as canonical digests.

    :meth:`add` takes what one input caused, in the order the replay applies inputs (cause
    order within a partition). With ``keep``, entries keep their bytes and their cause.
    """

    def __init__(self, *, keep: bool = False) -> None:
        self.keep = keep
        self.parts: dict[tuple[str, int], Canonical] = {}

    def part(self, topic: str, partition: int) -> Canonical:
        found = self.parts.get((topic, partition))
        if found is None:
            found = self.parts[(topic, partition)] = Canonical(keep=self.keep)
        return found

    def add(
        self, partition: int, offset: int, cause: Envelope, outputs: Sequence[Envelope]
    ) -> None:
        by_topic: dict[str, list[Entry]] = {}
        named = f"{cause.event_type} {cause.event_id}" if self.keep else None
        for out in outputs:
            value = codec.encode(out)
            if out.event_type in REPUBLISHED or self.keep:
                e = entry(value, offset, cause=named, keep=self.keep)
            else:  # what entry() would read back from the bytes, taken from the event
                sha = hashlib.sha256(value).hexdigest()
                e = Entry(offset, str(out.event_id), out.event_type, sha)
            by_topic.setdefault(topic_of(out), []).append(e)
        for topic, group in by_topic.items():
            self.part(topic, partition).add(group)

    def digests(self, partitions: Iterable[int]) -> dict[str, dict[int, str]]:
        """topic -> partition -> digest, for every derived topic and each of ``partitions``."""
        return {
            spec.name: {p: self.part(spec.name, p).digest() for p in sorted(partitions)}
            for spec in DERIVED_TOPICS
        }


def topic_digest(parts: Mapping[int, str]) -> str:
    """A topic's digest: its partitions' digests combined (:func:`digest.combine`)."""
    return combine(parts)


@dataclass(frozen=True, slots=True)
class Difference:
    """The first record on which the replay and a live topic disagree, in cause order."""

    topic: str  # the topic's catalog name
    partition: int  # the validated partition of the cause
    replayed: Entry | None
    live: Entry | None

    @property
    def cause_offset(self) -> int:
        found = self.replayed or self.live
        return found.cause_offset if found is not None else -1

    def fields(self) -> list[str]:
        """The fields whose values differ, when both sides have readable bytes."""
        a = _fields(self.replayed.value if self.replayed else None)
        b = _fields(self.live.value if self.live else None)
        if a is None or b is None:
            return []
        return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))

    def describe(self, validated_topic: str) -> str:
        cause = f"{validated_topic}/{self.partition}/{self.cause_offset}"
        what = self.replayed or self.live
        name = f"{what.event_type} {what.event_id}" if what is not None else "?"
        input_named = self.replayed.cause if self.replayed and self.replayed.cause else None
        caused = f"caused by {cause}" + (f" ({input_named})" if input_named else "")
        if self.live is None:
            return f"{self.topic}: {name}: in the replay, missing from the live topic; {caused}"
        if self.replayed is None:
            return f"{self.topic}: {name} at {self.live.where}: not in the replay; {caused}"
        changed = ", ".join(self.fields()) or "bytes"
        return (
            f"{self.topic}: {name} at {self.live.where} differs from the replay "
            f"({changed}); {caused}"
        )

    def as_json(self, validated_topic: str) -> dict[str, Any]:
        what = self.replayed or self.live
        return {
            "topic": self.topic,
            "event_type": what.event_type if what else None,
            "event_id": what.event_id if what else None,
            "live_position": self.live.where if self.live else None,
            "cause": f"{validated_topic}/{self.partition}/{self.cause_offset}",
            "cause_event": self.replayed.cause if self.replayed else None,
            "fields": self.fields(),
            "in_replay": self.replayed is not None,
            "in_live": self.live is not None,
        }


def _fields(value: bytes | None) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def first_difference(
    topic: str, partition: int, replayed: Sequence[Entry], live: Sequence[Entry]
) -> Difference | None:
    """The first entry (in canonical order) one side lacks or holds with other bytes.

    Both lists are sorted by (cause offset, event id, hash), so the entries of one record
    are side by side: equal ids with unequal hashes are the same record, changed.
    """
    mine, theirs = iter(replayed), iter(live)
    a, b = next(mine, None), next(theirs, None)
    while a is not None or b is not None:
        if a is not None and b is not None:
            if a.order == b.order:
                a, b = next(mine, None), next(theirs, None)
                continue
            if a.order[:2] == b.order[:2]:
                return Difference(topic, partition, a, b)
        if b is None or (a is not None and a.order < b.order):
            return Difference(topic, partition, a, None)
        return Difference(topic, partition, None, b)
    return None
