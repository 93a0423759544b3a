"""State at scale for the memory stage: a worker's table records copied under new identities.

Pure: no I/O. The bench reads the changelog of the cases agent's table one real worker wrote
(``cases``), and these functions turn it into the changelog of a worker holding ``persons``
persons: each copy of a case gets a new person key, and every event id in it a new id, the
same new id wherever it appears (``processed``, flows, registrations, the ids of obligations
and tasks built from event ids), so the copy is a valid ``CaseState`` that the cases agent
parses when it opens its partition. The partition's books and clock are kept as they were,
its input position is not (the fed worker reads its input from the start). The gate keeps
no state to copy but its clock and position. Copy numbers start at 1: no copy collides with
the original state or with the events the bench then feeds the worker.

Records are as the runtime writes them (``streams.runtime.faust_ports.TableStore``): the key
is the UTF-8 of ``<partition>:<key>``, the value the UTF-8 of the stored text.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from agents.cases import CASE
from streams.runtime import POSITION_KEY

# Fixed: the same source state always gives the same copies.
REPLICA_NAMESPACE = uuid.UUID("4f7c2a1e-9b3d-4e8a-a6c5-2d1e0f9b8c7a")


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
        text = record.value.decode()
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
        return encode(self.partition, CASE + new_key, "".join(parts))


def split_key(raw_key: bytes) -> tuple[int, str]:
    """``b"3:case/abc"`` -> ``(3, "case/abc")``."""
    partition, _, key = raw_key.decode().partition(":")
    return int(partition), key


def encode(partition: int, key: str, text: str) -> Record:
    return Record(partition, f"{partition}:{key}".encode(), text.encode())


def latest(records: Iterable[Record]) -> dict[bytes, Record]:
    """The last record per key, tombstones dropped (what a compacted changelog keeps)."""
    out: dict[bytes, Record] = {}
    for record in records:
        out[record.key] = record
    return {k: r for k, r in out.items() if r.value}


def is_case(record: Record) -> bool:
    return split_key(record.key)[1].startswith(CASE)


def copies_for(total: int, base: int, index: int) -> range:
    """The copy numbers of template ``index`` (of ``base``) so ``total`` copies in all are made,
    spread evenly: template i gets copies 1..k, the first ``total % base`` one more."""
    if base <= 0:
        return range(0)
    full, extra = divmod(total, base)
    return range(1, full + (1 if index < extra else 0) + 1)


def cases_at_scale(templates: Iterable[Record], persons: int) -> Iterator[Record]:
    """``persons`` cases in all, each a copy of one of the case records among ``templates``
    (in its partition)."""
    chosen = [CaseTemplate.of(r) for r in templates if is_case(r)]
    for index, template in enumerate(chosen):
        for copy in copies_for(persons, len(chosen), index):
            yield template.copy(copy)


def partition_state(templates: Iterable[Record]) -> Iterator[Record]:
    """The partition-wide records among ``templates`` (books, clock) as they were; neither
    the cases nor the input positions."""
    for record in templates:
        if not is_case(record) and split_key(record.key)[1] != POSITION_KEY:
            yield record
