"""The assessment service's fold kept on disk, so that a restart reads only the log's tail.

A snapshot holds, together, the fold (:class:`agents.assessment_state.AssessmentState`),
the newest scorecard revision per county and period, and the position (next offset) of
every input partition the fold has read: the fold is exactly the fold of every input
before those positions. The service writes one after catching up, every
``SNAPSHOT_INTERVAL_S`` while it runs and when it stops; on start it seeks each partition
to its position and folds only what follows. A partition the snapshot does not name (one
added since) is read from its beginning.

The file is written beside the old one, flushed to disk and renamed over it: a crash
leaves the old snapshot or the new one, never a part. It is the service's own, in
``LIUDONG_HOME`` (mode 0600), in Python's pickle format: the fold is plain objects whose
shape belongs to the scoring rules, and a second serialization of it here would be a copy
of those rules' data model to keep in step. So a snapshot is read only by the code that
wrote it: it carries a fingerprint of the fold's source (``agents/assessment_rules.py``
and ``agents/assessment_state.py``, every module of ``contracts/`` and this one) and of the
topics it read, and one that does not match is set aside and the log folded from the
beginning, as does one that cannot be read. Deleting the file is always safe: the next
start folds everything again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import structlog

import contracts
from agents import assessment_rules, assessment_state
from agents.assessment_state import AssessmentState
from contracts.events.derived import ScorecardPublished

log = structlog.get_logger(__name__)

FORMAT = b"liudong-assessment-snapshot 1\n"
SNAPSHOT_INTERVAL_S = 60.0

Position = tuple[str, int]  # (topic, partition)


@dataclass
class Snapshot:
    state: AssessmentState
    published: dict[tuple[str, str], ScorecardPublished]
    positions: dict[Position, int]  # the next offset to fold, per partition


def fingerprint(topics: Iterable[str]) -> str:
    """What a snapshot must have been written with to be read: the fold's code and the
    input topics (by name)."""
    digest = hashlib.sha256()
    sources = [Path(assessment_rules.__file__), Path(assessment_state.__file__), Path(__file__)]
    sources += sorted(Path(contracts.__file__).parent.rglob("*.py"))
    for source in sources:
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    for topic in sorted(topics):
        digest.update(topic.encode())
    return digest.hexdigest()


def save(path: Path, snapshot: Snapshot, print_: str) -> int:
    """Write ``snapshot`` to ``path`` whole or not at all; the bytes written."""
    data = FORMAT + print_.encode() + b"\n" + pickle.dumps(snapshot, pickle.HIGHEST_PROTOCOL)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return len(data)


def load(path: Path, print_: str) -> Snapshot | None:
    """The snapshot at ``path`` if this code wrote it for these topics; None (and why, in the
    log) if there is none or it cannot be used."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    head = FORMAT + print_.encode() + b"\n"
    if not data.startswith(FORMAT):
        log.warning("assessment_snapshot_unreadable", path=str(path), why="not a snapshot")
        return None
    if not data.startswith(head):
        log.warning(
            "assessment_snapshot_set_aside",
            path=str(path),
            why="written by other code or for other topics: folding from the beginning",
        )
        return None
    try:
        snapshot = pickle.loads(data[len(head) :])  # noqa: S301 - the service's own file
    except Exception as exc:  # a torn or damaged file: the log is still there
        log.warning("assessment_snapshot_unreadable", path=str(path), why=repr(exc))
        return None
    if not isinstance(snapshot, Snapshot):
        log.warning("assessment_snapshot_unreadable", path=str(path), why="not a snapshot")
        return None
    return snapshot
