"""The signed audit record of a verification: ``replay --verify --report FILE`` writes it,
``replay --check-report FILE`` checks it later.

The record says what was verified and what was found: the validated position ``V`` (and the
instant, if one was asked), the log's end then, every check's status with the replay's
digest and the live one (per validated partition for the derived topics), the first
difference if any, the weight file's SHA-256, the code version (``git describe`` of the
checkout, else the package version) and when it was made. It is written as canonical JSON
(keys sorted, no whitespace, UTF-8: :func:`streams.signing.canonical_bytes`, the form every
event is signed in) with an Ed25519 signature by the region's key over everything but the
signature, so an auditor checks it with nothing but the region's public key.

Checking verifies the signature under the region's public key as configured (never the key
the record names, which is shown only to say which key signed), and with ``recompute``
replays the log again up to the record's position and compares the replay's digests with
the record's: the log still says what the record says.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.replay import derived
from audit.replay.outcome import Outcome, Summary
from audit.replay.verify import ProjectionCheck, ScorecardCheck, Verification
from streams import signing

KIND = "liudong.replay.verification"
VERSION = 1


class ReportError(ValueError):
    """A report that cannot be read or does not check out; the message is one line."""


def code_version() -> str:
    """``git <describe>`` of the checkout this code runs from, else the package version."""
    root = Path(__file__).resolve().parents[2]
    git = shutil.which("git")
    if git is not None and (root / ".git").exists():
        try:
            # A fixed argument list, no shell: nothing from outside reaches the command.
            found = subprocess.run(  # noqa: S603
                [git, "describe", "--always", "--dirty", "--tags"],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            )
        except (OSError, subprocess.SubprocessError):
            pass
        else:
            return f"git {found.stdout.strip()}"
    try:
        return f"liudong {importlib.metadata.version('liudong')}"
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _utc(at: dt.datetime | None) -> str | None:
    return None if at is None else at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _keyed(mapping: Mapping[int, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in sorted(mapping.items())}


def document(
    verification: Verification,
    *,
    weight_file: Path,
    region: str,
    made_at: dt.datetime,
    version: str,
) -> dict[str, Any]:
    """The record of ``verification`` (unsigned)."""
    request = verification.request
    return {
        "kind": KIND,
        "version": VERSION,
        "region": region,
        "made_at": _utc(made_at),
        "code_version": version,
        "weight_file": {"name": weight_file.name, "sha256": file_sha256(weight_file)},
        "validated_topic": request.validated_topic,
        "derived_prefix": request.derived_from,
        "as_of": _utc(request.as_of),
        "position": _keyed(verification.position),
        "log_end": _keyed(verification.log_end),
        "workers": request.workers,
        "replayed": _replayed(verification.outcome.summary()),
        "topics": _topics(verification),
        "scorecards": _scorecards(verification.scorecard_check),
        "projection": _projection(verification.projection_check),
        "ok": verification.ok,
    }


def _replayed(summary: Summary) -> dict[str, Any]:
    return {
        "events": summary.events,
        "applied": summary.applied,
        "undecodable": summary.undecodable,
        "cases": summary.cases,
        "obligations": summary.obligations,
        "counts": dict(summary.counts),
        "logical_clock": _utc(summary.clock),
    }


def _topics(verification: Verification) -> dict[str, Any]:
    """Each derived topic's check, with the replay's digest of each partition."""
    validated = verification.request.validated_topic
    digests = verification.outcome.digests or {}
    topics: dict[str, Any] = {}
    for check in verification.topic_checks:
        topics[check.name] = {
            "topic": check.topic,
            "status": check.status,
            "replayed": check.replayed,
            "live": check.live,
            "replayed_records": check.replayed_records,
            "live_records": check.live_records,
            "live_end_offsets": _keyed(check.ends),
            "live_records_past_position": check.beyond,
            "partitions": _keyed(digests.get(check.name, {})),
            "first_difference": (
                check.difference.as_json(validated) if check.difference is not None else None
            ),
            "note": check.note,
        }
    return topics


def _scorecards(check: ScorecardCheck) -> dict[str, Any]:
    return {
        "status": check.status,
        "replayed": check.replayed,
        "live": check.live,
        "cards": check.cards,
        "first_difference": check.difference.as_json() if check.difference else None,
        "note": check.note,
    }


def _projection(check: ProjectionCheck) -> dict[str, Any]:
    return {
        "status": check.status,
        "replayed": check.replayed,
        "live": check.live,
        "differing": check.differing,
        "first_difference": check.difference.as_json() if check.difference else None,
        "note": check.note,
    }


def sign(doc: Mapping[str, Any], key: Ed25519PrivateKey, signer: str) -> dict[str, Any]:
    signed = {**doc, "signed_by": signer, "public_key": signing.public_key_b64(key)}
    signed["signature"] = signing.sign(key, signed)
    return signed


def text(doc: Mapping[str, Any]) -> str:
    """The file's content: the canonical form, signature included, and a newline."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def write(path: Path, doc: Mapping[str, Any]) -> None:
    path.write_text(text(doc), encoding="utf-8")


def read(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot be read ({exc})") from None
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise ReportError(f"{path}: not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise ReportError(f"{path}: not a replay verification record (kind {KIND})")
    if doc.get("version") != VERSION:
        raise ReportError(f"{path}: record version {doc.get('version')!r}, this reads {VERSION}")
    return doc


def check_signature(doc: Mapping[str, Any], region_key: signing.PublicKey) -> None:
    """ReportError unless the region's key signed exactly this record."""
    if not isinstance(doc.get("signature"), str):
        raise ReportError("the record has no signature")
    if not signing.verify(region_key, dict(doc)):
        named = doc.get("public_key")
        ours = signing.encode_public_key(region_key)
        if named != ours:
            raise ReportError(
                f"the signature does not verify under the region's key {ours} "
                f"(the record names key {named})"
            )
        raise ReportError("the signature does not verify: the record was changed after signing")


@dataclass(frozen=True, slots=True)
class Recomputed:
    """What a replay of the log says, against what a record says."""

    differences: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.differences


def position_of(doc: Mapping[str, Any]) -> dict[int, int]:
    try:
        return {int(p): int(o) for p, o in dict(doc["position"]).items()}
    except (KeyError, TypeError, ValueError):
        raise ReportError("the record's position is not partition -> offset") from None


def as_of_of(doc: Mapping[str, Any]) -> dt.datetime | None:
    at = doc.get("as_of")
    if at is None:
        return None
    try:
        return dt.datetime.fromisoformat(str(at))
    except ValueError:
        raise ReportError(f"the record's as_of {at!r} is not an ISO 8601 instant") from None


def compare(doc: Mapping[str, Any], outcome: Outcome, cards_digest: str | None) -> Recomputed:
    """The record's replay digests against a fresh replay's ``outcome``."""
    out = []
    for name, parts in (outcome.digests or {}).items():
        held = dict(doc.get("topics", {}).get(name, {}))
        if held.get("replayed") != derived.topic_digest(parts):
            out.append(f"{name}: the record says {held.get('replayed')}, the log gives "
                       f"{derived.topic_digest(parts)}")  # fmt: skip
    rows = outcome.summary().digest
    held_rows = dict(doc.get("projection", {})).get("replayed")
    if held_rows != rows:
        out.append(f"obligation rows: the record says {held_rows}, the log gives {rows}")
    held_cards = dict(doc.get("scorecards", {})).get("replayed")
    if cards_digest is not None and held_cards != cards_digest:
        out.append(f"scorecards: the record says {held_cards}, the log gives {cards_digest}")
    return Recomputed(tuple(out))
