"""The assessment service's snapshot: read back as written, written whole or not at all,
and set aside (the log folded from the beginning) when it is not this code's, not for these
topics, or damaged."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import structlog.testing

from agents import assessment_rules as rules
from agents.assessment_snapshot import Snapshot, fingerprint, load, save
from tests.unit.agents import test_assessment_rules as script

TOPICS = ("p.obligations", "p.alerts", "p.validated", "p.scorecards")


def folded() -> Snapshot:
    state = rules.fold_all(script.log(script.scenario(seed=5, persons=8)))
    return Snapshot(state, {}, {("p.obligations", 0): 41, ("p.alerts", 1): 7})


def test_a_snapshot_reads_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "assessment" / "p-610900.snapshot"
    written = folded()
    print_ = fingerprint(TOPICS)
    assert save(path, written, print_) == path.stat().st_size
    back = load(path, print_)
    assert back is not None
    assert back.state.digest() == written.state.digest()
    assert back.state.obligations == written.state.obligations
    assert back.positions == written.positions
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the service's own
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # nothing partial left


def test_no_snapshot_means_folding_from_the_beginning(tmp_path: Path) -> None:
    assert load(tmp_path / "none.snapshot", fingerprint(TOPICS)) is None


def test_a_snapshot_for_other_topics_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "s.snapshot"
    save(path, folded(), fingerprint(TOPICS))
    other = fingerprint(("q.obligations", "q.alerts", "q.validated", "q.scorecards"))
    assert other != fingerprint(TOPICS)
    with structlog.testing.capture_logs() as logs:
        assert load(path, other) is None
    assert [entry["event"] for entry in logs] == ["assessment_snapshot_set_aside"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # torn
        lambda data: b"something else entirely",
        lambda data: data[:-40] + b"\x00" * 40,
    ],
    ids=["torn", "not a snapshot", "overwritten"],
)
def test_a_damaged_snapshot_is_set_aside(tmp_path: Path, damage: object) -> None:
    path = tmp_path / "s.snapshot"
    print_ = fingerprint(TOPICS)
    save(path, folded(), print_)
    assert callable(damage)
    path.write_bytes(damage(path.read_bytes()))
    with structlog.testing.capture_logs() as logs:
        assert load(path, print_) is None
    assert [entry["event"] for entry in logs] == ["assessment_snapshot_unreadable"]


def test_a_write_that_fails_leaves_the_last_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "s.snapshot"
    print_ = fingerprint(TOPICS)
    first = folded()
    save(path, first, print_)
    broken = Snapshot(first.state, {}, {("p.obligations", 0): 99})
    broken.state.orphans["x"] = [lambda: None]  # type: ignore[list-item]  # not picklable
    with pytest.raises(Exception, match="pickle"):
        save(path, broken, print_)
    back = load(path, print_)
    assert back is not None
    assert back.positions == {("p.obligations", 0): 41, ("p.alerts", 1): 7}
    assert sorted(os.listdir(tmp_path)) == ["s.snapshot"]
