"""State at scale for the memory stage: a worker's table records copied under new identities.

Pure: no I/O. The bench reads the changelogs one real worker wrote (``cases``, ``gate-state``,
``case-partitions``), and these functions turn them into the changelogs of a worker holding
``persons`` persons: each copy of a case gets a new person key, and every event id in it a
new id, the same new id wherever it appears (``processed``, flows, registrations, the ids of
obligations and tasks built from event ids), so the copy is a valid ``CaseState`` that the
cases agent parses when it loads its partition. The gate's admitted ids are copied in the
same proportion, under the same new ids. Copy numbers start at 1: no copy collides with the
original state or with the events the bench then feeds the worker.

Records are as Faust writes them with the app's JSON serializers (streams/app.py): the key
is the JSON of ``"<partition>:<suffix>"``, the value the JSON of the stored text.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Fixed: the same source state always gives the same copies.
REPLICA_NAMESPACE = uuid.UUID("4f7c2a1e-9b3d-4e8a-a6c5-2d1e0f9b8c7a")
# Per-partition keys that are not an event id (gate-state) or must not be copied at all.
GATE_SPECIAL = ("clock", "next_offset")


@dataclass(frozen=True, slots=True)
class Record:
    partition: int
    key: bytes
    value: bytes


def replica_person_key(person_key: str, copy: int) -> str:
    """A new 64-hex person key (the contract's form) for copy ``copy`` of ``person_key``."""
    return hashlib.sha256(f"{copy}:{person_key}".encode()).hexdigest()


def replica_id(event_id: str, copy: int) -> str:
    return str(uuid.uuid5(REPLICA_NAMESPACE, f"{copy}:{event_id}"))


@dataclass(frozen=True, slots=True)
class CaseTemplate:
    """A case's JSON text cut around what each copy renames: its person key, the ids of the
    events it processed and of its tasks (wherever they appear, e.g. inside obligation
    ids). Agreement and campaign ids are kept: the copies belong to the same books."""

    partition: int
    person_key: str
    pieces: tuple[str, ...]  # literal text; one more than tokens
    tokens: tuple[str, ...]

    @classmethod
    def of(cls, record: Record) -> CaseTemplate:
        partition, _ = split_key(record.key)
        text = str(json.loads(record.value))
        case = json.loads(text)
        person_key = str(case["person_key"])
        own = {
            person_key,
            *case.get("processed", ()),
            *(t["task_id"] for t in case.get("tasks", ())),
        }
        pattern = re.compile("|".join(re.escape(o) for o in sorted(own, key=len, reverse=True)))
        pieces: list[str] = []
        tokens: list[str] = []
        at = 0
        for match in pattern.finditer(text):
            pieces.append(text[at : match.start()])
            tokens.append(match.group(0))
            at = match.end()
        pieces.append(text[at:])
        return cls(partition, person_key, tuple(pieces), tuple(tokens))

    def copy(self, copy: int) -> Record:
        new_key = replica_person_key(self.person_key, copy)
        mapped = {
            t: new_key if t == self.person_key else replica_id(t, copy) for t in set(self.tokens)
        }
        parts = [self.pieces[0]]
        for token, piece in zip(self.tokens, self.pieces[1:], strict=True):
            parts.append(mapped[token])
            parts.append(piece)
        return encode(self.partition, new_key, "".join(parts))


def split_key(raw_key: bytes) -> tuple[int, str]:
    """``b'"3:abc"'`` -> ``(3, "abc")``."""
    text = json.loads(raw_key)
    partition, _, suffix = str(text).partition(":")
    return int(partition), suffix


def encode(partition: int, suffix: str, text: str) -> Record:
    return Record(
        partition, json.dumps(f"{partition}:{suffix}").encode(), json.dumps(text).encode()
    )


def latest(records: Iterable[Record]) -> dict[bytes, Record]:
    """The last record per key, tombstones dropped (what a compacted changelog keeps)."""
    out: dict[bytes, Record] = {}
    for record in records:
        out[record.key] = record
    return {k: r for k, r in out.items() if r.value not in (b"", b"null")}


def copies_for(total: int, base: int, index: int) -> range:
    """The copy numbers of template ``index`` (of ``base``) so ``total`` copies in all are made,
    spread evenly: template i gets copies 1..k, the first ``total % base`` one more."""
    if base <= 0:
        return range(0)
    full, extra = divmod(total, base)
    return range(1, full + (1 if index < extra else 0) + 1)


def cases_at_scale(templates: Iterable[Record], persons: int) -> Iterator[Record]:
    """``persons`` cases in all, each a copy of one of ``templates`` (in its partition)."""
    chosen = [CaseTemplate.of(r) for r in templates]
    for index, template in enumerate(chosen):
        for copy in copies_for(persons, len(chosen), index):
            yield template.copy(copy)


def gate_at_scale(templates: Iterable[Record], num: int, den: int) -> Iterator[Record]:
    """The gate's admitted ids times ``num / den``, under the copies' new ids;
    its clock and input positions left out (the fed worker starts with neither)."""
    admitted = [r for r in templates if split_key(r.key)[1] not in GATE_SPECIAL]
    total = len(admitted) * num // den if den > 0 else 0
    for index, record in enumerate(admitted):
        partition, event_id = split_key(record.key)
        fingerprint = str(json.loads(record.value))
        for copy in copies_for(total, len(admitted), index):
            yield encode(partition, replica_id(event_id, copy), fingerprint)


def partitions_meta(templates: Iterable[Record]) -> Iterator[Record]:
    """``case-partitions`` as it was (books, clock), without the input positions."""
    for record in templates:
        if split_key(record.key)[1] != "next_offset":
            yield record
