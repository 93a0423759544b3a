"""The signed audit record: canonical JSON that the region's key signs, that checks out
under that key only, that no edit survives, and whose digests a fresh replay recomputes."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agents import assessment_config
from audit.replay import derived, report, scorecards
from audit.replay.derived import Derivation
from audit.replay.engine import Replay
from audit.replay.outcome import Outcome
from audit.replay.verify import (
    MATCH,
    NOT_COMPARED,
    ProjectionCheck,
    Request,
    ScorecardCheck,
    TopicCheck,
    Verification,
)
from streams import signing
from tests.unit.replay_fixtures import CONFIG, PREFIX, feed, simulated_log

REGION = CONFIG.region
MADE_AT = dt.datetime(2026, 5, 1, 2, 3, 4, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def verification() -> Verification:
    config = assessment_config.load()
    log = simulated_log()
    replay = Replay(region=REGION, derivation=Derivation(), assess=True)
    outcome = Outcome.of(feed(replay, log), config=config)
    position = {p: len(v) for p, v in log.items()}
    cards = outcome.scorecards(config) or []
    checks = tuple(
        TopicCheck(
            name,
            f"{PREFIX}.{name}",
            MATCH,
            derived.topic_digest(parts),
            derived.topic_digest(parts),
            (outcome.records or {})[name],
            (outcome.records or {})[name],
            {0: 10, 1: 12},
        )
        for name, parts in (outcome.digests or {}).items()
    )
    digest = scorecards.digest(cards)
    return Verification(
        Request("unused:9092", PREFIX, REGION, config),
        position,
        position,
        outcome,
        checks,
        ScorecardCheck(MATCH, digest, digest, len(cards)),
        ProjectionCheck(NOT_COMPARED, outcome.summary().digest, None, note="no database"),
        tuple(cards),
    )


def signed(v: Verification, key: Ed25519PrivateKey) -> dict[str, object]:
    doc = report.document(
        v,
        weight_file=assessment_config.DEFAULT_PATH,
        region=REGION,
        made_at=MADE_AT,
        version="git test",
    )
    return report.sign(doc, key, f"{REGION}/region")


def test_the_record_says_what_was_verified_and_is_canonical_json(
    verification: Verification, tmp_path: Path
) -> None:
    key = Ed25519PrivateKey.generate()
    doc = signed(verification, key)
    path = tmp_path / "audit.json"
    report.write(path, doc)
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    back = report.read(path)
    assert back["kind"] == report.KIND
    assert back["ok"] is True
    assert back["position"] == {str(p): n for p, n in verification.position.items()}
    assert back["made_at"] == "2026-05-01T02:03:04Z"
    assert back["weight_file"] == {
        "name": "assessment.toml",
        "sha256": report.file_sha256(assessment_config.DEFAULT_PATH),
    }
    assert set(back["topics"]) == {"obligations", "alerts"}
    obligations = back["topics"]["obligations"]
    assert obligations["status"] == "match"
    assert obligations["partitions"] == {
        str(p): d for p, d in (verification.outcome.digests or {})["obligations"].items()
    }
    assert back["scorecards"]["replayed"] == verification.scorecard_check.replayed
    assert back["projection"]["note"] == "no database"
    report.check_signature(back, key.public_key())


def test_an_edited_record_or_another_key_fails_the_check(verification: Verification) -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    doc = signed(verification, key)
    with pytest.raises(report.ReportError, match="changed after signing"):
        report.check_signature({**doc, "ok": False}, key.public_key())
    theirs = signing.public_key_b64(other)
    with pytest.raises(report.ReportError, match=re.escape(f"under the region's key {theirs}")):
        report.check_signature(doc, other.public_key())
    forged = report.sign({k: v for k, v in doc.items() if k != "signature"}, other, "x/region")
    with pytest.raises(report.ReportError, match="the record names key"):
        report.check_signature(forged, key.public_key())
    with pytest.raises(report.ReportError, match="no signature"):
        report.check_signature({k: v for k, v in doc.items() if k != "signature"}, key.public_key())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not JSON"),
        ("[]", "not a replay verification record"),
        ('{"kind": "something else"}', "not a replay verification record"),
        (f'{{"kind": "{report.KIND}", "version": 99}}', "record version 99"),
    ],
)
def test_an_unreadable_record_is_one_line(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "record.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(report.ReportError, match=message) as refused:
        report.read(path)
    assert "\n" not in str(refused.value)


def test_recomputing_finds_the_records_digests_or_says_which_differ(
    verification: Verification,
) -> None:
    key = Ed25519PrivateKey.generate()
    doc = signed(verification, key)
    outcome = verification.outcome
    cards = scorecards.digest(outcome.scorecards(assessment_config.load()) or [])
    assert report.compare(doc, outcome, cards).ok
    assert report.position_of(doc) == verification.position
    assert report.as_of_of(doc) is None
    topics = dict(doc["topics"])  # type: ignore[call-overload]
    topics["alerts"] = {**topics["alerts"], "replayed": "0" * 64}
    found = report.compare({**doc, "topics": topics}, outcome, cards)
    assert not found.ok
    assert found.differences == (
        f"alerts: the record says {'0' * 64}, the log gives "
        f"{derived.topic_digest((outcome.digests or {})['alerts'])}",
    )
    with pytest.raises(report.ReportError, match="position is not partition -> offset"):
        report.position_of({"position": {"a": "b"}})
    with pytest.raises(report.ReportError, match="is not an ISO 8601 instant"):
        report.as_of_of({"as_of": "yesterday"})
